"""Digests: an action may write to an official once a period instead of once per signature,
saying how many signed, from where, and the names of those who agreed to be named."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx

from campaign_engine.db.campaigns import authoring
from campaign_engine.db.pool import Pool
from campaign_engine.domain.delivery.digests import create_due_digests
from tests.clock import FakeClock
from tests.conftest import Drain
from tests.factories import add_target, make_action, make_confirmed_signatures
from tests.smtp import RecordingHandler
from tests.twilio import TwilioRecord

SIGNERS = [
    ("Ana Pérez", "MX", False),
    ("Hidden Person", "MX", True),
    ('=HYPERLINK("http://evil.example")', "FR", False),
]


async def in_digests(pool: Pool, slug: str, channel: str, digest_format: str = "list") -> None:
    async with pool.acquire() as conn:
        action_id = await conn.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
        await authoring.set_action_channel(
            conn, action_id, channel, "digest", timedelta(days=1), digest_format
        )


def tomorrow(clock: FakeClock) -> None:
    """To just after the next midnight UTC: the day's period is over."""
    now = clock.now()
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    clock.advance_to(midnight + timedelta(minutes=1))


async def test_a_daily_digest_by_email(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain, clock: FakeClock
) -> None:
    slug = await make_action(pool)
    _target, official = await add_target(pool, slug, preferred_locale="es")
    await in_digests(pool, slug, "email")
    await make_confirmed_signatures(pool, slug, 3, signers=SIGNERS)
    await drain()
    assert smtp.to(official) == [], "no appeal one by one"

    assert await create_due_digests(pool, clock) == 0, "the day is not over"
    tomorrow(clock)
    assert await create_due_digests(pool, clock) == 1
    assert await create_due_digests(pool, clock) == 0, "one digest per period"
    await drain()
    [digest] = smtp.to(official)
    assert digest["Subject"] == "3 personas han firmado la acción urgente UA " + slug
    body = digest.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "México: 2" in text
    assert "Francia: 1" in text
    assert "Ana Pérez (México)" in text
    assert "Hidden" not in text
    assert "Letter in es." in text


async def test_a_digest_with_a_spreadsheet_of_names(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain, clock: FakeClock
) -> None:
    slug = await make_action(pool)
    _target, official = await add_target(pool, slug, preferred_locale="en", salutations={})
    await in_digests(pool, slug, "email", "csv")
    await make_confirmed_signatures(pool, slug, 3, signers=SIGNERS)
    tomorrow(clock)
    await create_due_digests(pool, clock)
    await drain()
    [digest] = smtp.to(official)
    [attachment] = list(digest.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    content = attachment.get_payload(decode=True)
    assert isinstance(content, bytes)
    assert content.startswith("\ufeff".encode()), "Excel reads UTF-8 only with its mark"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [
        ["Name", "Country"],
        ["Ana Pérez", "Mexico"],
        ['\'=HYPERLINK("http://evil.example")', "France"],
    ], "a formula reaches the spreadsheet as text"


async def test_a_digest_by_text_and_none_for_an_empty_period(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    twilio: TwilioRecord,
    drain: Drain,
    clock: FakeClock,
) -> None:
    slug = await make_action(pool)
    _target, phone = await add_target(pool, slug, channel="sms", preferred_locale="fr")
    await in_digests(pool, slug, "sms")
    await make_confirmed_signatures(pool, slug, 3, signers=SIGNERS)
    tomorrow(clock)
    await create_due_digests(pool, clock)
    await drain()
    [text] = twilio.to(phone)
    assert text.body.startswith(f"Action urgente UA {slug} : 3 personnes ont signé.")
    assert "Mexique 2, France 1" in text.body

    tomorrow(clock)  # a day in which nobody signed
    await create_due_digests(pool, clock)
    await drain()
    assert len(twilio.to(phone)) == 1
