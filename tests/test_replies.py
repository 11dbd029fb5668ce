"""What comes back: Twilio's reports and texts (signed, or refused), officials' replies by email,
and bounce reports. Each lands once, however often it is delivered."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import httpx
import pytest
from twilio.request_validator import RequestValidator

from campaign_engine.db.pool import Pool
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from tests.conftest import TEST_SECRET, Drain
from tests.factories import add_target, make_action, make_confirmed_signatures
from tests.smtp import RecordingHandler
from tests.twilio import AUTH_TOKEN, TwilioRecord


def twilio_signed(path: str, form: dict[str, str]) -> dict[str, str]:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"http://testserver{path}", form)
    return {"X-Twilio-Signature": signature}


async def text_us(client: httpx.AsyncClient, sender: str, body: str, sid: str) -> httpx.Response:
    form = {"From": sender, "To": "+15005550006", "Body": body, "MessageSid": sid}
    return await client.post(
        "/webhooks/twilio/sms", data=form, headers=twilio_signed("/webhooks/twilio/sms", form)
    )


async def an_appeal_sent_by_text(pool: Pool, drain: Drain) -> tuple[str, int, str, str]:
    """(action slug, target id, the official's number, the appeal's delivery id)."""
    slug = await make_action(pool)
    target_id, phone = await add_target(pool, slug, channel="sms", preferred_locale="ru")
    await make_confirmed_signatures(pool, slug, 1)
    await drain()
    delivery_id = await pool.fetchval(
        "SELECT id FROM deliveries WHERE target_id = $1 AND status = 'sent'", target_id
    )
    assert delivery_id is not None
    return slug, target_id, phone, str(delivery_id)


async def case_replies(pool: Pool, slug: str) -> list[dict[str, object]]:
    rows = await pool.fetch(
        """SELECT e.kind, e.channel, e.sender, e.subject, e.body, e.published
           FROM case_events e JOIN actions a ON a.case_id = e.case_id
           WHERE a.slug = $1 ORDER BY e.id""",
        slug,
    )
    return [dict(row) for row in rows]


async def test_an_officials_text_joins_the_case_once_and_forgeries_are_refused(
    client: httpx.AsyncClient, pool: Pool, twilio: TwilioRecord, drain: Drain
) -> None:
    slug, _target, phone, _delivery = await an_appeal_sent_by_text(pool, drain)
    reply = "Мы рассмотрим дело."
    first = await text_us(client, phone, reply, "SM-reply-1")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/xml")
    replayed = await text_us(client, phone, reply, "SM-reply-1")
    assert replayed.status_code == 200

    forged_form = {"From": phone, "To": "+15005550006", "Body": "forged", "MessageSid": "SM-x"}
    forged = await client.post(
        "/webhooks/twilio/sms",
        data=forged_form,
        headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
    )
    assert forged.status_code == 403
    unsigned = await client.post("/webhooks/twilio/sms", data=forged_form)
    assert unsigned.status_code == 403

    assert await case_replies(pool, slug) == [
        {
            "kind": "reply",
            "channel": "sms",
            "sender": phone,
            "subject": None,
            "body": reply,
            "published": False,
        }
    ]


async def test_stop_start_and_help(
    client: httpx.AsyncClient, pool: Pool, twilio: TwilioRecord, drain: Drain
) -> None:
    _slug, target_id, phone, _delivery = await an_appeal_sent_by_text(pool, drain)
    await text_us(client, phone, " stop ", "SM-stop")
    assert (
        await pool.fetchval("SELECT status FROM target_contacts WHERE target_id = $1", target_id)
        == "blocked"
    )
    key = Tokens(TEST_SECRET).phone_key(phone)
    assert await pool.fetchval("SELECT count(*) FROM sms_opt_outs WHERE phone_key = $1", key) == 1

    await text_us(client, phone, "START", "SM-start")
    assert (
        await pool.fetchval("SELECT status FROM target_contacts WHERE target_id = $1", target_id)
        == "ok"
    )
    assert await pool.fetchval("SELECT count(*) FROM sms_opt_outs WHERE phone_key = $1", key) == 0

    help_answer = await text_us(client, phone, "help", "SM-help")
    assert "<Message>" in help_answer.text
    assert "STOP" in help_answer.text
    assert "Urgent Actions Test" in help_answer.text
    assert "срочн" in help_answer.text.lower(), "answered in the official's language"


@pytest.mark.parametrize(
    ("status", "error", "stored", "address"),
    [
        ("delivered", "", "delivered", "ok"),
        ("undelivered", "30005", "failed", "bouncing"),
        ("failed", "21610", "failed", "blocked"),
    ],
)
async def test_status_callbacks(
    client: httpx.AsyncClient,
    pool: Pool,
    twilio: TwilioRecord,
    drain: Drain,
    status: str,
    error: str,
    stored: str,
    address: str,
) -> None:
    _slug, target_id, _phone, delivery_id = await an_appeal_sent_by_text(pool, drain)
    path = f"/webhooks/twilio/status?d={delivery_id}"
    form = {"MessageSid": "SM-status", "MessageStatus": status, "ErrorCode": error}
    for _ in range(2):  # Twilio retries: the second changes nothing
        response = await client.post(path, data=form, headers=twilio_signed(path, form))
        assert response.status_code == 204
    row = await pool.fetchrow("SELECT status FROM deliveries WHERE id = $1::uuid", delivery_id)
    assert row is not None
    assert row["status"] == stored
    contact = await pool.fetchval(
        "SELECT status FROM target_contacts WHERE target_id = $1", target_id
    )
    assert contact == address
    forged = await client.post(path, data={**form, "MessageStatus": "failed"})
    assert forged.status_code == 403


# A bounce report as Postfix writes one (RFC 3464), returning our message's headers.
DSN = """From: MAILER-DAEMON@mx.example.net
To: bounces@example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

