"""The SMTP sender against a real SMTP server: what each kind of answer means."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from campaign_engine.messages.mime import Content, Mailbox, OutgoingEmail, write_message
from campaign_engine.models.delivery import SendOutcome
from campaign_engine.senders.email import SmtpMailer, SmtpServer
from tests.smtp import (
    ACCEPT_THEN_HANG_UP,
    STALL,
    TAKE_AND_HANG_UP,
    RecordingHandler,
    SmtpTestServer,
)


def message(to: str = "ana@example.org") -> OutgoingEmail:
    return write_message(
        [("From", Mailbox("Urgent Actions", "actions@example.org")), ("To", Mailbox("", to))],
        Content("Hola, Ana: ¿confirmas?", "<p>Hola, Ana: ¿confirmas?</p>"),
        sender="actions@example.org",
        to=to,
    )


@pytest.fixture
async def mailer(smtp_server: SmtpTestServer) -> AsyncIterator[SmtpMailer]:
    mailer = SmtpMailer(SmtpServer.from_url(smtp_server.url), step_timeout=2, send_timeout=1)
    yield mailer
    await mailer.close()


@pytest.mark.parametrize(
    ("data_answer", "outcome", "detail"),
    [
        ("accept", SendOutcome.SENT, "250"),
        ("451 4.3.0 Try again later", SendOutcome.TEMPORARY, "SMTP 451 at data"),
        ("554 5.7.1 Message refused", SendOutcome.PERMANENT, "SMTP 554 at data"),
        (TAKE_AND_HANG_UP, SendOutcome.AMBIGUOUS, "SMTPServerDisconnected at data"),
        (STALL, SendOutcome.AMBIGUOUS, "TimeoutError at data"),
    ],
)
async def test_each_answer_to_data(
    mailer: SmtpMailer,
    smtp: RecordingHandler,
    data_answer: str,
    outcome: SendOutcome,
    detail: str,
) -> None:
    smtp.script.append(data_answer)
    result = await mailer.send(message())
    assert (result.outcome, result.detail) == (outcome, detail)


async def test_a_refused_sender_is_temporary(mailer: SmtpMailer, smtp: RecordingHandler) -> None:
    smtp.sender_script.append("530 5.7.0 Authentication required")
    result = await mailer.send(message())
    assert (result.outcome, result.detail) == (SendOutcome.TEMPORARY, "SMTP 530 at sender")


async def test_one_connection_carries_many_messages(
    mailer: SmtpMailer, smtp: RecordingHandler
) -> None:
    for n in range(3):
        assert (await mailer.send(message(f"official{n}@example.org"))).outcome is SendOutcome.SENT
    assert len(set(smtp.peers())) == 1


async def test_a_kept_connection_the_server_closed_is_replaced(
    mailer: SmtpMailer, smtp: RecordingHandler
) -> None:
    smtp.script.append(ACCEPT_THEN_HANG_UP)
    assert (await mailer.send(message())).outcome is SendOutcome.SENT
    await asyncio.sleep(0.2)  # the server hangs up
    assert (await mailer.send(message())).outcome is SendOutcome.SENT
    assert len(set(smtp.peers())) == 2


async def test_a_kept_connection_refused_with_421_is_replaced(
    mailer: SmtpMailer, smtp: RecordingHandler
) -> None:
    """421 is how a server says it is closing this connection; the message itself was never
    offered, so a new connection tries it at once."""
    assert (await mailer.send(message())).outcome is SendOutcome.SENT
    smtp.sender_script.append("421 4.7.0 Too many messages on this connection")
    assert (await mailer.send(message())).outcome is SendOutcome.SENT
    assert len(smtp.peers()) == len(set(smtp.peers())) == 2


async def test_a_new_connection_refused_with_421_waits(
    mailer: SmtpMailer, smtp: RecordingHandler
) -> None:
    smtp.sender_script.append("421 4.7.0 Try again later")
    result = await mailer.send(message())
    assert (result.outcome, result.detail) == (SendOutcome.TEMPORARY, "SMTP 421 at sender")
    assert smtp.peers() == []


async def test_no_server_is_temporary() -> None:
    from campaign_engine.dev.mailbox import free_port

    mailer = SmtpMailer(SmtpServer.from_url(f"smtp://127.0.0.1:{free_port()}"))
    result = await mailer.send(message())
    assert result.outcome is SendOutcome.TEMPORARY
    assert result.detail.endswith("at connect")


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://mail.example.org", SmtpServer("mail.example.org", 25)),
        (
            "smtps://user%40org:p%3Ass@mail.example.org",
            SmtpServer("mail.example.org", 465, "user@org", "p:ss", use_tls=True),
        ),
        (
            "smtp://mail.example.org:587?starttls=required",
            SmtpServer("mail.example.org", 587, start_tls=True),
        ),
    ],
)
def test_smtp_urls(url: str, server: SmtpServer) -> None:
    assert SmtpServer.from_url(url) == server


def test_a_wrong_smtp_url_is_refused() -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpServer.from_url("http://mail.example.org")
