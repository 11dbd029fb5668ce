"""5,000 hostile names and subjects, where they enter our messages: a signer's name in an
appeal's From ("<signer> via <organisation>") and in a confirmation's To, an action's subject
and title in the Subject. None may add a header or a recipient; all 10,000 messages go through the
real SMTP sender to a real SMTP server, which must see exactly the intended recipients."""

from __future__ import annotations

import random
from uuid import UUID, uuid4

import pytest

from campaign_engine.appeal_messages import compose_appeal_email
from campaign_engine.domain.appeals import AppealLetter
from campaign_engine.emails import MessageTemplates
from campaign_engine.i18n import Catalogues
from campaign_engine.mime import OutgoingEmail
from campaign_engine.models import (
    Delivery,
    DeliveryKind,
    SendOutcome,
    SignatureStatus,
    SupporterMessageContext,
)
from campaign_engine.senders.email import SmtpMailer, SmtpServer
from campaign_engine.settings import Settings
from campaign_engine.supporter_emails import compose_supporter_email
from campaign_engine.templating import create_environment
from campaign_engine.tokens import Tokens
from tests.conftest import make_settings
from tests.smtp import RecordingHandler, SmtpTestServer
from tests.test_mime import read_back
from tests.test_properties import HOSTILE, header_names

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
def writers() -> tuple[Settings, MessageTemplates]:
    settings = make_settings()
    templates = MessageTemplates(
        create_environment(settings.templates_dir), Catalogues(settings.locales_dir)
    )
    return settings, templates


def appeal(writers: tuple[Settings, MessageTemplates], name: str, subject: str) -> OutgoingEmail:
    settings, templates = writers
    letter = AppealLetter(
        delivery_id=uuid4(),
        channel="email",
        case_id=1,
        locale="en",
        to_name=name,
        to_address=OFFICIAL,
        address_ok=True,
        salutation=None,
        subject=subject,
        body="Free the defender.",
        signer_name=name,
        signer_country="MX",
        signer_email=SIGNER,
        comment=name,
        action_code="UA 1/26",
        reply_to_supporter=True,
    )
    return compose_appeal_email(templates, settings, letter)


def confirmation(
    writers: tuple[Settings, MessageTemplates], name: str, title: str
) -> OutgoingEmail:
    settings, templates = writers
    delivery = Delivery(uuid4(), DeliveryKind.CONFIRMATION, "email", uuid4(), None, 1, None, 0)
    signer = SupporterMessageContext(
        signature_id=UUID(int=1),
        signature_status=SignatureStatus.PENDING,
        email=SIGNER,
        name=name,
        supporter_id=UUID(int=2),
        locale="en",
        action_slug="free-her",
        action_code="UA 1/26",
        action_title=title,
        action_locale="en",
    )
    return compose_supporter_email(templates, settings, Tokens("x" * 32), delivery, signer)


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
    writers: tuple[Settings, MessageTemplates],
) -> None:
    pairs = hostile_pairs()
    assert len(set(pairs)) > 4_900, "varied"
    for name, subject in pairs:
        assert_no_injection(appeal(writers, name, subject), OFFICIAL, APPEAL_HEADERS)
        assert_no_injection(confirmation(writers, name, subject), SIGNER, CONFIRMATION_HEADERS)


async def test_all_of_them_reach_the_smtp_server_with_exactly_their_recipients(
    writers: tuple[Settings, MessageTemplates],
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
