"""Hostile mail at `/webhooks/email`: whatever a provider forwards, the answer is a 2xx (read,
or recorded as ignored) or a 4xx (the request itself was wrong), never a 5xx a provider would
retry for days.

The corpus is written here, byte by byte: nesting bombs, part floods, broken transfer
encodings, charsets that lie, 8-bit and NUL-laden headers, headers the header parser chokes
on. Every message is addressed to a real appeal's tagged relay address, so it is read all the
way to the case's timeline, where what it says must arrive readable.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from email import message_from_bytes, policy
from uuid import UUID

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign_engine.db.pool import Pool
from campaign_engine.messages.inbound_mail import (
    MAX_DEPTH,
    MAX_PARTS,
    MAX_TEXT,
    UnreadableMail,
    read_inbound,
)
from campaign_engine.settings import Settings
from tests.factories import add_target, make_action, make_confirmed_signatures

RELAY = "replies@example.org"
CRLF = b"\r\n"
# 19,200 characters that PostgreSQL's compression cannot shrink below an index row's limit.
INCOMPRESSIBLE = "".join(hashlib.sha256(bytes([n])).hexdigest() for n in range(150)).encode() * 2


def headers(delivery: UUID, name: str, *extra: bytes) -> bytes:
    """A reply's headers, tagged to `delivery`, with a Message-ID of its own."""
    lines = [
        b"From: Official <official@ministry.example.net>",
        f"To: replies+{delivery}@example.org".encode(),
        f"Subject: hostile {name}".encode(),
        f"Message-ID: <hostile-{name}-{delivery}@ministry.example.net>".encode(),
        b"MIME-Version: 1.0",
        *extra,
    ]
    return CRLF.join(lines) + CRLF


def nested_multiparts(delivery: UUID, depth: int) -> bytes:
    opening = b"".join(
        f'--b{level}\r\nContent-Type: multipart/mixed; boundary="b{level + 1}"\r\n\r\n'.encode()
        for level in range(depth - 1)
    )
    closing = b"".join(f"--b{level}--\r\n".encode() for level in reversed(range(depth)))
    innermost = f"--b{depth - 1}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n".encode()
    return (
        headers(delivery, f"nested-{depth}", b'Content-Type: multipart/mixed; boundary="b0"')
        + CRLF
        + opening
        + innermost
        + closing
    )


def sibling_parts(delivery: UUID, count: int) -> bytes:
    part = b"--s\r\nContent-Type: text/plain\r\n\r\nsibling\r\n"
    return (
        headers(delivery, f"siblings-{count}", b'Content-Type: multipart/mixed; boundary="s"')
        + CRLF
        + part * count
        + b"--s--\r\n"
    )


def nested_messages(delivery: UUID, depth: int) -> bytes:
    """A message inside a message inside a message…, as forwarding-as-attachment nests them."""
    wrapper = b"Content-Type: message/rfc822\r\n\r\n"
    inner = b"Subject: inner\r\n" + wrapper
    return (
        headers(delivery, f"rfc822-{depth}", b"Content-Type: message/rfc822")
        + CRLF
        + inner * depth
        + b"the end\r\n"
    )


def single(delivery: UUID, name: str, content_type: bytes, body: bytes, *extra: bytes) -> bytes:
    return headers(delivery, name, b"Content-Type: " + content_type, *extra) + CRLF + body + CRLF


