"""Outgoing mail, written straight to bytes.

The `email` package builds a message by parsing every header it is given into objects, then
folds them all back on output: 1.3 ms a message, most of a fan-out's time. Ours have one
shape, text and HTML alternatives with at most a few attachments, so we write that shape
directly (about 0.1 ms; `campaign-engine bench fanout` went from 700 to 2,700 messages a
second) and lean on the standard library for the encodings: RFC 2047 words for headers,
quoted-printable or base64 for bodies. The result is 7-bit clean, so any relay takes it, and
`tests/test_mime.py` reads every kind of message back with the `email` package's parser.
"""

from __future__ import annotations

import base64
import quopri
import uuid
from dataclasses import dataclass
from email.header import Header
from email.utils import encode_rfc2231, formataddr

CRLF = b"\r\n"
# Header lines fold at spaces to stay under 78 characters; a longer word cannot.
LONGEST_WORD = 60
# No line of a message may be longer (RFC 5322 §2.1.1).
MAX_LINE = 998


@dataclass(frozen=True)
class Mailbox:
    name: str  # shown as is; an empty name shows the address alone
    email: str  # ASCII: the signing form and target records insist on it


@dataclass(frozen=True)
class Verbatim:
    """A header value written exactly as given, on one line: for values a program reads, such
    as the link in List-Unsubscribe, which no encoding or folding may touch."""

    text: str  # printable ASCII


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/csv"
    data: bytes


@dataclass(frozen=True)
class OutgoingEmail:
    """A message as SMTP carries it: the envelope, and the bytes."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class Content:
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


def write_message(
    headers: list[tuple[str, str | Mailbox | Verbatim]], content: Content, *, sender: str, to: str
) -> OutgoingEmail:
    """The message: `headers` in order (a Mailbox is written as an address), then the body."""
    lines = [_header(name, value) for name, value in headers]
    lines.append(b"MIME-Version: 1.0")
    lines.extend(_body(content))
    return OutgoingEmail(sender=sender, recipients=(to,), data=CRLF.join(lines) + CRLF)


def _header(name: str, value: str | Mailbox | Verbatim) -> bytes:
    if isinstance(value, Verbatim):
        line = f"{name}: {value.text}"
        if not (line.isascii() and line.isprintable()) or len(line) > MAX_LINE:
            raise ValueError(f"the {name} header cannot be written as it is")
        return line.encode("ascii")
    given = (value.name, value.email) if isinstance(value, Mailbox) else (value,)
    if any("\r" in text or "\n" in text for text in given):  # it could start another header
        raise ValueError(f"a line break in the {name} header")
    text = _address(name, value) if isinstance(value, Mailbox) else _unstructured(name, value)
    return f"{name}: {text}".encode("ascii")


def _unstructured(name: str, value: str) -> str:
    return Header(value, _charset(value), header_name=name).encode(linesep="\r\n")


def _address(name: str, mailbox: Mailbox) -> str:
    if not mailbox.email.isascii():
        raise ValueError(f"a non-ASCII address in the {name} header")
    if _charset(mailbox.name) == "us-ascii":
        return formataddr((mailbox.name, mailbox.email))  # quotes the name where it must
    phrase = Header(mailbox.name, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{phrase} <{mailbox.email}>"


def _charset(value: str) -> str:
    """Plain ASCII goes as it is, unless it looks like an encoded word (which a reader would
    decode), holds a control character (a NUL or a vertical tab has no place in a header line,
    RFC 5322 §3.2.5) or has a word too long to fold at a space: then it is encoded, like
    anything beyond ASCII, into words that may be split anywhere."""
    plain = value.isascii() and "=?" not in value and value.replace("\t", " ").isprintable()
    return (
        "us-ascii" if plain and max(map(len, value.split()), default=0) <= LONGEST_WORD else "utf-8"
    )


def _body(content: Content) -> list[bytes]:
    alternatives = _multipart(
        "alternative", [_text_part("plain", content.text), _text_part("html", content.html)]
    )
    if not content.attachments:
        return alternatives
    parts = [alternatives, *(_attachment(attachment) for attachment in content.attachments)]
    return _multipart("mixed", parts)


def _multipart(subtype: str, parts: list[list[bytes]]) -> list[bytes]:
    # "=_" cannot occur in a quoted-printable or base64 body, so the boundary never does.
    boundary = f"=_{uuid.uuid4().hex}".encode()
    lines = [b"Content-Type: multipart/" + subtype.encode() + b'; boundary="' + boundary + b'"']
    lines.append(b"")
    for part in parts:
        lines.append(b"--" + boundary)
        lines.extend(part)
    lines.append(b"--" + boundary + b"--")
    return lines


def _text_part(subtype: str, text: str) -> list[bytes]:
    # Text is encoded in its canonical form, every line ending CRLF (RFC 2045 §6.1).
    data = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n").encode()
    encoded, encoding = _encoded_text(data)
    return [
        f'Content-Type: text/{subtype}; charset="utf-8"'.encode(),
        b"Content-Transfer-Encoding: " + encoding,
        b"",
        encoded,
    ]


def _encoded_text(data: bytes) -> tuple[bytes, bytes]:
    """Quoted-printable keeps Latin text readable; base64 is the shorter for most scripts
    beyond it (a Chinese character takes nine bytes quoted, four in base64)."""
    quoted = quopri.encodestring(data)
    if len(quoted) <= len(data) * 4 // 3:
        return quoted, b"quoted-printable"  # CRLF in, CRLF out
    return _base64(data), b"base64"


def _attachment(attachment: Attachment) -> list[bytes]:
    name = attachment.filename
    if "\r" in name or "\n" in name:
        raise ValueError("a line break in an attachment's name")
    if name.isascii() and not set(name) & set('"\\'):
        filename = f'filename="{name}"'
    else:
        filename = f"filename*={encode_rfc2231(name, 'utf-8')}"
    charset = '; charset="utf-8"' if attachment.content_type.startswith("text/") else ""
    return [
        f"Content-Type: {attachment.content_type}{charset}".encode(),
        b"Content-Transfer-Encoding: base64",
        f"Content-Disposition: attachment; {filename}".encode(),
        b"",
        _base64(attachment.data),
    ]


def _base64(data: bytes) -> bytes:
    return base64.encodebytes(data).rstrip(b"\n").replace(b"\n", CRLF)
