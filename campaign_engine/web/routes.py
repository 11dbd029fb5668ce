"""Every URL of the app, on one screen."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from campaign_engine import i18n
from campaign_engine.settings import Settings
from campaign_engine.web import api, dev, ops, pages, webhooks


class LocaleConvertor(Convertor[str]):
    """Matches only the languages we speak, so `/xx/…` is simply not found."""

    regex = "|".join(i18n.LOCALES)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class SlugConvertor(Convertor[str]):
    """A slug as the database allows it, so anything else is simply not found."""

    regex = "[a-z0-9]+(?:-[a-z0-9]+)*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("locale", LocaleConvertor())
register_url_convertor("slug", SlugConvertor())


def routes(settings: Settings) -> list[BaseRoute]:
    table: list[BaseRoute] = [
        Route("/", pages.home),
        Route("/healthz", ops.healthz),
        Route("/readyz", ops.readyz),
        Route("/confirm/{token}", pages.confirm),
        Route("/api/v1/actions", api.list_actions),
        Route("/api/v1/actions/{slug:slug}", api.get_action),
        Route("/api/v1/actions/{slug:slug}/count", api.get_count),
        Route("/api/v1/actions/{slug:slug}/signatures", api.post_signature, methods=["POST"]),
        Route("/{locale:locale}/", pages.index),
        Route("/{locale:locale}/actions/{slug:slug}", pages.action_page),
        Route("/{locale:locale}/actions/{slug:slug}/sign", pages.sign, methods=["POST"]),
        Route("/{locale:locale}/actions/{slug:slug}/check-email", pages.check_email),
        Route("/{locale:locale}/actions/{slug:slug}/thanks", pages.thanks),
        Route("/{locale:locale}/cases/{slug:slug}", pages.case_page),
        Route("/webhooks/twilio/status", webhooks.twilio_status, methods=["POST"]),
        Route("/webhooks/twilio/sms", webhooks.twilio_incoming, methods=["POST"]),
        Route("/webhooks/email", webhooks.forwarded_email, methods=["POST"]),
        Mount("/static", StaticFiles(directory=settings.static_dir), name="static"),
    ]
    if settings.is_development:
        table += [
            Route("/dev/mail", dev.mailbox_page),
            Route("/dev/mail.json", dev.mailbox_json),
            Route("/dev/sms", dev.smsbox_page),
            Route("/dev/sms.json", dev.smsbox_json),
        ]
    return table