# name -> (how to write it, what the webhook records). "reply": the official's words reach the
# timeline, decoded as well as they can be; "ignored": answered 202 and left out.
Writer = Callable[[UUID], bytes]
READABLE: dict[str, Writer] = {
    "base64-garbage": lambda d: single(
        d,
        "base64-garbage",
        b"text/plain; charset=utf-8",
        b"!!!not*base64@@@===\r\nSGVsbG8",
        b"Content-Transfer-Encoding: base64",
    ),
    "base64-unpadded": lambda d: single(
        d,
        "base64-unpadded",
        b"text/plain; charset=utf-8",
        base64.b64encode(b"Hemos recibido su carta.").rstrip(b"=")[:-1],
        b"Content-Transfer-Encoding: base64",
    ),
    "quoted-printable-broken": lambda d: single(
        d,
        "qp-broken",
        b"text/plain; charset=utf-8",
        b"Caf=C3=A9 =ZZ =4 soft=\r\nbreak=",
        b"Content-Transfer-Encoding: quoted-printable",
    ),
    "utf-8-that-is-latin-1": lambda d: single(
        d, "utf8-lie", b"text/plain; charset=utf-8", "Señor, recibimos su carta.".encode("latin-1")
    ),
    "unknown-charset": lambda d: single(
        d, "x-unknown", b"text/plain; charset=x-unknown", "Réponse reçue.".encode()
    ),
    "charset-rfc2231-garbage": lambda d: single(
        d, "rfc2231", b"text/plain; charset*=x-bogus''%FF%FE", b"Answer with a bogus charset."
    ),
    "charset-unterminated": lambda d: single(
        d, "unterminated", b'text/plain; charset="utf-8', b"Answer with a broken parameter."
    ),
    "html-only-latin-1-lie": lambda d: single(
        d,
        "html-lie",
        b"text/html; charset=utf-8",
        "<p>Recibimos <b>su carta</b>, señor.</p>".encode("latin-1"),
    ),
    "unknown-transfer-encoding": lambda d: single(
        d,
        "x-uuencode",
        b"text/plain",
        b"begin 644 reply.txt\r\n%%%garbage%%%\r\nend",
        b"Content-Transfer-Encoding: x-uuencode",
    ),
    "8-bit-headers": lambda d: (
        headers(
            d,
            "8bit",
            b"Content-Type: text/plain; charset=utf-8",
            b"X-Note: Jos\xe9 \xd0\x9c\xff",
            b"Comments: \xff\xfe\xfd",
        )
        .replace(b"Subject: hostile 8bit", b"Subject: R\xe9ponse \xd0\x9c\xd0\xb8\xff")
        .replace(b"From: Official", b"From: Jos\xe9 \xff Official")
        + CRLF
        + "Respuesta en ocho bits: señor.".encode()
    ),
    "nul-bytes": lambda d: (
        headers(d, "nul", b"Content-Type: text/plain; charset=utf-8").replace(
            b"Subject: hostile nul", b"Subject: hostile\x00nul"
        )
        + CRLF
        + b"Null\x00bytes\x00in the body."
    ),
    "encoded-word-lies": lambda d: (
        headers(d, "encoded-words", b"Content-Type: text/plain").replace(
            b"Subject: hostile encoded-words",
            b"Subject: =?x-unknown?B?SGVsbG8=?= =?utf-8?B?!!!?= =?utf-8?Q?caf=E9?= "
            b"=?utf-8?B?AA==?=",
        )
        + CRLF
        + b"Body."
    ),
    # The header parser raises IndexError or AttributeError on these (CPython issues 134155,
    # 151857): the reply is still read, from the rest of the message.
    "addresses-the-header-parser-chokes-on": lambda d: (
        headers(
            d, "bad-addresses", b"Content-Type: text/plain", b"Cc: (x): a@b.com;", b'Bcc: "'
        ).replace(b"From: Official <official@ministry.example.net>", b"From: !an??:=m==fr2@[C")
        + CRLF
        + b"Answer with broken addresses."
    ),
    "parameters-the-header-parser-chokes-on": lambda d: single(
        d, "bad-parameters", b"text/plain; charset=utf-8; name*", b"Answer with a broken name."
    ),
    "multipart-without-boundary": lambda d: single(
        d, "no-boundary", b"multipart/mixed", b"--x\r\nContent-Type: text/plain\r\n\r\nhello"
    ),
    "multipart-never-closed": lambda d: single(
        d,
        "never-closed",
        b'multipart/alternative; boundary="open"',
        b"--open\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nUnclosed answer.",
    ),
    "bare-line-feeds-and-lone-carriage-returns": lambda d: (
        headers(d, "newlines", b"Content-Type: text/plain").replace(CRLF, b"\n")
        + b"\nfirst\rsecond\n\rthird"
    ),
    "a-megabyte-subject": lambda d: (
        headers(d, "long-subject", b"Content-Type: text/plain").replace(
            b"Subject: hostile long-subject", b"Subject: " + b"x" * 1_000_000
        )
        + CRLF
        + b"Short body."
    ),
    "a-huge-message-id": lambda d: (
        headers(d, "long-id", b"Content-Type: text/plain").replace(
            f"Message-ID: <hostile-long-id-{d}".encode(), b"Message-ID: <" + INCOMPRESSIBLE
        )
        + CRLF
        + b"A reply whose Message-ID is longer than an index row."
    ),
    "a-long-body": lambda d: single(d, "long-body", b"text/plain", b"word " * 400_000),
    # Headers the standard header parser recurses into, once per parenthesis: read as
    # unstructured text instead.
    "nested-comments-in-from": lambda d: (
        headers(d, "comments", b"Content-Type: text/plain").replace(
            b"From: Official <official@ministry.example.net>",
            b"From: " + b"(" * 5_000 + b" official@ministry.example.net",
        )
        + CRLF
        + b"Body."
    ),
    "nested-comments-in-content-type": lambda d: (
        headers(d, "ct-comments", b"Content-Type: text/plain; charset=" + b"(" * 5_000)
        + CRLF
        + b"Body."
    ),
}

