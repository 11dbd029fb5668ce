"""A confirmed signature becomes appeals that reach each official, in the official's language,
by email and by text (through the real Twilio client and a local stand-in for its API)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import httpx

from campaign_engine.db.campaigns import authoring
from campaign_engine.db.pool import Pool
from tests.clock import FakeClock
from tests.conftest import Drain
from tests.factories import add_target, confirmation_path, make_action, unique_email
from tests.smtp import RecordingHandler
from tests.twilio import SENDER, TwilioRecord


async def sign_and_confirm(
    client: httpx.AsyncClient,
    smtp: RecordingHandler,
    drain: Drain,
    slug: str,
    **fields: str,
) -> str:
    """A supporter signs and confirms; returns their address."""
    email = fields.pop("email", None) or unique_email()
    form = {"name": "Ana Pérez", "email": email, "country": "MX", **fields}
    assert (await client.post(f"/fr/actions/{slug}/sign", data=form)).status_code == 303
    await drain()
    confirmed = await client.get(confirmation_path(smtp.to(email)[0]))
    assert confirmed.status_code == 303
    return email


# The slowest pace an action allows by default: one appeal per official per minute.
PACE = timedelta(minutes=1)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content.replace("\r\n", "\n")


async def test_an_appeal_reaches_the_official_in_their_language(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    _target, official = await add_target(pool, slug, preferred_locale="es")
    await sign_and_confirm(
        client, smtp, drain, slug, name="Ana Pérez", comment="Liberen a Inés, por favor."
    )
    assert smtp.to(official) == [], "held until the pacer lets it go"

    await drain()
    [appeal] = smtp.to(official)
    assert appeal["Subject"] == "Letter subject in es"
    assert appeal["Content-Language"] == "es"
    assert str(appeal["From"]) == "Ana Pérez vía Urgent Actions Test <actions@example.org>"
    assert str(appeal["Reply-To"]).startswith("replies+")
    assert str(appeal["Reply-To"]).endswith("@example.org")
    assert "Auto-Submitted" not in appeal, "a person's letter, not an automatic message"
    body = text_of(appeal)
    assert body.startswith("Señora Ministra:\n\nLetter in es.")
    assert "Liberen a Inés, por favor." in body
    assert "Ana Pérez\nMéxico\n" in body, "the country is named in the official's language"
    delivery = await pool.fetchrow(
        """SELECT d.id, d.status, d.kind FROM deliveries d JOIN actions a ON a.id = d.action_id
           WHERE a.slug = $1 AND d.kind = 'appeal'""",
        slug,
    )
    assert delivery is not None
    assert delivery["status"] == "sent"
    assert appeal["Message-ID"] == f"<delivery-{delivery['id']}@example.org>"


async def test_an_appeal_by_text_reaches_the_official_through_twilio(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    twilio: TwilioRecord,
    drain: Drain,
) -> None:
    slug = await make_action(pool)
    _target, phone = await add_target(
        pool,
        slug,
        channel="sms",
        preferred_locale="fr",
        salutations={"fr": "Monsieur le Ministre,"},
    )
    await sign_and_confirm(client, smtp, drain, slug, name="Zoë Martin")
    await drain()
    [text] = twilio.to(phone)
    assert text.sender == SENDER
    assert text.body.startswith("Monsieur le Ministre, Letter subject in fr")
    assert "Zoë Martin" in text.body
    assert "Mexique" in text.body
    assert text.status_callback is not None
    assert text.status_callback.startswith("http://testserver/webhooks/twilio/status?d=")
    stored = await pool.fetchrow(
        """SELECT d.status, d.provider_id FROM deliveries d JOIN actions a ON a.id = d.action_id
           WHERE a.slug = $1 AND d.kind = 'appeal'""",
        slug,
    )
    assert stored is not None
    assert dict(stored) == {"status": "sent", "provider_id": text.sid}


async def test_a_letter_falls_back_along_the_actions_languages(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool, locales=("en", "ru"), default_locale="en")
    _target, official = await add_target(pool, slug, preferred_locale="de", salutations={})
    await sign_and_confirm(client, smtp, drain, slug)
    await drain()
    [appeal] = smtp.to(official)
    assert appeal["Content-Language"] == "en"
    assert text_of(appeal).startswith("Dear Official ")


async def test_a_signer_may_stay_unnamed_and_have_replies_come_to_them(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain, clock: FakeClock
) -> None:
    slug = await make_action(pool)
    _target, official = await add_target(pool, slug, preferred_locale="es")
    await sign_and_confirm(client, smtp, drain, slug, name="Secret Person", anonymous="yes")
    await drain()
    [appeal] = smtp.to(official)
    assert "Secret" not in str(appeal["From"])
    assert "Secret" not in text_of(appeal)
    assert str(appeal["Reply-To"]).startswith("replies+"), "an unnamed signer is never exposed"

    async with pool.acquire() as conn:
        await conn.execute("UPDATE actions SET reply_to = 'supporter' WHERE slug = $1", slug)
    email = await sign_and_confirm(client, smtp, drain, slug, name="Open Person")
    clock.advance(PACE)  # the next slot for this official
    await drain()
    named = [m for m in smtp.to(official) if "Open Person" in str(m["From"])]
    assert len(named) == 1
    assert str(named[0]["Reply-To"]) == email


async def test_no_appeal_without_a_confirmed_signature_or_with_another_mode(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    _target, official = await add_target(pool, slug)
    await client.post(
        f"/en/actions/{slug}/sign",
        data={"name": "Unconfirmed", "email": unique_email(), "country": "FR"},
    )
    await drain()
    assert smtp.to(official) == []

    async with pool.acquire() as conn:
        action_id = await conn.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
        await authoring.set_action_channel(conn, action_id, "email", "none")
    await sign_and_confirm(client, smtp, drain, slug)
    await drain()
    assert smtp.to(official) == []
    appeals = await pool.fetchval(
        "SELECT count(*) FROM deliveries d JOIN actions a ON a.id = d.action_id WHERE a.slug = $1",
        slug,
    )
    assert appeals == 0


async def test_an_address_that_refuses_is_marked_and_not_written_to_again(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain, clock: FakeClock
) -> None:
    slug = await make_action(pool)
    target_id, official = await add_target(pool, slug)
    await sign_and_confirm(client, smtp, drain, slug)
    smtp.script.clear()
    smtp.recipient_script.append("550 5.1.1 No such mailbox")
    await drain()
    status = await pool.fetchval(
        "SELECT status FROM target_contacts WHERE target_id = $1", target_id
    )
    assert status == "bouncing"

    await sign_and_confirm(client, smtp, drain, slug)
    clock.advance(PACE)
    await drain()
    assert smtp.to(official) == []
    last_error = await pool.fetchval(
        """SELECT last_error FROM deliveries WHERE target_id = $1 ORDER BY created_at DESC
           LIMIT 1""",
        target_id,
    )
    assert last_error == "the official's address is bouncing or blocked"


async def test_twilio_refusals_are_sorted(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    twilio: TwilioRecord,
    drain: Drain,
) -> None:
    slug = await make_action(pool)
    _busy_target, busy = await add_target(pool, slug, channel="sms", preferred_locale="fr")
    twilio.script.append((429, 20429))  # too many requests: come back later
    await sign_and_confirm(client, smtp, drain, slug)
    await drain()
    assert len(twilio.to(busy)) == 1, "retried after the 429"

    slug = await make_action(pool)
    stopped_target, stopped = await add_target(pool, slug, channel="sms", preferred_locale="fr")
    twilio.script.append((400, 21610))  # the number texted STOP
    await sign_and_confirm(client, smtp, drain, slug)
    await drain()
    assert twilio.to(stopped) == []
    status = await pool.fetchval(
        "SELECT status FROM target_contacts WHERE target_id = $1", stopped_target
    )
    assert status == "blocked"