The mail system could not deliver your message.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {official}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B1
Content-Type: text/rfc822-headers

Message-ID: {message_id}
To: {official}
Subject: an appeal

--B1--
"""


def reply_to(appeal: EmailMessage, *, tagged_to: str | None, text: str) -> bytes:
    reply = EmailMessage()
    reply["From"] = appeal["To"]
    reply["To"] = tagged_to or "someone@example.net"
    reply["Subject"] = f"Re: {appeal['Subject']}"
    reply["Message-ID"] = make_msgid(domain="ministry.example.net")
    if tagged_to is None:
        reply["In-Reply-To"] = appeal["Message-ID"]
    reply.set_content(text)
    return bytes(reply)


async def an_appeal_sent_by_email(
    pool: Pool, drain: Drain, smtp: RecordingHandler
) -> tuple[str, int, EmailMessage]:
    slug = await make_action(pool)
    target_id, official = await add_target(pool, slug, preferred_locale="es")
    await make_confirmed_signatures(pool, slug, 1)
    await drain()
    [appeal] = smtp.to(official)
    return slug, target_id, appeal


async def test_an_officials_email_reply_joins_the_case(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    settings: Settings,
) -> None:
    slug, _target, appeal = await an_appeal_sent_by_email(pool, drain, smtp)
    tagged = str(appeal["Reply-To"])
    forward = {"Content-Type": "message/rfc822"}
    token = {"Authorization": f"Bearer {settings.inbound_email_token}"}

    by_tag = reply_to(appeal, tagged_to=tagged, text="Hemos recibido su carta.")
    refused = await client.post("/webhooks/email", content=by_tag, headers=forward)
    assert refused.status_code == 403
    for _ in range(2):
        answer = await client.post("/webhooks/email", content=by_tag, headers={**forward, **token})
        assert answer.status_code == 202
        assert answer.json() == {"recorded": "reply"}

    by_header = reply_to(appeal, tagged_to=None, text="Segunda respuesta.")
    await client.post("/webhooks/email", content=by_header, headers={**forward, **token})
    replies = await case_replies(pool, slug)
    assert [r["body"] for r in replies] == ["Hemos recibido su carta.", "Segunda respuesta."]
    assert replies[0]["subject"] == f"Re: {appeal['Subject']}"
    assert replies[0]["sender"] == appeal["To"].addresses[0].addr_spec


async def test_a_bounce_marks_the_address(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    settings: Settings,
) -> None:
    _slug, target_id, appeal = await an_appeal_sent_by_email(pool, drain, smtp)
    official = appeal["To"].addresses[0].addr_spec
    report = DSN.format(official=official, message_id=appeal["Message-ID"]).encode()
    answer = await client.post(
        "/webhooks/email",
        content=report,
        headers={"Authorization": f"Bearer {settings.inbound_email_token}"},
    )
    assert answer.json() == {"recorded": "bounce"}
    assert (
        await pool.fetchval("SELECT status FROM target_contacts WHERE target_id = $1", target_id)
        == "bouncing"
    )
    assert (
        await pool.fetchval("SELECT status FROM deliveries WHERE target_id = $1", target_id)
        == "bounced"
    )
