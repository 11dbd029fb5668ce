"""The messages we write by hand read back exactly, through the `email` package's own parser."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parseaddr

import pytest

from campaign_engine.messages.mime import Attachment, Content, Mailbox, write_message

NAMES = [
    "Ana Pérez",
    "李伟",
    "مريم الحسن",
    'Jo "the Voice" O\'Brien, Jr.',
    "someone@evil.example <x@y>",
    ("Ünïcödé " * 12).strip(),  # long enough to fold
    "Zoë 🕊️",
    "",
]
SUBJECTS = [
    "Free the defender",
    "Liberen a la defensora María Fernández ya",
    "立即释放人权捍卫者",
    "أفرجوا عن المدافعة",
    "A subject that goes on " * 8,
    "Ünïcödé subject that goes on " * 6,
    "=?utf-8?q?looks_encoded?= but is not",
    "https://example.org/" + "a-very-long-path" * 8,  # no space to fold at
]
TEXTS = [
    "Estimado Ministro,\n\nLibere a la defensora.\n",
    "尊敬的部长：\n\n请立即释放她。\n" * 30,
    "سيادة الوزير،\n\nنطالبكم بالإفراج عنها.\n",
    ".a line starting with a dot\nFrom the start of a line\ntrailing spaces   \n",
    "one very long paragraph " * 80 + "\n",  # well past 998 bytes in one line
    "windows\r\nline\rendings\r\n",
    "",
]


def read_back(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def written(name: str, subject: str, text: str, **content: object) -> bytes:
    return write_message(
        [
            ("From", Mailbox(name, "actions@example.org")),
            ("To", Mailbox("Ministro", "ministro@example.org")),
            ("Subject", subject),
            ("Message-ID", "<delivery-1@example.org>"),
            ("Content-Language", "es"),
        ],
        Content(text, f"<p>{text}</p>", **content),  # type: ignore[arg-type]
        sender="actions@example.org",
        to="ministro@example.org",
    ).data


def assert_clean(data: bytes) -> None:
    assert data.isascii(), "seven-bit clean: any relay takes it"
    assert all(len(line) <= 998 for line in data.split(b"\r\n")), "RFC 5322's line limit"
    assert b"\n" not in data.replace(b"\r\n", b""), "CRLF line ends only"
    message = read_back(data)
    for part in message.walk():
        assert not part.defects, part.defects


@pytest.mark.parametrize("name", NAMES)
def test_names_read_back(name: str) -> None:
    data = written(name, "Subject", "Text")
    assert_clean(data)
    # Python 3.11's modern parser puts a space between the encoded words of a folded name,
    # which RFC 2047 §6.2 says to ignore; the older decoder follows the RFC.
    raw = message_from_bytes(data, policy=policy.compat32)["From"]
    assert parseaddr(str(make_header(decode_header(raw)))) == (name, "actions@example.org")


@pytest.mark.parametrize("subject", SUBJECTS)
def test_subjects_read_back(subject: str) -> None:
    data = written("Ana", subject, "Text")
    assert_clean(data)
    assert read_back(data)["Subject"] == subject


@pytest.mark.parametrize("text", TEXTS)
def test_bodies_read_back(text: str) -> None:
    data = written("Ana", "Subject", text)
    assert_clean(data)
    message = read_back(data)
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content().replace("\r\n", "\n") == expected
    assert html.get_content().replace("\r\n", "\n") == f"<p>{expected}</p>"
    assert message["Content-Language"] == "es"
    assert message["Message-ID"] == "<delivery-1@example.org>"


def test_chinese_goes_as_base64_and_spanish_as_quoted_printable() -> None:
    chinese = read_back(written("Ana", "Subject", TEXTS[1])).get_body(("plain",))
    spanish = read_back(written("Ana", "Subject", TEXTS[0])).get_body(("plain",))
    assert chinese is not None
    assert spanish is not None
    assert chinese["Content-Transfer-Encoding"] == "base64"
    assert spanish["Content-Transfer-Encoding"] == "quoted-printable"


@pytest.mark.parametrize("filename", ["UA-123-26.csv", "firmantes ñ.csv", 'say "hi".csv'])
def test_attachments_read_back(filename: str) -> None:
    table = "name,country\nAna,España\n".encode()
    data = written("Ana", "Subject", "Text", attachments=(Attachment(filename, "text/csv", table),))
    assert_clean(data)
    message = read_back(data)
    (attached,) = message.iter_attachments()
    assert attached.get_filename() == filename
    assert attached.get_content_type() == "text/csv"
    assert attached.get_content() == table.decode()
    assert message.get_body(("plain",)) is not None


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Subject", "Hello\r\nBcc: everyone@example.org"),
        ("Subject", "Hello\nBcc: everyone@example.org"),
        ("From", Mailbox("Ana\r\nBcc: everyone@example.org", "ana@example.org")),
        ("From", Mailbox("Ana", "ana@example.org>\r\nBcc: everyone@example.org")),
    ],
)
def test_a_header_cannot_start_another(header: str, value: str | Mailbox) -> None:
    with pytest.raises(ValueError, match="line break"):
        write_message(
            [(header, value)], Content("", ""), sender="a@example.org", to="b@example.org"
        )
