"""Appeals and digests as they leave: an email (an appeal from "<supporter> via
<organisation>"), or a short text, in the letter's language. The words are in
`templates/email/appeal/`, `templates/email/digest/` and `templates/sms/`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from campaign_engine.domain.delivery.appeals import AppealLetter
from campaign_engine.domain.delivery.digests import DigestLetter
from campaign_engine.formats.countries import country_name
from campaign_engine.formats.spreadsheets import csv_bytes
from campaign_engine.messages.emails import (
    MessageTemplates,
    address,
    build_email,
    from_parts,
    message_id,
)
from campaign_engine.messages.mime import Attachment, OutgoingEmail
from campaign_engine.messages.sms_text import Sms, fits, status_callback
from campaign_engine.settings import Settings

# An appeal by text stays within two parts (306 GSM-7 characters, or 134 in UCS-2).
SMS_MAX_PARTS = 2
ELLIPSIS = "…"


def relay_address(settings: Settings, delivery_id: UUID) -> str:
    """The relay address tagged with the delivery, so a reply finds its case even when the
    mail client drops the headers that say what it answers: `replies+<id>@example.org`."""
    local, _at, domain = settings.relay_email.partition("@")
    return f"{local}+{delivery_id}@{domain}"


def _context(letter: AppealLetter, settings: Settings) -> dict[str, Any]:
    return {
        "salutation": letter.salutation,
        "to_name": letter.to_name,
        "subject": letter.subject,
        "body": letter.body,
        "signer_name": letter.signer_name,
        "country": country_name(letter.signer_country, letter.locale),
        "comment": letter.comment,
        "organisation": settings.organisation_name,
        "action_code": letter.action_code,
        "relayed": not letter.reply_to_supporter,
    }


def compose_appeal_email(
    templates: MessageTemplates, settings: Settings, letter: AppealLetter
) -> OutgoingEmail:
    rendered = templates.email("appeal", letter.locale, _context(letter, settings))
    assert rendered.sender_name is not None, "templates/email/appeal/from.txt names the sender"
    reply_to = (
        letter.signer_email
        if letter.reply_to_supporter
        else relay_address(settings, letter.delivery_id)
    )
    return build_email(
        rendered,
        sender=address(rendered.sender_name, from_parts(settings.email_from)[1]),
        to=address(letter.to_name, letter.to_address),
        reply_to=reply_to,
        message_id=message_id(letter.delivery_id, settings.email_from),
        locale=letter.locale,
        automatic=False,
    )


def compose_appeal_sms(
    templates: MessageTemplates, settings: Settings, letter: AppealLetter
) -> Sms:
    """The text, its subject shortened until the whole fits in its parts."""
    context = _context(letter, settings)
    body = templates.line("sms/appeal.txt", letter.locale, context)
    subject = letter.subject
    while not fits(body, SMS_MAX_PARTS) and subject:
        subject = subject[: max(len(subject) - max(len(subject) // 8, 1), 0)].rstrip()
        shortened = f"{subject}{ELLIPSIS}" if subject else ""
        body = templates.line("sms/appeal.txt", letter.locale, {**context, "subject": shortened})
    return Sms(
        to=letter.to_address,
        body=body,
        status_callback=status_callback(settings, letter.delivery_id),
    )


def _digest_context(letter: DigestLetter, settings: Settings) -> dict[str, Any]:
    return {
        "salutation": letter.salutation,
        "to_name": letter.to_name,
        "subject": letter.subject,
        "body": letter.body,
        "organisation": settings.organisation_name,
        "action_code": letter.action_code,
        "start": letter.start,
        "end": letter.end,
        "total": letter.total,
        "countries": [(country_name(code, letter.locale), n) for code, n in letter.countries],
        "names": [(name, country_name(code, letter.locale)) for name, code in letter.names],
        "as_csv": letter.as_csv,
        "repeats": letter.repeats,
    }


def compose_digest_email(
    templates: MessageTemplates, settings: Settings, letter: DigestLetter
) -> OutgoingEmail:
    context = _digest_context(letter, settings)
    rendered = templates.email("digest", letter.locale, context)
    return build_email(
        rendered,
        sender=address(settings.organisation_name, from_parts(settings.email_from)[1]),
        to=address(letter.to_name, letter.to_address),
        reply_to=relay_address(settings, letter.delivery_id),
        message_id=message_id(letter.delivery_id, settings.email_from),
        locale=letter.locale,
        automatic=False,
        attachments=_signers_csv(templates, letter, context) if letter.as_csv else (),
    )


def _signers_csv(
    templates: MessageTemplates, letter: DigestLetter, context: dict[str, Any]
) -> tuple[Attachment]:
    header = templates.line("email/digest/csv-header.txt", letter.locale, context).split("|")
    rows = [(name, country) for name, country in context["names"]]
    filename = f"{letter.action_code.replace(' ', '-').replace('/', '-')}.csv"
    return (Attachment(filename, "text/csv", csv_bytes(header, rows)),)


def compose_digest_sms(
    templates: MessageTemplates, settings: Settings, letter: DigestLetter
) -> Sms:
    """The text, naming as many countries (with their counts) as fit."""
    context = _digest_context(letter, settings)
    counted = [f"{country} {count}" for country, count in context["countries"]]
    shown = len(counted)
    while True:
        listed = ", ".join(counted[:shown]) + (", …" if shown < len(counted) else "")
        body = templates.line("sms/digest.txt", letter.locale, {**context, "listed": listed})
        if fits(body, SMS_MAX_PARTS) or shown <= 1:
            break
        shown -= 1
    return Sms(
        to=letter.to_address,
        body=body,
        status_callback=status_callback(settings, letter.delivery_id),
    )
