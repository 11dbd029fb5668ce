"""Every URL of the app, on one screen."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from campaign_engine import i18n
from campaign_engine.settings import Settings
from campaign_engine.web import api, dev, ops, pages, webhooks
from campaign_engine.web.admin import account, audit, auth, overview, team


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


class IdConvertor(Convertor[int]):
    """A row id: digits that fit PostgreSQL's bigint, so a longer number is simply not found."""

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("locale", LocaleConvertor())
register_url_convertor("id", IdConvertor())
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
        # The workspace (web/admin/): every page but the way in needs a signed-in campaigner.
        Route("/admin/login", auth.login_page),
        Route("/admin/login", auth.login, methods=["POST"]),
        Route("/admin/second-factor", auth.second_factor_page),
        Route("/admin/second-factor", auth.give_second_factor, methods=["POST"]),
        Route("/admin/enrol", auth.enrol_page),
        Route("/admin/enrol", auth.enrol, methods=["POST"]),
        Route("/admin/welcome/{token}", auth.welcome_page),
        Route("/admin/welcome/{token}", auth.accept, methods=["POST"]),
        Route("/admin/logout", auth.logout, methods=["POST"]),
        Route("/admin", overview.overview),
        Route("/admin/account", account.account_page),
        Route("/admin/account/language", account.choose_language, methods=["POST"]),
        Route("/admin/account/password", account.new_password, methods=["POST"]),
        Route("/admin/team", team.team_page),
        Route("/admin/team", team.invite, methods=["POST"]),
        Route("/admin/team/{staff_id:id}/role", team.set_role, methods=["POST"]),
        Route("/admin/team/{staff_id:id}/disable", team.disable, methods=["POST"]),
        Route("/admin/team/{staff_id:id}/enable", team.enable, methods=["POST"]),
        Route("/admin/team/{staff_id:id}/link", team.issue_link, methods=["POST"]),
        Route(
            "/admin/team/{staff_id:id}/second-factor/remove",
            team.reset_second_factor,
            methods=["POST"],
        ),
        Route("/admin/audit", audit.audit_page),
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
