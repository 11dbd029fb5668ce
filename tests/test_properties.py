"""Properties of the small functions that stand between supporters' input and the outside
world: email canonicalisation, phone normalisation, the sanitiser of campaign texts, CSV
escaping and header writing. Each holds for 10,000 generated examples (derandomized, so a
failure reproduces on every machine).

Pure functions only, no database.
"""

from __future__ import annotations

import csv
import html.parser
import io
import re
import string
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Iterable, Sequence
from typing import cast

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign_engine.domain.signing.supporters import canonical_email
from campaign_engine.domain.targets.target_fields import clean_phone
from campaign_engine.formats.countries import COUNTRY_CODES
from campaign_engine.formats.markup import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_SCHEMES,
    ALLOWED_TAGS,
    clean_html,
    markdown,
)
from campaign_engine.formats.spreadsheets import (
    BYTE_ORDER_MARK,
    FORMULA_STARTS,
    csv_bytes,
    csv_chunks,
    safe_cell,
)
from campaign_engine.messages.mime import Content, Mailbox, write_message
from campaign_engine.web.forms import canonical_phone
from tests.test_mime import read_back

# A battery: `make test` leaves it to `make test-slow` and CI.
pytestmark = pytest.mark.slow

EXAMPLES = 10_000
thorough = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Email canonicalisation --------------------------------------------------------------------

GMAIL = ("gmail.com", "googlemail.com", "GMail.com", "googlemail.COM")
OTHER_DOMAINS = ("example.org", "gmail.co", "mail.gmail.com", "gmail.com.evil.example", "yahoo.fr")
LOCAL_CHARACTERS = string.ascii_letters + string.digits + ".+-_!#$%&'*/=?^`{|}~"

local_parts = st.text(alphabet=LOCAL_CHARACTERS, min_size=1, max_size=40)
spaces = st.sampled_from(["", " ", "  ", "\t", "\n"])


@thorough
@given(st.text())
def test_canonical_email_is_idempotent_on_any_text(text: str) -> None:
    once = canonical_email(text)
    assert canonical_email(once) == once


@thorough
@given(local_parts, st.sampled_from(GMAIL + OTHER_DOMAINS), spaces, spaces)
def test_canonical_email_ignores_case_and_surrounding_space(
    local: str, domain: str, before: str, after: str
) -> None:
    email = f"{local}@{domain}"
    expected = canonical_email(email)
    assert canonical_email(email.swapcase()) == expected
    assert canonical_email(email.upper()) == expected
    assert canonical_email(f"{before}{email}{after}") == expected


@thorough
@given(local_parts, st.sampled_from(OTHER_DOMAINS))
def test_canonical_email_folds_nothing_beyond_case_elsewhere(local: str, domain: str) -> None:
    # Dots and +tags are the same mailbox only where the provider says so.
    assert canonical_email(f"{local}@{domain}") == f"{local}@{domain}".lower()


@thorough
@given(
    st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=30),
    st.lists(st.integers(min_value=0, max_value=30), max_size=5),
    st.one_of(st.none(), st.text(alphabet=LOCAL_CHARACTERS, max_size=20)),
    st.sampled_from(GMAIL),
)
def test_canonical_email_folds_gmail_dots_and_tags(
    mailbox: str, dots: list[int], tag: str | None, domain: str
) -> None:
    spelled = list(mailbox)
    for position in dots:
        spelled.insert(min(position, len(spelled)), ".")
    local = "".join(spelled) + ("" if tag is None else f"+{tag}")
    assert canonical_email(f"{local}@{domain}") == f"{mailbox.lower()}@gmail.com"


@thorough
@given(
    st.one_of(
        st.emails(),
        st.tuples(local_parts, st.sampled_from(GMAIL + OTHER_DOMAINS)).map("@".join),
    )
)
def test_canonical_email_takes_whatever_the_validator_accepts(email: str) -> None:
    try:
        valid = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return
    canonical = canonical_email(valid.normalized)
    local, at, domain = canonical.rpartition("@")
    assert at
    # "+news@gmail.com" is a valid address that folds to no mailbox at all: Gmail has no such
    # accounts, so all of them sharing one key merges no two people.
    assert local or domain == "gmail.com"
    assert domain == domain.lower()
    assert canonical_email(canonical) == canonical


# Phone normalisation -----------------------------------------------------------------------