IGNORED: dict[str, Writer] = {
    "3,000-nested-multiparts": lambda d: nested_multiparts(d, 3_000),
    f"{MAX_DEPTH + 1}-nested-multiparts": lambda d: nested_multiparts(d, MAX_DEPTH + 1),
    "10,000-sibling-parts": lambda d: sibling_parts(d, 10_000),
    f"{MAX_PARTS + 1}-sibling-parts": lambda d: sibling_parts(d, MAX_PARTS + 1),
    "3,000-nested-messages": lambda d: nested_messages(d, 3_000),
    "a-bounce-report-of-nested-reports": lambda d: (
        b"From: MAILER-DAEMON@mx.example.net\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r0"\r\n\r\n'
        + b"".join(
            f'--r{n}\r\nContent-Type: multipart/report; boundary="r{n + 1}"\r\n\r\n'.encode()
            for n in range(2_000)
        )
    ),
}

NOT_MAIL = {
    "binary-noise": bytes(range(256)) * 64,
    "headers-only-garbage": b"\xff\xfe: \x00\r\n:\r\n\r\n",
    "a-lone-colon": b":",
}


@pytest.fixture(scope="module")
async def delivery(pool: Pool) -> UUID:
    """An appeal waiting to go to an official: replies tagged with its id find its case."""
    slug = await make_action(pool)
    target_id, _official = await add_target(pool, slug)
    await make_confirmed_signatures(pool, slug, 1)
    delivery_id = await pool.fetchval("SELECT id FROM deliveries WHERE target_id = $1", target_id)
    assert isinstance(delivery_id, UUID)
    return delivery_id


async def forward(client: httpx.AsyncClient, settings: Settings, raw: bytes) -> httpx.Response:
    return await client.post(
        "/webhooks/email",
        content=raw,
        headers={
            "Authorization": f"Bearer {settings.inbound_email_token}",
            "Content-Type": "message/rfc822",
        },
    )


@pytest.mark.parametrize("name", sorted(READABLE))
async def test_a_sloppy_reply_still_reaches_the_case_readably(
    client: httpx.AsyncClient, pool: Pool, settings: Settings, delivery: UUID, name: str
) -> None:
    raw = READABLE[name](delivery)
    answer = await forward(client, settings, raw)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"recorded": "reply"}
    rows = await pool.fetch(
        """SELECT e.subject, e.body, e.sender, e.source_ref FROM case_events e
           JOIN deliveries d ON d.action_id = e.action_id
           WHERE d.id = $1 AND e.kind = 'reply' ORDER BY e.id DESC LIMIT 1""",
        delivery,
    )
    [row] = rows
    for column in ("subject", "body", "sender", "source_ref"):
        value = row[column] or ""
        assert "\x00" not in value
        value.encode("utf-8")  # no lone surrogates left over from undecodable bytes
    assert len(row["body"]) <= MAX_TEXT
    # Replayed, it is the same reply: the provider's retry records nothing new.
    again = await forward(client, settings, raw)
    assert again.json() == {"recorded": "reply"}


async def test_what_sloppy_replies_say_is_kept(
    client: httpx.AsyncClient, pool: Pool, settings: Settings, delivery: UUID
) -> None:
    """The decoding falls back sensibly: a latin-1 reply labelled UTF-8 reads as latin-1."""
    for name in ("utf-8-that-is-latin-1", "unknown-charset", "html-only-latin-1-lie", "nul-bytes"):
        await forward(client, settings, READABLE[name](delivery))
    bodies = {
        row["body"]
        for row in await pool.fetch(
            "SELECT body FROM case_events e JOIN deliveries d ON d.action_id = e.action_id "
            "WHERE d.id = $1",
            delivery,
        )
    }
    assert "Señor, recibimos su carta." in bodies
    assert "Réponse reçue." in bodies
    assert "Recibimos  su carta , señor." in bodies
    assert "Null\ufffdbytes\ufffdin the body." in bodies  # PostgreSQL's text takes no NUL


@pytest.mark.parametrize("name", sorted(IGNORED))
async def test_a_mail_bomb_is_recorded_as_ignored(
    client: httpx.AsyncClient, pool: Pool, settings: Settings, delivery: UUID, name: str
) -> None:
    before = await pool.fetchval("SELECT count(*) FROM case_events")
    answer = await forward(client, settings, IGNORED[name](delivery))
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"recorded": "ignored"}
    assert await pool.fetchval("SELECT count(*) FROM case_events") == before


