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
import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from campaign_engine.messages.mime import OutgoingEmail
from campaign_engine.models.delivery import SendOutcome, SendResult

STEP_TIMEOUT_SECONDS = 20
SEND_TIMEOUT_SECONDS = 40  # the whole conversation; the outbox lease is longer
QUIT_TIMEOUT_SECONDS = 2


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


# Connections are kept for the next message, so a fan-out of thousands costs a few greetings,
# not thousands. Relays limit how many messages one connection carries and drop connections
# left idle (RFC 5321 lets a server wait only five minutes), so ours retire before either.
MESSAGES_PER_CONNECTION = 100
IDLE_SECONDS = 30


@dataclass
class _Connection:
    smtp: aiosmtplib.SMTP
    carried: int = 0  # messages sent on it so far
    idle_since: float = 0.0


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
        self._idle: list[_Connection] = []
        self._closed = False

    async def send(self, message: OutgoingEmail) -> SendResult:
        # aiosmtplib's timeout is per step; the whole send must also end in time, well inside
        # the outbox lease, or another worker could take the row meanwhile.
        deadline = asyncio.get_running_loop().time() + self._send_timeout
        kept = self._take_idle()
        if kept is not None:
            result, gone = await self._send_on(kept, message, deadline)
            if not gone:
                return result
            # The server had hung up on the kept connection before it took anything: a new
            # connection is as safe to try as the first.
        result, _ = await self._send_on(self._new_connection(), message, deadline)
        return result

    async def _send_on(
        self, connection: _Connection, message: OutgoingEmail, deadline: float
    ) -> tuple[SendResult, bool]:
        """What came of the send, and whether a kept connection was found dead before MAIL
        FROM was answered."""
        smtp, step = connection.smtp, Step.CONNECT
        kept = connection.carried > 0
        try:
            async with asyncio.timeout_at(deadline):
                if not smtp.is_connected:
                    await smtp.connect()
                if smtp.is_ehlo_or_helo_needed:
                    await smtp.ehlo()
                step = Step.SENDER
                await smtp.mail(message.sender)
                step = Step.RECIPIENT
                for recipient in message.recipients:
                    await smtp.rcpt(recipient)
                step = Step.DATA
                response = await smtp.data(message.data)
        except aiosmtplib.SMTPResponseException as refused:
            await _close(smtp)
            gone = kept and step is Step.SENDER and refused.code == 421
            return _classify_refusal(refused.code, step), gone
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as failure:
            smtp.close()
            # Cut off during DATA, the server may hold the message already.
            outcome = SendOutcome.AMBIGUOUS if step is Step.DATA else SendOutcome.TEMPORARY
            gone = kept and step is Step.SENDER and not isinstance(failure, TimeoutError)
            return SendResult(outcome, f"{type(failure).__name__} at {step}"), gone
        except BaseException:  # cancelled, or a bug: the connection is in an unknown state
            smtp.close()
            raise
        await self._keep(connection)
        return SendResult(SendOutcome.SENT, str(response.code)), False

    def _new_connection(self) -> _Connection:
        return _Connection(
            aiosmtplib.SMTP(
                hostname=self._server.hostname,
                port=self._server.port,
                username=self._server.username,
                password=self._server.password,
                use_tls=self._server.use_tls,
                start_tls=self._server.start_tls,
                timeout=self._step_timeout,
                local_hostname=self._local_hostname,
            )
        )

    def _take_idle(self) -> _Connection | None:
        now, fresh = time.monotonic(), []
        for connection in self._idle:
            if connection.smtp.is_connected and now - connection.idle_since < IDLE_SECONDS:
                fresh.append(connection)
            else:
                connection.smtp.close()
        self._idle = fresh
        return self._idle.pop() if self._idle else None  # the most recently used

    async def _keep(self, connection: _Connection) -> None:
        connection.carried += 1
        if self._closed or connection.carried >= MESSAGES_PER_CONNECTION:
            await _close(connection.smtp)
            return
        connection.idle_since = time.monotonic()
        self._idle.append(connection)

    async def close(self) -> None:
        """Say goodbye on every kept connection; sends that end afterwards keep none."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await _close(connection.smtp)


class Step(enum.StrEnum):
    CONNECT = "connect"  # greeting, EHLO, STARTTLS, AUTH
    SENDER = "sender"  # MAIL FROM
    RECIPIENT = "recipient"  # RCPT TO
    DATA = "data"


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
    """QUIT, politely but briefly: the send it follows must still end inside its lease."""
    if not smtp.is_connected:
        return
    try:
        async with asyncio.timeout(QUIT_TIMEOUT_SECONDS):
            await smtp.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        smtp.close()


class Mailer(Protocol):
    async def send(self, message: OutgoingEmail) -> SendResult: ...

    async def close(self) -> None: ...
