"""The network's emails as they leave: an alert (the action's title and summary, one button to
act, the member's own page and one-click leaving, RFC 8058, all in the alert's language) and
the weekly email. The words are in `templates/email/network-alert/` and `network-weekly/`;
one action's alerts in one language are rendered once and filled in per member
(`MessageTemplates.email_filled`)."""

from __future__ import annotations

from uuid import UUID

from campaign_engine.domain.network.alerts import AlertMessage
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
from campaign_engine.settings import Settings


def compose_alert_email(
    templates: MessageTemplates, settings: Settings, message: AlertMessage
) -> OutgoingEmail:
    shared = {
        "code": message.code,
        "title": message.title,
        "summary": message.summary,
        "deadline": message.deadline,
        "action_url": message.action_url,
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