E164 = re.compile(r"\+[1-9][0-9]{1,14}")
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS & set(COUNTRY_CODES))
countries = st.one_of(st.sampled_from(REGIONS), st.sampled_from(["", "ZZ", "XX", "gb", "001"]))
phone_like = st.one_of(
    st.text(alphabet="+0123456789 -().", max_size=25),
    st.text(alphabet="+0123456789 -()./x#*ext", max_size=40),
    st.text(max_size=30),
)


@thorough
@given(phone_like, countries)
def test_a_supporters_phone_is_e164_or_nothing(phone: str, country: str) -> None:
    e164 = canonical_phone(phone, country)  # never raises
    if e164 is None:
        return
    assert E164.fullmatch(e164)
    assert canonical_phone(e164, country) == e164, "idempotent"
    assert canonical_phone(e164, "") == e164, "the + says the country"
    number = phonenumbers.parse(e164)
    assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == e164


@thorough
@given(phone_like, st.one_of(st.none(), st.sampled_from(REGIONS)))
def test_a_targets_phone_is_e164_or_a_value_error(phone: str, country: str | None) -> None:
    try:
        e164 = clean_phone(phone, country)
    except ValueError:
        return
    assert E164.fullmatch(e164)
    assert clean_phone(e164, country) == e164, "idempotent"
    assert clean_phone(e164, None) == e164, "the + says the country"


def example_numbers() -> list[tuple[str, phonenumbers.PhoneNumber]]:
    found = []
    for region in REGIONS:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found.append((region, number))
    return found


@thorough
@given(
    st.sampled_from(example_numbers()),
    st.sampled_from(
        [
            phonenumbers.PhoneNumberFormat.E164,
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.NATIONAL,
            phonenumbers.PhoneNumberFormat.RFC3966,
        ]
    ),
    spaces,
)
def test_every_way_of_writing_a_real_number_gives_one_e164(
    example: tuple[str, phonenumbers.PhoneNumber], style: int, padding: str
) -> None:
    region, number = example
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    typed = padding + phonenumbers.format_number(number, style) + padding
    assert canonical_phone(typed, region) == e164
    assert clean_phone(typed, region) == e164


# CSV escaping ------------------------------------------------------------------------------

cells = st.one_of(
    st.text(max_size=12),
    st.tuples(
        st.sampled_from((*FORMULA_STARTS, "'", '"', ",", "\n", " =")), st.text(max_size=8)
    ).map("".join),
)
tables = st.lists(st.lists(cells, min_size=1, max_size=4), max_size=4)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(BYTE_ORDER_MARK)
    return list(csv.reader(io.StringIO(data[len(BYTE_ORDER_MARK) :].decode(), newline="")))


def shown(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


@thorough
@given(cells)
def test_a_safe_cell_never_starts_a_formula(cell: str) -> None:
    safe = safe_cell(cell)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe in (cell, "'" + cell)
    assert safe_cell(safe) == safe, "idempotent"


async def _batches(
    rows: Sequence[Sequence[str]], size: int
) -> AsyncGenerator[list[Sequence[str]], None]:
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


def _collect(chunks: AsyncIterator[bytes]) -> Iterable[bytes]:
    """Steps an async generator that never waits for anything, without an event loop (10,000
    loops would cost more than the property)."""
    while True:
        step = cast(Coroutine[None, None, bytes], chunks.__anext__())  # an async generator's
        try:
            step.send(None)
        except StopIteration as done:
            yield done.value
        except StopAsyncIteration:
            return
        else:  # pragma: no cover - only if the generator started really waiting
            raise AssertionError("the chunks waited for something")


@thorough
@given(st.lists(cells, min_size=1, max_size=4), tables, st.integers(min_value=1, max_value=4))
def test_csv_reads_back_as_written_up_to_the_apostrophe(
    header: list[str], rows: list[list[str]], batch_size: int
) -> None:
    data = csv_bytes(header, rows)
    read = read_csv(data)
    # The mark is there once: the text after it reads back whole, so it was not doubled.
    assert read == [[shown(cell) for cell in row] for row in [header, *rows]]
    for row in read:
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row)
    chunks = list(_collect(csv_chunks(header, _batches(rows, batch_size))))
    assert b"".join(chunks) == data
    assert chunks[0].startswith(BYTE_ORDER_MARK)
    # Written once, whatever the batches: every other U+FEFF in the file is a cell's own.
    in_cells = sum(cell.count("\ufeff") for row in [header, *rows] for cell in row)
    assert data.count(BYTE_ORDER_MARK) == 1 + in_cells


# Header writing ----------------------------------------------------------------------------

