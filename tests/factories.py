"""Test data, made with the same authoring queries the product uses; every call makes its own
action (a fresh slug), so tests never see each other's signatures."""

from __future__ import annotations

import asyncio
import itertools
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from uuid import UUID

import httpx

from campaign_engine.db.campaigns import authoring
from campaign_engine.db.personal import supporters
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.signing import signatures
from campaign_engine.db.targets import targets
from campaign_engine.domain.delivery.appeals import create_appeals, wake_pacers
from campaign_engine.domain.signing.supporters import canonical_email
from campaign_engine.models.signing import SignatureRequest
from tests.conftest import TEST_SEALER


def email_key(email: str) -> bytes:
    """How the database finds a supporter by address: a keyed hash (sealing.py), since the
    address itself is sealed."""
    return TEST_SEALER.lookup_key(canonical_email(email))


def content(locale: str, slug: str) -> dict[str, str]:
    return {
        "title": f"Free the defender ({locale}) {slug}",
        "summary": f"Summary in {locale}.",
        "body": f"First paragraph in {locale}.\n\nSecond paragraph in {locale}.",
        "letter_subject": f"Letter subject in {locale}",
        "letter_body": f"Letter in {locale}.",
        "share_text": f"Share text in {locale}.",
        "person": f"Person ({locale})",
    }


async def make_action(
    pool: Pool,
    *,
    status: str = "open",
    locales: tuple[str, ...] = ("en", "fr", "es", "ar", "zh-Hans", "ru"),
    default_locale: str = "en",
    goal: int = 100,
    deadline: datetime | None = None,
    country: str = "MX",
    risk_category: str = "arbitrary_detention",
) -> str:
    """An action with a case (in Mexico, about arbitrary detention, unless told), published
    in `locales`; returns its slug."""
    slug = f"t-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn, conn.transaction():
        case_id = await authoring.upsert_case(
            conn,
            slug=f"case-{slug}",
            country=country,
            risk_category=risk_category,
            status="open",
            default_locale=default_locale,
        )
        for locale in locales:
            await authoring.upsert_case_translation(conn, case_id, locale, content(locale, slug))
        action_id = await authoring.upsert_action(
            conn,
            case_id=case_id,
            slug=slug,
            code=f"UA {slug}",
            status=status,
            deadline=deadline or datetime.now(UTC) + timedelta(days=30),
            goal=goal,
            default_locale=default_locale,
        )
        for locale in locales:
            await authoring.upsert_action_translation(
                conn, action_id, locale, content(locale, slug), published=True
            )
    return slug


def unique_email(name: str = "supporter") -> str:
    return f"{name}.{uuid.uuid4().hex[:10]}@example.org"


def confirmation_path(message: EmailMessage) -> str:
    """The path of the confirmation link in an email's text."""
    return link_path(message, "/confirm/")


def link_path(message: EmailMessage, start: str) -> str:
    """The path of the link in an email's text whose path begins with `start`."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(rf"http://testserver({re.escape(start)}\S+)", body.get_content())
    assert match is not None, f"no {start} link in the email"
    return match.group(1)


# Officials' numbers come from one counter per test run, so no two tests' officials share a number
# by chance: a shared number would make the language of an answer depend on which one is found.
_OFFICIALS_NUMBERS = itertools.count(uuid.uuid4().int % 10**7)


def an_officials_number() -> str:
    return f"+3364{next(_OFFICIALS_NUMBERS) % 10**7:07d}"


async def add_target(
    pool: Pool,
    slug: str,
    *,
    channel: str = "email",
    address: str | None = None,
    preferred_locale: str = "es",
    salutations: dict[str, str] | None = None,
    office_hours: dict[str, object] | None = None,
    time_zone: str = "UTC",
    max_per_hour: int | None = None,
    max_per_day: int | None = None,
    status: str = "ok",
) -> tuple[int, str]:
    """A target of the action `slug` on `channel`; returns (target id, its address)."""
    external_id = f"target-{uuid.uuid4().hex[:12]}"
    address = address or (
        f"{external_id}@example.org" if channel == "email" else an_officials_number()
    )
    async with pool.acquire() as conn, conn.transaction():
        target_id = await authoring.upsert_target(
            conn,
            external_id=external_id,
            name=f"Official {external_id[-4:]}",
            title="Minister",
            organisation="Ministry",
            country=None,
            time_zone=time_zone,
            office_hours=office_hours,
            preferred_locale=preferred_locale,
            salutations=salutations if salutations is not None else {"es": "Señora Ministra:"},
            max_per_hour=max_per_hour,
            max_per_day=max_per_day,
        )
        await authoring.add_target_contact(conn, target_id, channel, address)
        action_id = await conn.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
        await authoring.add_action_target(conn, action_id, target_id, channel)
        contact_id = await conn.fetchval(
            "SELECT id FROM target_contacts WHERE target_id = $1", target_id
        )
        await targets.set_contact_status(conn, contact_id, status)
    return target_id, address


def signature_request(
    email: str,
    *,
    country: str = "MX",
    locale: str = "en",
    client_address: str | None = None,
    consent_updates: bool = False,
) -> SignatureRequest:
    """A signature as a form hands it to the domain: Ana Signer's, with what is given."""
    return SignatureRequest(
        name="Ana Signer",
        email=email,
        country=country,
        phone=None,
        comment=None,
        consent_updates=consent_updates,
        consent_partner=False,
        consent_sms=False,
        anonymous=False,
        partner=None,
        source=None,
        locale=locale,
        client_address=client_address,
    )


