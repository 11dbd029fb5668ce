"""The development mailbox: a real SMTP server that keeps every message it is handed.

`make dev` points SMTP_URL at it, so confirmation emails travel through the same SMTP client
and conversation as in production, and land in a Maildir under DATA_DIR instead of the world.
`/dev/mail` shows them. Development only; aiosmtpd comes with the `embedded` extra.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any


def free_port() -> int:
    # aiosmtpd's controller checks its own port by connecting to it, so port 0 will not do.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class DevSmtpServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._controller: Any = None

    def start(self) -> str:
        """Start listening on 127.0.0.1; returns the SMTP_URL to send to."""
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Mailbox

        self.folder.parent.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self._controller = Controller(Mailbox(self.folder), hostname="127.0.0.1", port=port)
        self._controller.start()
        return f"smtp://127.0.0.1:{port}"

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass(frozen=True)
class CaughtMail:
    to: str
    sender: str
    subject: str
    headers: dict[str, str]
    text: str
    html: str

    def as_json(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "from": self.sender,
            "subject": self.subject,
            "headers": self.headers,
            "text": self.text,
            "html": self.html,
        }


def read_mailbox(folder: Path, limit: int = 200) -> list[CaughtMail]:
    """What the development SMTP server caught, newest first."""
    paths = [
        path
        for subfolder in ("new", "cur")
        if (folder / subfolder).is_dir()
        for path in (folder / subfolder).iterdir()
    ]
    paths.sort(key=lambda path: (path.stat().st_mtime_ns, path.name), reverse=True)
    return [_parse(path.read_bytes()) for path in paths[:limit]]


def _parse(raw: bytes) -> CaughtMail:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    headers: dict[str, str] = {}
    for name, value in message.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else str(value)
    return CaughtMail(
        to=str(message.get("To", "")),
        sender=str(message.get("From", "")),
        subject=str(message.get("Subject", "")),
        headers=headers,
        text=_body(message, "plain"),
        html=_body(message, "html"),
    )


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    assert isinstance(part, EmailMessage)
    content: str = part.get_content()
    return content
