"""An alert as it leaves: the action's title and summary, one button to act, the member's own
page and one-click leaving (RFC 8058), all in the alert's language. The words are in
`templates/email/network-alert/`; a surge of one action's alerts in one language is rendered
once and filled in per member (`MessageTemplates.email_filled`)."""

from __future__ import annotations

from campaign_engine.domain.network.alerts import AlertMessage
from campaign_engine.messages.emails import (
    MessageTemplates,
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
    from_name, from_address = from_parts(settings.email_from)
    return build_email(
        rendered,
        sender=address(from_name or settings.organisation_name, from_address),
        to=address("", message.to),
        message_id=message_id(message.delivery_id, settings.email_from),
        locale=message.locale,
        # Mail programs show a button to leave, and may post to it without opening it.
        extra_headers=(
            ("List-Unsubscribe", Verbatim(f"<{message.leave_url}>")),
            ("List-Unsubscribe-Post", Verbatim("List-Unsubscribe=One-Click")),
        ),
    )
