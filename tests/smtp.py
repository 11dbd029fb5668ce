"""A real SMTP server for the tests (aiosmtpd), which keeps what it receives and can be told to
misbehave: answer the next messages with a refusal, or hang up after taking one."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from campaign_engine.dev.mailbox import free_port

# What the server does with the next messages, in order: "accept", a reply such as
# "451 4.3.0 Try again later", "take-and-hang-up" (keep the message, close before replying),
# "accept-then-hang-up" (keep the message, reply, then close the idle connection, as servers
# do with connections left open too long), or "stall" (say nothing for a long while).
TAKE_AND_HANG_UP = "take-and-hang-up"
ACCEPT_THEN_HANG_UP = "accept-then-hang-up"
STALL = "stall"


@dataclass
class Received:
    envelope_to: list[str]
    message: EmailMessage
    peer: Any  # the client's end of the connection it came on


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    script: list[str] = field(default_factory=list)  # answers to DATA
    sender_script: list[str] = field(default_factory=list)  # answers to MAIL FROM
    recipient_script: list[str] = field(default_factory=list)  # answers to RCPT TO
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self._lock:
            answer = self.recipient_script.pop(0) if self.recipient_script else None
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self._lock:
            answer = self.sender_script.pop(0) if self.sender_script else None
        if answer is not None:
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            action = self.script.pop(0) if self.script else "accept"
        if action == STALL:
            await asyncio.sleep(5)
            return "250 OK"
        if action not in ("accept", TAKE_AND_HANG_UP, ACCEPT_THEN_HANG_UP):
            return action
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.received.append(
                Received([str(to) for to in envelope.rcpt_tos], message, session.peer)
            )
        assert isinstance(server.transport, asyncio.Transport)
        if action == TAKE_AND_HANG_UP:
            server.transport.abort()
        if action == ACCEPT_THEN_HANG_UP:
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        return "250 OK"

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.script.clear()
            self.sender_script.clear()
            self.recipient_script.clear()

    def peers(self) -> list[Any]:
        """The connection each message came on, oldest first."""
        with self._lock:
            return [r.peer for r in self.received]

    def to(self, address: str) -> list[EmailMessage]:
        """Messages received for one address, oldest first."""
        with self._lock:
            return [r.message for r in self.received if address in r.envelope_to]


class SmtpTestServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self._controller: Any = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
