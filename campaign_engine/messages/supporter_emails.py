"""The emails a signer receives about their own signature: confirm it, or "already signed"."""

from __future__ import annotations

from uuid import UUID

from campaign_engine.domain.network.texts import TextsOn
from campaign_engine.links import absolute_url
from campaign_engine.messages.emails import (
    MessageTemplates,
    RenderedEmail,
    address,
    build_email,
    from_parts,
    message_id,
)
from campaign_engine.messages.mime import OutgoingEmail
from campaign_engine.models.delivery import Delivery, DeliveryKind, SupporterMessageContext
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings

TEMPLATE_FOR_KIND = {
    DeliveryKind.CONFIRMATION: "confirm-signature",
    DeliveryKind.ALREADY_SIGNED: "already-signed",
    # The confirmation again, saying it is a reminder.
    DeliveryKind.CONFIRMATION_REMINDER: "confirm-signature",
}


def compose_supporter_email(
    templates: MessageTemplates,
    settings: Settings,
    tokens: Tokens,
    delivery: Delivery,
    signer: SupporterMessageContext,
) -> OutgoingEmail:
    """A signer's email about their signature. Written once per kind, language and action,
    then filled in with each signer's name and links (`MessageTemplates.email_filled`): a
    surge's confirmations are written as fast as they can be carried."""
    base = settings.public_base_url
    confirm = tokens.confirmation_token(signer.signature_id)
    privacy = tokens.privacy_token(signer.supporter_id, signer.locale)
    not_me = tokens.not_me_token(signer.signature_id, signer.locale)
    action = {
        "action_code": signer.action_code,
        "action_title": signer.action_title,
        "action_title_locale": signer.action_locale,
        "action_url": absolute_url(
            base, "pages.action_page", locale=signer.locale, slug=signer.action_slug
        ),
        "network_url": absolute_url(base, "network.join_page", locale=signer.locale),
        "reminder": delivery.kind is DeliveryKind.CONFIRMATION_REMINDER,
    }
    personal = {
        "name": signer.name,
        "confirm_url": absolute_url(base, "pages.confirm", token=confirm),
        "privacy_url": absolute_url(base, "privacy.privacy_page", token=privacy),
        "not_me_url": absolute_url(base, "privacy.not_me_page", token=not_me),
    }
    rendered = templates.email_filled(
        TEMPLATE_FOR_KIND[delivery.kind], signer.locale, action, personal
    )
    from_name, from_address = from_parts(settings.email_from)
    return build_email(
        rendered,
        sender=address(from_name, from_address),
        to=address(signer.name, signer.email),
        message_id=message_id(delivery.id, settings.email_from),
        locale=signer.locale,
    )


def compose_network_email(
    templates: MessageTemplates,
    settings: Settings,
    tokens: Tokens,
    delivery: Delivery,
    to: tuple[UUID, str, str, bool],
) -> OutgoingEmail:
    """The network's joining email, with the link to say yes; or, to an address already in
    the network, the link to its preferences. `to` is (supporter, address, language, whether
    they are a member): the address we hold, never one typed into the form."""
    supporter_id, email, locale, member = to
    token = tokens.network_token(supporter_id, locale)
    context = {
        "member_url": absolute_url(settings.public_base_url, "network.member_page", token=token)
    }
    rendered = templates.email("network-member" if member else "network-join", locale, context)
    return _to_address_we_hold(rendered, settings, delivery, email, locale)


def compose_texts_on_email(
    templates: MessageTemplates,
    settings: Settings,
    tokens: Tokens,
    delivery: Delivery,
    recipient: TextsOn,
) -> OutgoingEmail:
    """To a member whose number has just answered YES: the texts, and how to stop them."""
    token = tokens.network_token(recipient.supporter_id, recipient.locale)
    context = {
        "member_url": absolute_url(settings.public_base_url, "network.member_page", token=token),
        "digits": recipient.digits,
    }
    rendered = templates.email("network-texts-on", recipient.locale, context)
    return _to_address_we_hold(rendered, settings, delivery, recipient.email, recipient.locale)


def compose_privacy_link_email(
    templates: MessageTemplates,
    settings: Settings,
    tokens: Tokens,
    delivery: Delivery,
    to: tuple[UUID, str, str],
) -> OutgoingEmail:
    """A fresh link to a supporter's data, asked for through the privacy form. `to` is
    (supporter, address, language): the address we hold, never one typed into the form."""
    supporter_id, email, locale = to
    token = tokens.privacy_token(supporter_id, locale)
    context = {
        "privacy_url": absolute_url(settings.public_base_url, "privacy.privacy_page", token=token)
    }
    rendered = templates.email("privacy-link", locale, context)
    return _to_address_we_hold(rendered, settings, delivery, email, locale)


def _to_address_we_hold(
    rendered: RenderedEmail, settings: Settings, delivery: Delivery, email: str, locale: str
) -> OutgoingEmail:
    """A link's email, from us to an address alone (no name: a form asked, not a signer)."""
    from_name, from_address = from_parts(settings.email_from)
    return build_email(
        rendered,
        sender=address(from_name, from_address),
        to=address("", email),
        message_id=message_id(delivery.id, settings.email_from),
        locale=locale,
    )


def compose_follow_email(
    templates: MessageTemplates,
    settings: Settings,
    tokens: Tokens,
    delivery: Delivery,
    to: tuple[UUID, str, int, str, str],
) -> OutgoingEmail:
    """The link to say yes to a case's news. `to` is (supporter, address, case, language,
    the case's title): the address we hold, never one typed into the form."""
    supporter_id, email, case_id, locale, case_title = to
    token = tokens.follow_token(supporter_id, case_id, locale)
    context = {
        "follow_url": absolute_url(settings.public_base_url, "following.follow_page", token=token),
        "case_title": case_title,
    }
    rendered = templates.email("follow-case", locale, context)
    return _to_address_we_hold(rendered, settings, delivery, email, locale)