@pytest.mark.parametrize("name", sorted(NOT_MAIL))
async def test_noise_is_ignored(client: httpx.AsyncClient, settings: Settings, name: str) -> None:
    answer = await forward(client, settings, NOT_MAIL[name])
    assert answer.status_code == 202
    assert answer.json() == {"recorded": "ignored"}


async def test_a_request_without_a_message_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    for empty in (b"", b"\r\n \r\n"):
        answer = await forward(client, settings, empty)
        assert answer.status_code == 400


async def test_a_request_over_the_size_limit_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    answer = await forward(client, settings, b"x" * (25 * 1024 * 1024 + 1))
    assert answer.status_code == 413


def test_the_limits_allow_what_real_mail_does() -> None:
    """A forwarded thread: a reply quoting a message that quotes one with an attachment, each
    with its text and HTML, stays well inside the limits and is read."""
    quoted = (
        b"Subject: quoted\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n"
        b"--q\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
        b"--a\r\nContent-Type: text/plain\r\n\r\nold\r\n--a\r\nContent-Type: text/html\r\n\r\n"
        b"<p>old</p>\r\n--a--\r\n--q\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--q--\r\n"
    )
    raw = (
        b"From: o@ministry.example.net\r\nTo: replies+00000000-0000-0000-0000-000000000001"
        b"@example.org\r\nContent-Type: multipart/mixed; boundary=top\r\n\r\n"
        b"--top\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
        b"--top\r\nContent-Type: message/rfc822\r\n\r\n" + quoted + b"\r\n--top--\r\n"
    )
    inbound = read_inbound(raw, RELAY)
    assert inbound.reply is not None
    assert inbound.reply.text == "See below."


# Properties ---------------------------------------------------------------------------------

CONTENT_TYPES = [
    b"text/plain",
    b"text/plain; charset=utf-8",
    b"text/plain; charset=x-unknown",
    b'text/plain; charset="',
    b"text/html; charset=utf-16",
    b"text/plain; charset*=utf-8''%FF",
    b"message/rfc822",
    b"message/delivery-status",
    b"text/rfc822-headers",
    b"application/octet-stream",
]
ENCODINGS = [b"7bit", b"8bit", b"base64", b"quoted-printable", b"x-uuencode", b"binary", b"\xff"]
header_bytes = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@st.composite
def mime_parts(draw: st.DrawFn, depth: int = 0) -> bytes:
    """A part of a message, well-formed or nearly, with hostile pieces anywhere."""
    heads = [
        b"Subject: " + draw(header_bytes),
        b"From: " + draw(header_bytes),
        b"To: replies+00000000-0000-0000-0000-000000000001@example.org",
        b"Content-Transfer-Encoding: " + draw(st.sampled_from(ENCODINGS)),
    ]
    if depth < 3 and draw(st.booleans()):
        boundary = f"b{depth}".encode()
        children = draw(st.lists(mime_parts(depth + 1), max_size=3))
        body = b"".join(b"--" + boundary + CRLF + child + CRLF for child in children)
        subtype = draw(st.sampled_from([b"mixed", b"alternative", b"report", b"digest"]))
        heads.append(b"Content-Type: multipart/" + subtype + b"; boundary=" + boundary)
        return CRLF.join(heads) + CRLF + CRLF + body + b"--" + boundary + b"--"
    heads.append(b"Content-Type: " + draw(st.sampled_from(CONTENT_TYPES)))
    return CRLF.join(heads) + CRLF + CRLF + draw(st.binary(max_size=200))


def storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


@settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.one_of(mime_parts(), st.binary(max_size=2_000)))
def test_reading_any_message_gives_storable_text_or_says_it_is_unreadable(raw: bytes) -> None:
    try:
        inbound = read_inbound(raw, RELAY)
    except UnreadableMail:
        return
    if inbound.reply is not None:
        reply = inbound.reply
        assert all(map(storable, (reply.message_id, reply.sender, reply.subject, reply.text)))
        assert len(reply.text) <= MAX_TEXT
    for bounce in inbound.bounces:
        assert storable(bounce.recipient)
        assert storable(bounce.status)


def test_the_bombs_are_real() -> None:
    """Left to itself, the standard parser runs out of recursion on the corpus's bombs."""
    raw = nested_multiparts(UUID(int=1), 3_000)
    with pytest.raises(RecursionError):
        message_from_bytes(raw, policy=policy.default)
