"""Reading what mail providers forward to us: officials' replies, and bounce reports (DSNs).

Pure parsing, no database: which of our deliveries a message is about, and what it says.
A reply is tied to its delivery by the relay address's tag (`replies+<delivery id>@…`, which
survives mail clients that drop headers) or by `In-Reply-To`/`References` naming our
Message-ID (`<delivery-<id>@…>`). A bounce report (RFC 3464) names our Message-ID in the
returned headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from uuid import UUID

_OUR_MESSAGE_ID = re.compile(r"<delivery-([0-9a-f-]{36})@[^>]+>", re.IGNORECASE)
_RELAY_TAG = re.compile(r"^[^@+]+\+([0-9a-f-]{36})@", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Bounce:
    delivery_id: UUID
    recipient: str
    permanent: bool  # a 5.x.x status: the address will never take mail
    status: str


@dataclass(frozen=True)
class Reply:
    delivery_id: UUID
    message_id: str
    sender: str
    subject: str
    text: str


@dataclass(frozen=True)
class Inbound:
    bounces: list[Bounce] = field(default_factory=list)
    reply: Reply | None = None


def read_inbound(raw: bytes, relay_email: str) -> Inbound:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    if message.get_content_type() == "multipart/report":
        return Inbound(bounces=_bounces(message))
    delivery_id = _tagged_delivery(message, relay_email) or _answered_delivery(message)
    if delivery_id is None:
        return Inbound()
    return Inbound(
        reply=Reply(
            delivery_id=delivery_id,
            message_id=str(message.get("Message-ID", "")).strip(),
            sender=parseaddr(str(message.get("From", "")))[1],
            subject=" ".join(str(message.get("Subject", "")).split()),
            text=_text(message),
        )
    )


def _tagged_delivery(message: EmailMessage, relay_email: str) -> UUID | None:
    local, _at, domain = relay_email.lower().partition("@")
    fields = ("To", "Cc", "Delivered-To", "X-Original-To")
    headers = [str(value) for name in fields for value in message.get_all(name) or []]
    for _name, address in getaddresses(headers):
        address = address.lower()
        match = _RELAY_TAG.match(address)
        if match and address.startswith(f"{local}+") and address.endswith(f"@{domain}"):
            return _uuid(match.group(1))
    return None


def _answered_delivery(message: EmailMessage) -> UUID | None:
    answered = f"{message.get('In-Reply-To', '')} {message.get('References', '')}"
    match = _OUR_MESSAGE_ID.search(answered)
    return _uuid(match.group(1)) if match else None


def _bounces(report: EmailMessage) -> list[Bounce]:
    delivery_id = None
    statuses: list[Message] = []
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            statuses = [block for block in part.get_payload() if isinstance(block, Message)]
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            delivery_id = delivery_id or _returned_delivery(part)
    if delivery_id is None:
        return []
    return [
        Bounce(
            delivery_id=delivery_id,
            recipient=str(block.get("Final-Recipient", "")).rpartition(";")[2].strip(),
            permanent=str(block.get("Status", "")).strip().startswith("5"),
            status=str(block.get("Status", "")).strip(),
        )
        for block in statuses
        if str(block.get("Action", "")).strip().lower() == "failed"
    ]


def _returned_delivery(part: Message) -> UUID | None:
    """Our delivery named by the Message-ID of the message a bounce report returns."""
    if part.get_content_type() == "message/rfc822":
        returned = part.get_payload()
        first = returned[0] if isinstance(returned, list) and returned else None
        headers = str(first.get("Message-ID", "")) if isinstance(first, Message) else ""
    else:  # just the returned headers, as text
        raw = part.get_payload(decode=True)
        headers = raw.decode(errors="replace") if isinstance(raw, bytes) else ""
    match = _OUR_MESSAGE_ID.search(headers)
    return _uuid(match.group(1)) if match else None


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    assert isinstance(body, EmailMessage)
    content = str(body.get_content())
    if body.get_content_subtype() == "html":
        content = _HTML_TAG.sub(" ", content)
    return content.strip()


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
