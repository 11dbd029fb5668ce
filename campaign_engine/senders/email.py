"""Email over SMTP, with every answer sorted into sent, temporary, permanent or ambiguous.

We drive the SMTP conversation step by step, because the step at which a connection dies
decides what it means: before DATA nothing was handed over, so trying again is safe; during
DATA the server may already hold the message (RFC 5321 §6.1), so the send is ambiguous.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from aiosmtplib.email import extract_recipients, extract_sender, flatten_message

from campaign_engine.models import SendOutcome, SendResult

SMTP_TIMEOUT_SECONDS = 30


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
    def __init__(self, server: SmtpServer, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        self._server = server
        self._timeout = timeout

    async def send(self, message: EmailMessage) -> SendResult:
        smtp = aiosmtplib.SMTP(
            hostname=self._server.hostname,
            port=self._server.port,
            username=self._server.username,
            password=self._server.password,
            use_tls=self._server.use_tls,
            start_tls=self._server.start_tls,
            timeout=self._timeout,
        )
        handed_over = False
        try:
            await smtp.connect()
            flat, mail_options = await _prepare(smtp, message)
            await smtp.mail(_sender(message), options=mail_options)
            for recipient in extract_recipients(message):
                await smtp.rcpt(recipient)
            handed_over = True
            response = await smtp.data(flat)
        except aiosmtplib.SMTPResponseException as refused:
            return _classify_refusal(refused.code)
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as failure:
            outcome = SendOutcome.AMBIGUOUS if handed_over else SendOutcome.TEMPORARY
            return SendResult(outcome, type(failure).__name__)
        finally:
            await _close(smtp)
        return SendResult(SendOutcome.SENT, str(response.code))


def _sender(message: EmailMessage) -> str:
    sender = extract_sender(message)
    if sender is None:
        raise ValueError("a message needs a From header")
    return sender


async def _prepare(smtp: aiosmtplib.SMTP, message: EmailMessage) -> tuple[bytes, list[str]]:
    """The message as bytes, and the MAIL options the server's extensions call for."""
    if smtp.is_ehlo_or_helo_needed:
        await smtp.ehlo()
    addresses = [_sender(message), *extract_recipients(message)]
    utf8 = not all(address.isascii() for address in addresses)
    options = ["SMTPUTF8"] if utf8 else []
    eight_bit = smtp.supports_extension("8BITMIME")
    if eight_bit:
        options.append("BODY=8BITMIME")
    return flatten_message(message, utf8=utf8, cte_type="8bit" if eight_bit else "7bit"), options


def _classify_refusal(code: int) -> SendResult:
    # 4xx: the server asks us to come back later. 5xx: it will never take this message.
    if 400 <= code < 500:
        return SendResult(SendOutcome.TEMPORARY, f"SMTP {code}")
    return SendResult(SendOutcome.PERMANENT, f"SMTP {code}")


async def _close(smtp: aiosmtplib.SMTP) -> None:
    if not smtp.is_connected:
        return
    try:
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> SendResult: ...