# The pieces attackers try, mixed into any text.
HOSTILE = (
    "\r\n",
    "\r",
    "\n",
    "\x00",
    "\r\nBcc: victim@evil.example",
    "\nTo: victim@evil.example",
    "=?utf-8?q?=0D=0ABcc:_victim@evil.example?=",
    "=?utf-8?b?DQpCY2M6IHZpY3RpbUBldmlsLmV4YW1wbGU=?=",
    "%0d%0aBcc: victim@evil.example",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b\x0c\x1c\x1d\x1e",
    "<victim@evil.example>",
    '"victim@evil.example" <victim@evil.example>, ',
    "x" * 120,
    "李伟 مريم Ελένη ",
)
hostile_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), max_size=5).map("".join),
)
HEADER_NAMES = ["From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type"]


def header_names(data: bytes) -> list[str]:
    """The names of the lines that start a header, in the block before the first empty line."""
    block = data.split(b"\r\n\r\n", 1)[0]
    return [
        line.split(b":", 1)[0].decode() for line in block.split(b"\r\n") if line[:1] not in b" \t"
    ]


@thorough
@given(hostile_text, hostile_text)
def test_no_name_or_subject_writes_another_header(name: str, subject: str) -> None:
    try:
        message = write_message(
            [
                ("From", Mailbox(name, "actions@example.org")),
                ("To", Mailbox(name, "ministro@example.org")),
                ("Subject", subject),
                ("Message-ID", "<delivery-1@example.org>"),
            ],
            Content("Text", "<p>Text</p>"),
            sender="actions@example.org",
            to="ministro@example.org",
        )
    except ValueError:
        # Refused outright: a line break in a name or subject. Callers clean first (see
        # tests/test_header_injection.py); the writer is the last wall.
        assert any("\r" in text or "\n" in text for text in (name, subject))
        return
    data = message.data
    assert message.recipients == ("ministro@example.org",)
    assert data.isascii()
    assert b"\x00" not in data
    assert b"\n" not in data.replace(b"\r\n", b""), "no bare line feed"
    assert header_names(data) == HEADER_NAMES
    parsed = read_back(data)
    assert [address.addr_spec for address in parsed["To"].addresses] == ["ministro@example.org"]
    assert [address.addr_spec for address in parsed["From"].addresses] == ["actions@example.org"]
    assert parsed["Bcc"] is None
    assert parsed["Cc"] is None


# The sanitiser of campaign texts -----------------------------------------------------------

# Pieces of the attacks a stored-XSS corpus is made of, and of ordinary Markdown, shuffled
# together with arbitrary text: whatever comes out is parsed back and checked.
HOSTILE_PIECES = [
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "javascript:", "JaVaScRiPt:", "java\tscript:", "data:text/html,", "vbscript:", "<a href=",
    '"', "'", ">", "<", "`", "<iframe srcdoc=", "<style>", "@import", "<math>", "<mglyph>",
    "<!--", "-->", "<![CDATA[", "]]>", "&lt;", "&#106;", "&#x6A;", "\\u003c", "<base href=",
    "<form action=", "<input autofocus onfocus=", "<details open ontoggle=", "<object data=",
    "[x](", "](javascript:alert(1))", "![i](", "<http://x>", "<javascript:alert(1)>", "**", "*",
    "_", "# ", "> ", "- ", "1. ", "```", "    ", "\n", "\n\n", "[a]: javascript:alert(1)",
    "https://example.org/", "mailto:a@example.org", "<a href='javascript:alert(1)'>", " on",
    "onclick=", "style=", "srcset=", "formaction=", "xlink:href=", "<template>", "<noscript>",
]  # fmt: skip
campaign_texts = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=12)), max_size=30
).map("".join)


class _Audit(html.parser.HTMLParser):
    """What the browser would build from the output: every tag and attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)


def _audited(output: str) -> _Audit:
    audit = _Audit()
    audit.feed(output)
    audit.close()
    return audit


@thorough
@given(campaign_texts)
def test_rendered_campaign_text_holds_only_allowed_tags_attributes_and_links(text: str) -> None:
    audit = _audited(str(markdown(text)))
    assert set(audit.tags) <= ALLOWED_TAGS
    for tag, name, value in audit.attributes:
        assert name in ALLOWED_ATTRIBUTES.get(tag, ()) or (tag, name) == ("a", "rel"), name
        assert not name.startswith("on")
        if name == "href":
            scheme = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):", value)
            assert scheme is None or scheme.group(1).lower() in ALLOWED_SCHEMES, value


@thorough
@given(campaign_texts)
def test_cleaning_is_idempotent(text: str) -> None:
    once = str(markdown(text))
    assert clean_html(once) == once
