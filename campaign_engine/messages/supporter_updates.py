"""Updates as they leave: an email with one-click unsubscribe (RFC 8058), or a short text, in
the reader's language around the update's own words. The words are in
`templates/email/update/` and `templates/sms/update.txt`."""

from __future__ import annotations

from typing import Any

from campaign_engine.domain.campaigns.timeline import OUTCOME_NAMES
from campaign_engine.domain.delivery.mailings import UpdateMessage
from campaign_engine.i18n import text_direction
from campaign_engine.messages.emails import (
    MessageTemplates,
    address,
    build_email,
    from_parts,
    message_id,
)
from campaign_engine.messages.mime import OutgoingEmail, Verbatim
from campaign_engine.messages.sms_text import Sms, fits, status_callback
from campaign_engine.settings import Settings

# An update by text stays within two parts (306 GSM-7 characters, or 134 in UCS-2).
SMS_MAX_PARTS = 2
ELLIPSIS = "…"


def _context(message: UpdateMessage, settings: Settings) -> dict[str, Any]:
    return {
        # The outcome's name is a msgid, translated in the template in the reader's language.
        "outcome_name": OUTCOME_NAMES.get(message.outcome) if message.outcome else None,
        "title": message.title,
        "body": message.body,
        "content_locale": message.locale,
        "content_dir": text_direction(message.locale),
        "translated": message.locale == message.reader_locale,
        "case_title": message.case_title,
        "case_url": message.case_url,
        "unsubscribe_url": message.unsubscribe_url,
        "why": message.why,
        "organisation": settings.organisation_name,
    }


def compose_update_email(
    templates: MessageTemplates, settings: Settings, message: UpdateMessage
) -> OutgoingEmail:
    rendered = templates.email("update", message.reader_locale, _context(message, settings))
    from_name, from_address = from_parts(settings.email_from)
    return build_email(
        rendered,
        sender=address(from_name or settings.organisation_name, from_address),
        to=address("", message.to),
        message_id=message_id(message.delivery_id, settings.email_from),
        locale=message.reader_locale,
        # RFC 2369 and RFC 8058: mail programs show an "Unsubscribe" button, and may post to
        # the link on the reader's behalf without opening it (web/public/unsubscribe.py).
        extra_headers=(
            ("List-Unsubscribe", Verbatim(f"<{message.unsubscribe_url}>")),
            ("List-Unsubscribe-Post", Verbatim("List-Unsubscribe=One-Click")),
        ),
    )


def compose_update_sms(
    templates: MessageTemplates, settings: Settings, message: UpdateMessage
) -> Sms:
    """The text, the longer of the case's title and the headline shortened in turn until the
    whole fits in its parts."""
    context = _context(message, settings)
    shown = {"case_title": message.case_title, "title": message.title}
    body = templates.line("sms/update.txt", message.reader_locale, {**context, **shown})
    while not fits(body, SMS_MAX_PARTS) and any(shown.values()):
        longer = max(shown, key=lambda name: len(shown[name]))
        shown[longer] = _shortened(shown[longer])
        body = templates.line("sms/update.txt", message.reader_locale, {**context, **shown})
    return Sms(
        to=message.to,
        body=body,
        status_callback=status_callback(settings, message.delivery_id),
    )


def _shortened(text: str) -> str:
    """An eighth shorter (at least a character), ending in an ellipsis."""
    kept = text.removesuffix(ELLIPSIS)
    kept = kept[: max(len(kept) - max(len(kept) // 8, 1), 0)].rstrip()
    return f"{kept}{ELLIPSIS}" if kept else ""
