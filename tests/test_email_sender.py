"""The SMTP sender against a real SMTP server: what each kind of answer means."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from campaign_engine.models import SendOutcome
from campaign_engine.senders.email import SmtpMailer, SmtpServer
from tests.smtp import STALL, TAKE_AND_HANG_UP, RecordingHandler, SmtpTestServer


def message(to: str = "ana@example.org") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Urgent Actions <actions@example.org>"
    mail["To"] = to
    mail["Subject"] = "Confirme tu firma"
    mail.set_content("Hola, Ana: ¿confirmas?")
    return mail


@pytest.fixture
def mailer(smtp_server: SmtpTestServer) -> SmtpMailer:
    return SmtpMailer(SmtpServer.from_url(smtp_server.url), step_timeout=2, send_timeout=1)


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


async def test_no_server_is_temporary() -> None:
    from campaign_engine.devmail import free_port

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
