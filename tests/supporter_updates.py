"""Test data for updates to supporters: cases with actions, signers who did or did not agree to
hear from us, and timeline events written straight into the tables (the timeline's own pages
belong to the cases tests). Signers are made with the product's own queries and verbs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from campaign_engine import jobs
from campaign_engine.db.campaigns import authoring
from campaign_engine.db.pool import Pool
from campaign_engine.db.signing import signatures
from campaign_engine.domain.delivery.mailings import fan_out_mailing
from campaign_engine.domain.signing.consent import Agreed, record_consents
from campaign_engine.models.signing import ConsentScope, ConsentText
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from tests.clock import FakeClock
from tests.conftest import TEST_SECRET
from tests.factories import content, email_key, make_action, signed, unique_email


@dataclass(frozen=True)
class Case:
    id: int
    slug: str
    action_slugs: tuple[str, ...]


async def make_case(
    pool: Pool,
    *,
    actions: int = 1,
    locales: tuple[str, ...] = ("en", "fr", "es", "ar", "zh-Hans", "ru"),
    default_locale: str = "en",
) -> Case:
    """A case (published in `locales`) with `actions` open actions."""
    first = await make_action(pool, locales=locales, default_locale=default_locale)
    case_id = await pool.fetchval("SELECT case_id FROM actions WHERE slug = $1", first)
    slugs = [first]
    for _n in range(actions - 1):
        slug = f"t-{uuid.uuid4().hex[:12]}"
        async with pool.acquire() as conn, conn.transaction():
            action_id = await authoring.upsert_action(
                conn,
                case_id=case_id,
                slug=slug,
                code=f"UA {slug}",
                status="open",
                deadline=datetime.now(UTC) + timedelta(days=30),
                goal=100,
                default_locale=default_locale,
            )
            for locale in locales:
                await authoring.upsert_action_translation(
                    conn, action_id, locale, content(locale, slug), published=True
                )
        slugs.append(slug)
    case_slug = await pool.fetchval("SELECT slug FROM cases WHERE id = $1", case_id)
    return Case(case_id, case_slug, tuple(slugs))


def wording(scope: ConsentScope, locale: str) -> ConsentText:
    return ConsentText(scope, locale, f"I agree to {scope} ({locale}).")


async def make_signer(
    pool: Pool,
    action_slug: str,
    *,
    email: str | None = None,
    locale: str = "en",
    updates: bool = True,
    sms: bool = False,
    phone: str | None = None,
    confirmed: bool = True,
) -> str:
    """A supporter who signed the action (confirmed unless said otherwise), with the consent
    they gave recorded as the sign flow records it; returns their address."""
    email = email or unique_email()
    async with pool.acquire() as conn, conn.transaction():
        action_id = await conn.fetchval("SELECT id FROM actions WHERE slug = $1", action_slug)
        supporter_id, signature_id = await signed(
            conn, action_id, email, name="Ana Pérez", locale=locale, phone=phone
        )
        given = [ConsentScope.UPDATES] if updates else []
        given += [ConsentScope.SMS] if sms else []
        await record_consents(
            conn,
            [
                Agreed(supporter_id, signature_id, wording(scope, locale), None, None)
                for scope in given
            ],
        )
        if confirmed:
            await signatures.confirm_pending_signature(conn, signature_id)
    return email


def unique_phone() -> str:
    return f"+3361{uuid.uuid4().int % 10**7:07d}"


async def add_event(
    pool: Pool,
    case_id: int,
    texts: dict[str, tuple[str, str]],
    *,
    kind: str = "update",
    outcome: str | None = None,
    published: bool = True,
) -> int:
    """A timeline event written in `texts` (locale -> (title, body)); returns its id."""
    async with pool.acquire() as conn, conn.transaction():
        event_id: int = await conn.fetchval(
            """INSERT INTO case_events (case_id, kind, outcome, occurred_at, published)
               VALUES ($1, $2, $3, now(), $4) RETURNING id""",
            case_id,
            kind,
            outcome,
            published,
        )
        for locale, (title, body) in texts.items():
            await conn.execute(
                """INSERT INTO case_event_translations (event_id, locale, title, body)
                   VALUES ($1, $2, $3, $4)""",
                event_id,
                locale,
                title,
                body,
            )
    return event_id


async def supporter_id_of(pool: Pool, email: str) -> UUID:
    found: UUID = await pool.fetchval(
        "SELECT id FROM supporters WHERE email_key = $1", email_key(email)
    )
    return found


async def update_deliveries(pool: Pool, event_id: int) -> list[dict[str, object]]:
    rows = await pool.fetch(
        """SELECT id, channel, supporter_id, status, attempts, last_error FROM deliveries
           WHERE kind = 'update' AND case_event_id = $1 ORDER BY channel, supporter_id""",
        event_id,
    )
    return [dict(row) for row in rows]


async def fan_out_now(pool: Pool, settings: Settings, clock: FakeClock, event_id: int) -> None:
    """Write a send's deliveries here and now, as its job would."""
    assert settings.redis_url is not None
    queue_pool = await jobs.connect(settings.redis_url)
    mailing_id = await pool.fetchval("SELECT id FROM update_mailings WHERE event_id = $1", event_id)
    try:
        await fan_out_mailing(
            pool, jobs.JobQueue(queue_pool), Tokens(TEST_SECRET), clock, mailing_id
        )
    finally:
        await queue_pool.aclose()
