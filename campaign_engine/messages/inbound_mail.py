"""Reading what mail providers forward to us: officials' replies, and bounce reports (DSNs).

Pure parsing, no database: which of our deliveries a message is about, and what it says.
A reply is tied to its delivery by the relay address's tag (`replies+<delivery id>@…`, which
survives mail clients that drop headers) or by `In-Reply-To`/`References` naming our
Message-ID (`<delivery-<id>@…>`). A bounce report (RFC 3464) names our Message-ID in the
returned headers.

Anyone can write to the relay address, so a message is read within limits (MAX_DEPTH,
MAX_PARTS): the standard parser recurses once per level of nesting and keeps every part, and
a few hundred kilobytes of nested multiparts would otherwise exhaust Python's recursion limit
or our time. What a message says is read leniently and returned storable: transfer encodings
are decoded as far as they go, a charset that is unknown or lies falls back to UTF-8, then
Windows-1252 (the usual liar); NUL and undecodable bytes become U+FFFD; lengths are capped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from email.headerregistry import AddressHeader, BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import Policy
from email.utils import getaddresses
from typing import Any
from uuid import UUID

_OUR_MESSAGE_ID = re.compile(r"<delivery-([0-9a-f-]{36})@[^>]+>", re.IGNORECASE)
_RELAY_TAG = re.compile(r"^[^@+]+\+([0-9a-f-]{36})@", re.IGNORECASE)
# The blind copy of an appeal a supporter sent from their own mailbox (messages/mailto.py).
_SENT_TAG = re.compile(r"^[^@+]+\+sent-([0-9a-f-]{36})@", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]+>")

# Containers inside containers (multipart/*, message/*). Real mail nests a handful: a reply
# forwarding a thread as an attachment, a bounce report returning it. Python's recursion limit
# is near 1,000 levels, shared with everything above the parser.
MAX_DEPTH = 32
# Parts in all, each block of a delivery status counted: a reply with its attachments, a
# report with what it returns. The parser keeps every part in memory and walks them all.
MAX_PARTS = 500
# Characters of a reply's text kept for the timeline (a long letter is some 20,000); what is
# cut is marked so, since a reply is evidence.
MAX_TEXT = 100_000
CUT = " […]"
# Characters of a header value kept: RFC 5322's limit for one line.
MAX_HEADER = 998
# A Message-ID longer than this is kept as its digest: it is a unique key (a replay records
# nothing new), and PostgreSQL's index takes at most some 2,700 bytes a row.
MAX_MESSAGE_ID = 250
_FALLBACK_CHARSETS = ("utf-8", "windows-1252")


class UnreadableMail(Exception):
    """A message we do not read: beyond our limits, or beyond what the standard parser
    survives. `reason` says which, in words fit for a log (nothing the message says)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# What the standard library's parser and header classes raise on hostile input, besides our
# own limits: malformed headers (HeaderParseError; IndexError and AttributeError from parser
# bugs, CPython issues 76359, 81091, 134155, 151857), encodings (UnicodeError is a ValueError;
# LookupError for a codec), and recursion in headers of thousands of nested comments.
_PARSER_FAILURES = (
    email_errors.MessageError,
    ValueError,
    LookupError,
    RecursionError,
    AttributeError,
)


class _LenientHeaders(HeaderRegistry):
    """The standard header classes, except that a header its class cannot parse is read as
    unstructured text, as it came. The parser raises on some malformed addresses and
    parameters (CPython issues 134155, 151857) and recurses once per nested comment; one bad
    Cc or Content-Type should not cost an official's reply."""

    def __call__(self, name: str, value: str) -> BaseHeader:
        try:
            return super().__call__(name, value)
        except _PARSER_FAILURES:
            return self[_UNPARSED](name, value)


_UNPARSED = "x-unparsed"  # a name no header class claims: the unstructured one
_LENIENT = policy.default.clone(header_factory=_LenientHeaders())


@dataclass
class _Budget:
    parts: int = 0


class _BoundedPart(EmailMessage):
    """A part that knows how deep it sits and counts itself against its message's budget.

    The parser makes every part with the policy's message factory and attaches it to its
    parent as soon as it begins, so the limits stop it at the first part too deep or too many,
    before its own recursion goes further.
    """

    def __init__(self, policy: Policy | None = None, budget: _Budget | None = None) -> None:
        super().__init__(policy)
        self.depth = 0
        self.budget = budget or _Budget()

    def attach(self, payload: Any) -> None:
        if isinstance(payload, _BoundedPart):
            payload.depth = self.depth + 1
            payload.budget = self.budget
            self.budget.parts += 1
            if payload.depth > MAX_DEPTH:
                raise UnreadableMail(f"nested deeper than {MAX_DEPTH}")
            if self.budget.parts > MAX_PARTS:
                raise UnreadableMail(f"more than {MAX_PARTS} parts")
        super().attach(payload)


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
    sent_by_supporter: UUID | None = None  # the appeal whose blind copy this is


def read_inbound(raw: bytes, relay_email: str) -> Inbound:
    """What a forwarded message is about; raises UnreadableMail for one we do not read."""
    try:
        return _read(_parse(raw), relay_email)
    except _PARSER_FAILURES as failure:
        raise UnreadableMail(f"the parser failed: {type(failure).__name__}") from failure


