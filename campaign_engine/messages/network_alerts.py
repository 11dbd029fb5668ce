"""The network's emails as they leave: an alert (the action's title and summary, one button to
act, the member's own page and one-click leaving, RFC 8058, all in the alert's language) and
the weekly email. The words are in `templates/email/network-alert/` and `network-weekly/`;
one action's alerts in one language are rendered once and filled in per member
(`MessageTemplates.email_filled`). And the network's texts: an urgent alert by text
(`sms/network-alert.txt`), and the text asking a member's number to answer YES
(`sms/network-texts.txt`)."""

from __future__ import annotations

from uuid import UUID

from campaign_engine.domain.network.alerts import AlertMessage, TextAlert
from campaign_engine.domain.network.texts import AskText
from campaign_engine.domain.network.weekly import WeeklyMessage
from campaign_engine.messages.emails import (
    MessageTemplates,
    RenderedEmail,
    address,
    build_email,
    from_parts,
    message_id,
)
from campaign_engine.messages.mime import OutgoingEmail, Verbatim
from campaign_engine.messages.sms_text import Sms, fits, status_callback
from campaign_engine.settings import Settings

# An alert by text: its link and the way to answer must fit with the title (shortened).
ALERT_TEXT_PARTS = 3
ELLIPSIS = "…"


def compose_alert_email(
    templates: MessageTemplates, settings: Settings, message: AlertMessage
) -> OutgoingEmail:
    shared = {
        "code": message.code,
        "title": message.title,
        "summary": message.summary,
        "deadline": message.deadline,
        "action_url": message.action_url,
        "sheet_url": message.sheet_url,
        "organisation": settings.organisation_name,
    }
    personal = {"act_url": message.act_url, "member_url": message.member_url}
    rendered = templates.email_filled("network-alert", message.locale, shared, personal)
    return _to_member(
        rendered, settings, message.delivery_id, message.to, message.locale, message.leave_url
    )


def _to_member(
    rendered: RenderedEmail,
    settings: Settings,
    delivery_id: UUID,
    to: str,
    locale: str,
    leave_url: str,
) -> OutgoingEmail:
    from_name, from_address = from_parts(settings.email_from)
    return build_email(
        rendered,
        sender=address(from_name or settings.organisation_name, from_address),
        to=address("", to),
        message_id=message_id(delivery_id, settings.email_from),
        locale=locale,
        # Mail programs show a button to leave, and may post to it without opening it.
        extra_headers=(
            ("List-Unsubscribe", Verbatim(f"<{leave_url}>")),
            ("List-Unsubscribe-Post", Verbatim("List-Unsubscribe=One-Click")),
        ),
    )


def compose_weekly_email(
    templates: MessageTemplates, settings: Settings, message: WeeklyMessage
) -> OutgoingEmail:
    """The week's actions for a member who chose one email a week; each action in its own
    language, the words around them in the member's."""
    context = {
        "items": message.items,
        "week_start": message.week_start,
        "member_url": message.member_url,
        "organisation": settings.organisation_name,
    }
    rendered = templates.email("network-weekly", message.locale, context)
    return _to_member(
        rendered, settings, message.delivery_id, message.to, message.locale, message.leave_url
    )


def compose_alert_sms(templates: MessageTemplates, settings: Settings, alert: TextAlert) -> Sms:
    """The alert by text; the action's title shortened until the whole fits its parts."""
    context = {
        "organisation": settings.organisation_name,
        "code": alert.code,
        "act_url": alert.act_url,
        "answer_to_sign": alert.answer_to_sign,
    }
    title = alert.title
    body = templates.line("sms/network-alert.txt", alert.locale, {**context, "title": title})
    while not fits(body, ALERT_TEXT_PARTS) and title:
        kept = title.removesuffix(ELLIPSIS)
        kept = kept[: max(len(kept) - max(len(kept) // 8, 1), 0)].rstrip()
        title = f"{kept}{ELLIPSIS}" if kept else ""
        body = templates.line("sms/network-alert.txt", alert.locale, {**context, "title": title})
    return Sms(alert.to, body, status_callback(settings, alert.delivery_id))


def compose_ask_sms(templates: MessageTemplates, settings: Settings, ask: AskText) -> Sms:
    body = templates.line(
        "sms/network-texts.txt", ask.locale, {"organisation": settings.organisation_name}
    )
    return Sms(ask.to, body, status_callback(settings, ask.delivery_id))
