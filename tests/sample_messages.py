"""Messages written by the real composers from made-up letters, for the tests that read what
they write byte by byte (header injection, header folding): an appeal to an official and a
signer's confirmation, each with the name, title and language a test chooses."""

from __future__ import annotations

from uuid import UUID, uuid4

from campaign_engine.domain.delivery.appeals import AppealLetter
from campaign_engine.i18n import Catalogues
from campaign_engine.messages.appeals import compose_appeal_email
from campaign_engine.messages.emails import MessageTemplates
from campaign_engine.messages.mime import OutgoingEmail
from campaign_engine.messages.supporter_emails import compose_supporter_email
from campaign_engine.models.delivery import Delivery, DeliveryKind, SupporterMessageContext
from campaign_engine.models.signing import SignatureStatus
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from campaign_engine.templating import create_environment
from tests.conftest import TEST_SECRET, make_settings

Writers = tuple[Settings, MessageTemplates]


def message_writers(**settings: str) -> Writers:
    """What composes messages: settings (the test's overrides) and the templates."""
    made = make_settings(**settings)
    templates = MessageTemplates(
        create_environment(made.templates_dir), Catalogues(made.locales_dir)
    )
    return made, templates


def appeal_email(
    writers: Writers,
    *,
    signer: str,
    official: str,
    name: str,
    subject: str,
    locale: str = "en",
    code: str = "UA 1/26",
    comment: str | None = None,
) -> OutgoingEmail:
    """An appeal from `name` (also the official's name, and any comment) to `official`; the
    signer's address as Reply-To when there is a comment to answer."""
    settings, templates = writers
    letter = AppealLetter(
        delivery_id=uuid4(),
        channel="email",
        case_id=1,
        locale=locale,
        to_name=name,
        to_address=official,
        address_ok=True,
        salutation=None,
        subject=subject,
        body="Free the defender.",
        signer_name=name,
        signer_country="MX",
        signer_email=signer,
        comment=comment,
        action_code=code,
        reply_to_supporter=comment is not None,
    )
    return compose_appeal_email(templates, settings, letter)


def confirmation_email(
    writers: Writers,
    *,
    signer: str,
    name: str,
    title: str,
    locale: str = "en",
    code: str = "UA 1/26",
) -> OutgoingEmail:
    """The confirmation `name` gets at `signer` for an action titled `title`."""
    settings, templates = writers
    delivery = Delivery(uuid4(), DeliveryKind.CONFIRMATION, "email", uuid4(), None, 1, None, 0)
    context = SupporterMessageContext(
        signature_id=UUID(int=1),
        signature_status=SignatureStatus.PENDING,
        email=signer,
        name=name,
        supporter_id=UUID(int=2),
        locale=locale,
        action_slug="free-her",
        action_code=code,
        action_title=title,
        action_locale=locale,
    )
    return compose_supporter_email(templates, settings, Tokens(TEST_SECRET), delivery, context)