def _parse(raw: bytes) -> EmailMessage:
    budget = _Budget()  # this message's own: parts of one message share it

    def bounded_part(policy: Policy[Any]) -> _BoundedPart:
        return _BoundedPart(policy, budget)

    bounded = _LENIENT.clone(message_factory=bounded_part)
    message = BytesParser(policy=bounded).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _read(message: EmailMessage, relay_email: str) -> Inbound:
    if message.get_content_type() == "multipart/report":
        return Inbound(bounces=_bounces(message))
    sent = _tagged_delivery(message, relay_email, _SENT_TAG, ("Delivered-To", "X-Original-To"))
    if sent is not None:
        return Inbound(sent_by_supporter=sent)
    delivery_id = _tagged_delivery(message, relay_email, _RELAY_TAG, _REPLY_FIELDS)
    delivery_id = delivery_id or _answered_delivery(message)
    if delivery_id is None:
        return Inbound()
    return Inbound(
        reply=Reply(
            delivery_id=delivery_id,
            message_id=_message_id(message),
            sender=_readable(next(iter(_addresses(message, "From")), ""))[:MAX_HEADER],
            subject=" ".join(_readable(_header(message, "Subject")).split())[:MAX_HEADER],
            text=_capped(_text(message)),
        )
    )


def _header(message: Message, name: str) -> str:
    return str(message.get(name, ""))


def _addresses(message: Message, name: str) -> list[str]:
    """The addresses a header names, as its header class read them; for a header that has no
    class of its own (Delivered-To), as the older parser reads them; none from either parser's
    failure (the older one recurses once per nested comment too)."""
    found = []
    for header in message.get_all(name) or []:
        if isinstance(header, AddressHeader):
            found += [address.addr_spec for address in header.addresses]
            continue
        try:
            found += [address for _name, address in getaddresses([str(header)]) if address]
        except _PARSER_FAILURES:
            continue
    return found


def _message_id(message: EmailMessage) -> str:
    given = _readable(_header(message, "Message-ID").strip())
    if len(given) <= MAX_MESSAGE_ID:
        return given
    return "sha256:" + hashlib.sha256(given.encode()).hexdigest()


_REPLY_FIELDS = ("To", "Cc", "Delivered-To", "X-Original-To")


def _tagged_delivery(
    message: EmailMessage, relay_email: str, tag: re.Pattern[str], fields: tuple[str, ...]
) -> UUID | None:
    """The delivery named by our relay's address, tagged (`tag`), in one of `fields`. A blind
    copy is seen only where the receiving server wrote the envelope's recipient."""
    local, _at, domain = relay_email.lower().partition("@")
    for address in (found for name in fields for found in _addresses(message, name)):
        address = address.lower()
        match = tag.match(address)
        if match and address.startswith(f"{local}+") and address.endswith(f"@{domain}"):
            return _uuid(match.group(1))
    return None


def _answered_delivery(message: EmailMessage) -> UUID | None:
    answered = f"{_header(message, 'In-Reply-To')} {_header(message, 'References')}"
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
            recipient=_readable(_header(block, "Final-Recipient").rpartition(";")[2].strip()),
            permanent=_header(block, "Status").strip().startswith("5"),
            status=_readable(_header(block, "Status").strip())[:MAX_HEADER],
        )
        for block in statuses
        if _header(block, "Action").strip().lower() == "failed"
    ]


def _returned_delivery(part: Message) -> UUID | None:
    """Our delivery named by the Message-ID of the message a bounce report returns."""
    if part.get_content_type() == "message/rfc822":
        returned = part.get_payload()
        first = returned[0] if isinstance(returned, list) and returned else None
        headers = _header(first, "Message-ID") if isinstance(first, Message) else ""
    else:  # just the returned headers, as text
        raw = part.get_payload(decode=True)
        headers = raw.decode(errors="replace") if isinstance(raw, bytes) else ""
    match = _OUR_MESSAGE_ID.search(headers)
    return _uuid(match.group(1)) if match else None


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    payload = body.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    content = _decoded(raw, body.get_content_charset())
    if body.get_content_subtype() == "html":
        content = _HTML_TAG.sub(" ", content)
    return content.strip()


def _decoded(raw: bytes, charset: str | None) -> str:
    """Text in the charset it claims, else UTF-8, else Windows-1252 (which takes all but five
    bytes; those, and NUL, which PostgreSQL refuses, become U+FFFD)."""
    for candidate in (charset, *_FALLBACK_CHARSETS):
        if not candidate:
            continue
        try:
            text = raw.decode(candidate)
            text.encode("utf-8")  # some codecs (utf-7, unicode-escape) let lone surrogates by
        except (LookupError, UnicodeError):
            continue
        return text.replace("\x00", "\ufffd")
    return raw.decode("windows-1252", errors="replace").replace("\x00", "\ufffd")


def _readable(text: str) -> str:
    """A header's value as we can store it: the parser keeps 8-bit bytes it could not decode as
    lone surrogates, which no UTF-8 database takes; read them as a body's text is read."""
    try:
        raw = text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        raw = text.encode("utf-8", errors="replace")
    return _decoded(raw, "utf-8")


def _capped(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - len(CUT)] + CUT


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
