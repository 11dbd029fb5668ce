"""Email over SMTP, with every answer sorted into sent, temporary, permanent or ambiguous.

We drive the SMTP conversation step by step, because the step at which a connection dies
decides what it means: before DATA nothing was handed over, so trying again is safe; during
DATA the server may already hold the message (RFC 5321 §6.1), so the send is ambiguous.
"""

from __future__ import annotations

import asyncio
import enum
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from aiosmtplib.email import extract_recipients, extract_sender, flatten_message

from campaign_engine.models import SendOutcome, SendResult

STEP_TIMEOUT_SECONDS = 20
SEND_TIMEOUT_SECONDS = 40  # the whole conversation; the outbox lease is longer


@dataclass(frozen=True)
class SmtpServer:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # TLS from the first byte (smtps, port 465)
    start_tls: bool | None = None  # None: upgrade when the server offers STARTTLS

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """`smtp://user:pass@host:587`, `smtps://host:465`, `smtp://host:25?starttls=no`."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://host:port or smtps://host:port")
        use_tls = parts.scheme == "smtps"
        starttls = parse_qs(parts.query).get("starttls", [""])[0].lower()
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if use_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
            start_tls={"yes": True, "required": True, "no": False}.get(starttls),
        )


class SmtpMailer:
    def __init__(
        self,
        server: SmtpServer,
        step_timeout: float = STEP_TIMEOUT_SECONDS,
        send_timeout: float = SEND_TIMEOUT_SECONDS,
    ) -> None:
        self._server = server
        self._step_timeout = step_timeout
        self._send_timeout = send_timeout
        # The name we greet servers with (EHLO). Looked up once: aiosmtplib would otherwise
        # ask the resolver for it on every connection.
        self._local_hostname = socket.getfqdn()

    async def send(self, message: EmailMessage) -> SendResult:
        smtp = aiosmtplib.SMTP(
            hostname=self._server.hostname,
            port=self._server.port,
            username=self._server.username,
            password=self._server.password,
            use_tls=self._server.use_tls,
            start_tls=self._server.start_tls,
            timeout=self._step_timeout,
            local_hostname=self._local_hostname,
        )
        step = Step.CONNECT
        try:
            # aiosmtplib's timeout is per step; the whole conversation must also end in time,
            # well inside the outbox lease, or another worker could take the row meanwhile.
            async with asyncio.timeout(self._send_timeout):
                await smtp.connect()
                flat, mail_options = await _prepare(smtp, message)
                step = Step.SENDER
                await smtp.mail(_sender(message), options=mail_options)
                step = Step.RECIPIENT
                for recipient in extract_recipients(message):
                    await smtp.rcpt(recipient)
                step = Step.DATA
                response = await smtp.data(flat)
        except aiosmtplib.SMTPResponseException as refused:
            return _classify_refusal(refused.code, step)
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as failure:
            # Cut off during DATA, the server may hold the message already.
            outcome = SendOutcome.AMBIGUOUS if step is Step.DATA else SendOutcome.TEMPORARY
            return SendResult(outcome, f"{type(failure).__name__} at {step}")
        finally:
            await _close(smtp)
        return SendResult(SendOutcome.SENT, str(response.code))


class Step(enum.StrEnum):
    CONNECT = "connect"  # greeting, EHLO, STARTTLS, AUTH
    SENDER = "sender"  # MAIL FROM
    RECIPIENT = "recipient"  # RCPT TO
    DATA = "data"


def _sender(message: EmailMessage) -> str:
    sender = extract_sender(message)
    if sender is None:
        raise ValueError("a message needs a From header")
    return sender


async def _prepare(smtp: aiosmtplib.SMTP, message: EmailMessage) -> tuple[bytes, list[str]]:
    """The message as bytes, and the MAIL options the server's extensions call for.
    Addresses are ASCII (the signing form asks for that), so SMTPUTF8 is never needed."""
    if smtp.is_ehlo_or_helo_needed:
        await smtp.ehlo()
    if smtp.supports_extension("8BITMIME"):
        return flatten_message(message, cte_type="8bit"), ["BODY=8BITMIME"]
    return flatten_message(message, cte_type="7bit"), []


def _classify_refusal(code: int, step: Step) -> SendResult:
    """4xx: come back later. 5xx to a recipient or to the message itself: this message will
    never be taken. 5xx before that (a refused login, a refused sender) is about our own
    account or relay, not this message: retry, so mail waits while someone fixes it."""
    detail = f"SMTP {code} at {step}"
    if 500 <= code < 600 and step is Step.RECIPIENT:  # the address itself is refused
        return SendResult(SendOutcome.PERMANENT, detail, address_status="bouncing")
    if 500 <= code < 600 and step is Step.DATA:
        return SendResult(SendOutcome.PERMANENT, detail)
    return SendResult(SendOutcome.TEMPORARY, detail)


async def _close(smtp: aiosmtplib.SMTP) -> None:
    if not smtp.is_connected:
        return
    try:
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> SendResult: ...
