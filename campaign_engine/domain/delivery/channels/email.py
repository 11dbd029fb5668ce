"""Email, over SMTP: to officials (appeals, digests) and to supporters (confirmations, updates,
privacy links, the network's alerts). Every message is written as MIME bytes (messages/) and
handed to the mailer."""

from __future__ import annotations

import re
from typing import Any

from campaign_engine.domain.delivery.channels import Channel, TypedAddresses, register
from campaign_engine.domain.delivery.context import Sending
from campaign_engine.domain.targets.target_fields import clean_email
from campaign_engine.i18n import N_
from campaign_engine.messages.appeals import compose_appeal_email, compose_digest_email
from campaign_engine.messages.network_alerts import compose_alert_email, compose_weekly_email
from campaign_engine.messages.supporter_emails import (
    compose_follow_email,
    compose_network_email,
    compose_privacy_link_email,
    compose_supporter_email,
    compose_texts_on_email,
)
from campaign_engine.messages.supporter_updates import compose_update_email
from campaign_engine.models.delivery import Delivery, DeliveryKind, SendResult


async def carry(sending: Sending, delivery: Delivery, message: Any) -> SendResult:
    return await sending.mailer.send(message)


def _to_signer(sending: Sending, delivery: Delivery, signer: Any) -> Any:
    return compose_supporter_email(
        sending.templates, sending.settings, sending.tokens, delivery, signer
    )


def _privacy_link(sending: Sending, delivery: Delivery, recipient: Any) -> Any:
    to = (recipient.supporter_id, recipient.email, recipient.locale)
    return compose_privacy_link_email(
        sending.templates, sending.settings, sending.tokens, delivery, to
    )


def _follower(sending: Sending, delivery: Delivery, recipient: Any) -> Any:
    case = recipient.case_title
    to = (recipient.supporter_id, recipient.email, recipient.case_id, recipient.locale, case)
    return compose_follow_email(sending.templates, sending.settings, sending.tokens, delivery, to)


def _network(sending: Sending, delivery: Delivery, recipient: Any) -> Any:
    to = (recipient.supporter_id, recipient.email, recipient.locale, recipient.status == "active")
    return compose_network_email(sending.templates, sending.settings, sending.tokens, delivery, to)


EMAIL = register(
    Channel(
        name="email",
        label=N_("Email"),
        writers={
            DeliveryKind.CONFIRMATION: _to_signer,
            DeliveryKind.ALREADY_SIGNED: _to_signer,
            DeliveryKind.CONFIRMATION_REMINDER: _to_signer,
            DeliveryKind.PRIVACY_LINK: _privacy_link,
            DeliveryKind.NETWORK_JOIN: _network,
            DeliveryKind.NETWORK_TEXTS_ON: lambda s, d, recipient: compose_texts_on_email(
                s.templates, s.settings, s.tokens, d, recipient
            ),
            DeliveryKind.FOLLOW_CASE: _follower,
            DeliveryKind.NETWORK_ALERT: lambda s, _d, alert: compose_alert_email(
                s.templates, s.settings, alert
            ),
            DeliveryKind.NETWORK_WEEKLY: lambda s, _d, week: compose_weekly_email(
                s.templates, s.settings, week
            ),
            DeliveryKind.APPEAL: lambda s, _d, letter: compose_appeal_email(
                s.templates, s.settings, letter
            ),
            DeliveryKind.DIGEST: lambda s, _d, letter: compose_digest_email(
                s.templates, s.settings, letter
            ),
            DeliveryKind.REPEATS: lambda s, _d, letter: compose_digest_email(
                s.templates, s.settings, letter
            ),
            DeliveryKind.UPDATE: lambda s, _d, update: compose_update_email(
                s.templates, s.settings, update
            ),
        },
        carry=carry,
        reaches_officials=True,
        reaches_supporters=True,
        typed=TypedAddresses(
            clean=lambda typed, _country: clean_email(typed),
            form_field="emails",
            column="email",
            label=N_("Email addresses"),
            hint=N_("One per line."),
            file_hint=N_("One or more, separated by semicolons."),
            missing=N_("This target has no email address: add one on its page first."),
            separators=re.compile(r"[\s,;]+"),
        ),
    )
)