async def signed(
    conn: Connection,
    action_id: int,
    email: str,
    *,
    name: str,
    locale: str = "en",
    country: str = "MX",
    phone: str | None = None,
    comment: str | None = None,
    source: str | None = None,
    partner: str | None = None,
    anonymous: bool = False,
) -> tuple[UUID, UUID]:
    """(supporter id, signature id) of a first, pending signature by `email`, written by the
    sign flow's own statement, with no email queued."""
    [made] = await supporters.insert_signers(
        conn,
        [
            supporters.NewSigner(
                signature_id=uuid.uuid4(),
                action_id=action_id,
                email=email,
                email_canonical=email.lower(),
                locale=locale,
                country=country,
                name=name,
                phone=phone,
                comment=comment,
                source=source,
                partner=partner,
                partner_id=None,
                utm=None,
                client_key=None,
                per_minute=0,
                per_hour=0,
                anonymous=anonymous,
                suspicion=None,
                confirmation_key=None,
            )
        ],
    )
    assert made.signature_id is not None, f"{email} had signed already"
    return made.supporter_id, made.signature_id


async def make_confirmed_signatures(
    pool: Pool,
    slug: str,
    count: int,
    *,
    with_appeals: bool = True,
    signers: list[tuple[str, str, bool]] | None = None,
) -> list[UUID]:
    """`count` confirmed signatures on the action `slug`, made with the product's own queries,
    their appeals held for the pacers (unless `with_appeals` is false). `signers` gives each
    one's (name, country, anonymous); by default "Signer <n>" from Mexico."""
    made = []
    people = signers or [(f"Signer {n}", "MX", False) for n in range(count)]
    async with pool.acquire() as conn:
        action_id = await conn.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
        for n, (name, country, anonymous) in enumerate(people):
            email = unique_email(f"signer{n}")
            async with conn.transaction():
                _supporter_id, signature_id = await signed(
                    conn, action_id, email, name=name, country=country, anonymous=anonymous
                )
                await signatures.confirm_pending_signature(conn, signature_id)
                if with_appeals:
                    await create_appeals(conn, signature_id, action_id)
            made.append(signature_id)
    if with_appeals:
        await wake_pacers(pool, [(t, c) for t, c in await _pairs_of(pool, slug)])
    return made


async def _pairs_of(pool: Pool, slug: str) -> list[tuple[int, str]]:
    rows = await pool.fetch(
        """SELECT target_id, channel FROM action_targets at JOIN actions a ON a.id = at.action_id
           WHERE a.slug = $1""",
        slug,
    )
    return [(row["target_id"], row["channel"]) for row in rows]


async def count(client: httpx.AsyncClient, slug: str) -> int:
    """The action's count, as the public API says it."""
    response = await client.get(f"/api/v1/actions/{slug}/count")
    assert response.status_code == 200
    confirmed: int = response.json()["confirmed"]
    return confirmed


async def counted(client: httpx.AsyncClient, slug: str, expected: int) -> int:
    """The count once it reads `expected`, or as it reads after three seconds: pages and the
    count are held for up to a second in each process (web/page_cache.py)."""
    deadline = asyncio.get_running_loop().time() + 3
    while (found := await count(client, slug)) != expected:
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    return found


async def page_once(
    client: httpx.AsyncClient, path: str, shows: Callable[[httpx.Response], bool]
) -> httpx.Response:
    """The page once `shows` holds for it, or as it is after five seconds. A held page learns
    of a write made elsewhere (another process, a test's own SQL) when PostgreSQL's
    notification reaches this app's listener, which may be just after the next request."""
    deadline = asyncio.get_running_loop().time() + 5
    while not shows(answer := await client.get(path)):
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    return answer
