"""5,000 hostile names and subjects, where they enter our messages: a signer's name in an
appeal's From ("<signer> via <organisation>") and in a confirmation's To, an action's subject
and title in the Subject. None may add a header or a recipient; all 10,000 messages go through the
real SMTP sender to a real SMTP server, which must see exactly the intended recipients."""

from __future__ import annotations

import random

import pytest

from campaign_engine.messages.mime import OutgoingEmail
from campaign_engine.models.delivery import SendOutcome
from campaign_engine.senders.email import SmtpMailer, SmtpServer
from tests.sample_messages import Writers, appeal_email, confirmation_email, message_writers
from tests.smtp import RecordingHandler, SmtpTestServer
from tests.test_mime import read_back
from tests.test_properties import HOSTILE, header_names

# A battery: `make test` leaves it to `make test-slow` and CI.
pytestmark = pytest.mark.slow

CASES = 5_000
OFFICIAL = "ministro@example.org"
SIGNER = "ana@example.org"
SCRIPTS = ("李伟", "مريم الحسن", "Ελένη", "Дмитрий", "हिन्दी", "🕊️", "Zoë")
APPEAL_HEADERS = [
    "From",
    "To",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "Content-Language",
    "MIME-Version",
    "Content-Type",
]
CONFIRMATION_HEADERS = [*APPEAL_HEADERS[:2], *APPEAL_HEADERS[3:6], "Content-Language"]
CONFIRMATION_HEADERS += ["Auto-Submitted", "MIME-Version", "Content-Type"]


def hostile(rng: random.Random) -> str:
    pieces = [rng.choice((*HOSTILE, *SCRIPTS, "Ana", " ", "x" * rng.randint(61, 400)))]
    pieces += [rng.choice((*HOSTILE, *SCRIPTS, " ", "-")) for _ in range(rng.randint(0, 6))]
    rng.shuffle(pieces)
    return "".join(pieces)


def hostile_pairs() -> list[tuple[str, str]]:
    rng = random.Random(6)  # the same 5,000 on every run
    return [(hostile(rng), hostile(rng)) for _ in range(CASES)]


@pytest.fixture(scope="module")
def writers() -> Writers:
    return message_writers()


def appeal(writers: Writers, name: str, subject: str) -> OutgoingEmail:
    """The name everywhere an appeal carries one: From, To, and the comment (so Reply-To)."""
    return appeal_email(
        writers, signer=SIGNER, official=OFFICIAL, name=name, subject=subject, comment=name
    )


def confirmation(writers: Writers, name: str, title: str) -> OutgoingEmail:
    return confirmation_email(writers, signer=SIGNER, name=name, title=title)


def assert_no_injection(message: OutgoingEmail, to: str, headers: list[str]) -> None:
    assert message.recipients == (to,)
    assert message.data.isascii()
    assert b"\x00" not in message.data
    assert b"\n" not in message.data.replace(b"\r\n", b""), "no bare line feed"
    assert header_names(message.data) == headers
    parsed = read_back(message.data)
    assert [a.addr_spec for a in parsed["To"].addresses] == [to]
    assert [a.addr_spec for a in parsed["From"].addresses] == ["actions@example.org"]
    assert parsed["Bcc"] is None
    assert parsed["Cc"] is None


def test_five_thousand_hostile_names_and_subjects_write_no_header(
    writers: Writers,
) -> None:
    pairs = hostile_pairs()
    assert len(set(pairs)) > 4_900, "varied"
    for name, subject in pairs:
        assert_no_injection(appeal(writers, name, subject), OFFICIAL, APPEAL_HEADERS)
        assert_no_injection(confirmation(writers, name, subject), SIGNER, CONFIRMATION_HEADERS)


async def test_all_of_them_reach_the_smtp_server_with_exactly_their_recipients(
    writers: Writers,
    smtp_server: SmtpTestServer,
    smtp: RecordingHandler,
) -> None:
    pairs = hostile_pairs()
    mailer = SmtpMailer(SmtpServer.from_url(smtp_server.url))
    try:
        for name, subject in pairs:
            for message in (appeal(writers, name, subject), confirmation(writers, name, subject)):
                result = await mailer.send(message)
                assert result.outcome == SendOutcome.SENT, result.detail
    finally:
        await mailer.close()
    assert len(smtp.received) == 2 * len(pairs) == 2 * CASES
    for received in smtp.received:
        assert received.envelope_to in ([OFFICIAL], [SIGNER])
        arrived = received.message
        assert [a.addr_spec for a in arrived["To"].addresses] == received.envelope_to
        assert [a.addr_spec for a in arrived["From"].addresses] == ["actions@example.org"]
        assert arrived["Bcc"] is None
        assert arrived["Cc"] is None
        assert len(arrived.get_all("Subject") or []) == 1
