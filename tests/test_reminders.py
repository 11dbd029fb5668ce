"""One reminder for a signature still unconfirmed a day after it was made: in the signer's
language, never twice, never to a signature confirmed meanwhile, suspected, or on an action
that no longer takes signatures; and its link confirms like the first one."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from campaign_engine import jobs
from campaign_engine.db.pool import Pool
from campaign_engine.domain.signing.signatures import remind_unconfirmed
from campaign_engine.settings import Settings
from tests.clock import FakeClock
from tests.conftest import Drain
from tests.factories import confirmation_path, counted, make_action
from tests.smtp import RecordingHandler


def address(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@example.org"


async def remind(pool: Pool, settings: Settings, clock: FakeClock) -> int:
    """The worker's cron, once: the reminders due, queued and rung for."""
    assert settings.redis_url is not None
    connection = await jobs.connect(settings.redis_url)
    try:
        return await remind_unconfirmed(pool, jobs.JobQueue(connection), clock)
    finally:
        await connection.aclose()


async def reminders_for(pool: Pool, *slugs: str) -> int:
    """Reminders queued for these actions' signatures (other tests' stay out of it)."""
    async with pool.acquire() as conn:
        found: int = await conn.fetchval(
            "SELECT count(*) FROM deliveries d JOIN signatures s ON s.id = d.signature_id"
            " JOIN actions a ON a.id = s.action_id"
            " WHERE d.kind = 'confirmation_reminder' AND a.slug = ANY($1::text[])",
            list(slugs),
        )
    return found


async def age(pool: Pool, slugs: tuple[str, ...], by: timedelta) -> None:
    """Make these actions' signatures older, rather than move the clock: other tests' recent
    signatures in the same database stay out of the reminders' window."""
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE signatures SET created_at = created_at - $2::interval"
            " WHERE action_id IN (SELECT id FROM actions WHERE slug = ANY($1::text[]))",
            list(slugs),
            by,
        )


async def sign(client: httpx.AsyncClient, slug: str, email: str, **more: str) -> None:
    form = {"name": "Ana", "email": email, "country": "ES", **more}
    assert (await client.post(f"/es/actions/{slug}/sign", data=form)).status_code == 303


async def test_an_unconfirmed_signer_is_reminded_once_after_a_day(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    clock: FakeClock,
    settings: Settings,
) -> None:
    slug, closing = await make_action(pool), await make_action(pool)
    forgetful, confirmed, robot, late = (
        address(label) for label in ("forgetful", "confirmed", "robot", "late")
    )
    await sign(client, slug, forgetful)
    await sign(client, slug, confirmed)
    await sign(client, slug, robot, website="http://spam.example")  # the hidden field: suspected
    await sign(client, closing, late)
    await drain()
    await client.get(confirmation_path(smtp.to(confirmed)[0]))
    async with pool.acquire() as conn:
        await conn.execute("UPDATE actions SET status = 'closed' WHERE slug = $1", closing)

    await remind(pool, settings, clock)
    assert await reminders_for(pool, slug, closing) == 0, "not before a day has passed"
    await age(pool, (slug, closing), timedelta(hours=25))
    await remind(pool, settings, clock)
    assert await reminders_for(pool, slug, closing) == 1
    await remind(pool, settings, clock)
    assert await reminders_for(pool, slug, closing) == 1, "never twice"
    await drain()

    _first, reminder = smtp.to(forgetful)
    assert str(reminder["Subject"]).startswith("Recordatorio")
    assert reminder["Content-Language"] == "es"
    assert len(smtp.to(confirmed)) == 1
    assert smtp.to(robot) == []
    assert len(smtp.to(late)) == 1
    assert (await client.get(confirmation_path(reminder))).status_code == 303
    assert await counted(client, slug, 2) == 2

    another = address("another")
    await sign(client, slug, another)
    await age(pool, (slug,), timedelta(days=2))
    await remind(pool, settings, clock)
    assert await reminders_for(pool, slug) == 1, "none past two days"


async def test_a_reminder_confirmed_before_it_goes_is_not_sent(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    clock: FakeClock,
    settings: Settings,
) -> None:
    slug = await make_action(pool)
    email = address("quick")
    await sign(client, slug, email)
    await drain()
    await age(pool, (slug,), timedelta(hours=25))
    await remind(pool, settings, clock)
    assert await reminders_for(pool, slug) == 1
    await client.get(confirmation_path(smtp.to(email)[0]))
    await drain()
    assert len(smtp.to(email)) == 1, "confirmed before the reminder went: nothing more"
