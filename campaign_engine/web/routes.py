"""Every URL of the app, on one screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import BaseRoute, Mount, Route

from campaign_engine import i18n
from campaign_engine.formats import fields
from campaign_engine.settings import Settings
from campaign_engine.web import dev, ops, webhooks
from campaign_engine.web.admin import overview
from campaign_engine.web.admin.campaigns import (
    action_translations,
    actions,
    cases,
    dashboard,
    exports,
    outcomes,
    solidarity,
    updates,
)
from campaign_engine.web.admin.integrations import api_keys, partners
from campaign_engine.web.admin.integrations import webhooks as webhook_endpoints
from campaign_engine.web.admin.network import alerts, member_imports, members
from campaign_engine.web.admin.privacy import supporters
from campaign_engine.web.admin.signing import abuse
from campaign_engine.web.admin.targets import action_targets, target_imports, targets
from campaign_engine.web.admin.workspace import account, audit, auth, team
from campaign_engine.web.api import guard, openapi, osdi, public, reads
from campaign_engine.web.public import (
    act,
    case_sheets,
    embed,
    following,
    impact,
    network,
    pages,
    preview,
    privacy,
    proof_of_work,
    thanks,
    unsubscribe,
)
from campaign_engine.web.static import HashedStaticFiles


class LocaleConvertor(Convertor[str]):
    """Matches only the languages we speak, so `/xx/…` is simply not found."""

    regex = "|".join(i18n.LOCALES)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class SlugConvertor(Convertor[str]):
    """A slug as the database allows it, so anything else is simply not found."""

    regex = fields.SLUG_PATTERN

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


def route(path: str, endpoint: Callable[..., Any], *, methods: list[str] | None = None) -> Route:
    """A route named after its handler, `module.handler` (`team.set_role`): pages and emails
    build their links from that name (`url_path` in web/rendering.py), never by hand."""
    module = endpoint.__module__.rpartition(".")[2]
    return Route(path, endpoint, methods=methods, name=f"{module}.{endpoint.__name__}")


def every_route(table: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Each route of the table with its whole path, looking inside the `Mount`s that group the
    workspace and the APIs; a mounted app (the static files) is one entry of its own."""
    for entry in table:
        if isinstance(entry, Mount) and entry.routes:
            yield from every_route(entry.routes, prefix + entry.path)
        elif isinstance(entry, Route | Mount):
            yield prefix + entry.path, entry


def routes(settings: Settings) -> list[BaseRoute]:
    table: list[BaseRoute] = [
        # Public pages, the supporter's own links, and the providers' callbacks (web/public/)
        route("/", pages.home),
        route("/healthz", ops.healthz),
        route("/readyz", ops.readyz),
        route("/confirm/{token}", pages.confirm),
        route("/confirm/{token}", pages.confirm_deliberately, methods=["POST"]),
        route("/{locale:locale}/", pages.index),
        route("/{locale:locale}/actions.atom", pages.feed),
        route("/{locale:locale}/actions/{slug:slug}", pages.action_page),
        route("/{locale:locale}/actions/{slug:slug}/sign", pages.sign, methods=["POST"]),
        route("/{locale:locale}/actions/{slug:slug}/check-email", pages.check_email),
        route("/{locale:locale}/actions/{slug:slug}/thanks", thanks.thanks_page),
        route(
            "/{locale:locale}/actions/{slug:slug}/solidarity",
            thanks.write_message,
            methods=["POST"],
        ),
        # Paper: the case sheet, and a supporter's own letters to post (docs/letters.md)
        route("/{locale:locale}/actions/{slug:slug}/case-sheet.pdf", case_sheets.case_sheet),
        route("/{locale:locale}/actions/{slug:slug}/letter", case_sheets.letter_page),
        route(
            "/{locale:locale}/actions/{slug:slug}/letter",
            case_sheets.print_letters,
            methods=["POST"],
        ),
        route(
            "/{locale:locale}/actions/{slug:slug}/letter/posted",
            case_sheets.posted,
            methods=["POST"],
        ),
        route("/{locale:locale}/cases/{slug:slug}", pages.case_page),
        route("/webhooks/twilio/status", webhooks.twilio_status, methods=["POST"]),
        route("/webhooks/twilio/sms", webhooks.twilio_incoming, methods=["POST"]),
        route("/webhooks/email", webhooks.forwarded_email, methods=["POST"]),
        # The workspace's front door has no trailing slash; everything behind it is mounted below.
        route("/admin", overview.overview),
        # The widget and its loader (web/public/embed.py)
        route("/embed.js", embed.loader),
        route("/{locale:locale}/embed/{slug:slug}", embed.widget),
        route("/{locale:locale}/embed/{slug:slug}/sign", embed.sign, methods=["POST"]),
        route("/{locale:locale}/embed/{slug:slug}/check-email", embed.check_email),
        # A secret preview of an unpublished translation, and the public unsubscribe page
        route("/preview/{token}", preview.preview_page),
        route("/unsubscribe/{token}", unsubscribe.unsubscribe_page),
        route("/unsubscribe/{token}", unsubscribe.unsubscribe_now, methods=["POST"]),
        # A supporter's own data (docs/privacy.md)
        route("/proof-of-work", proof_of_work.challenge),
        route("/{locale:locale}/privacy", privacy.ask_for_link),
        route("/{locale:locale}/privacy", privacy.send_link, methods=["POST"]),
        route("/privacy/{token}", privacy.privacy_page),
        route("/privacy/{token}/data.json", privacy.download_my_data),
        route("/privacy/{token}/erase", privacy.erase_me, methods=["POST"]),
        route("/not-me/{token}", privacy.not_me_page),
        route("/not-me/{token}", privacy.take_back, methods=["POST"]),
        # What urgent actions achieved, across cases (docs/impact.md)
        route("/{locale:locale}/impact", impact.impact_page),
        # The Urgent Action Network: joining, and a member's own page (docs/network.md)
        route("/{locale:locale}/network", network.join_page),
        route("/{locale:locale}/network", network.ask, methods=["POST"]),
        route("/network/{token}", network.member_page),
        route("/network/{token}", network.save, methods=["POST"]),
        route("/network/{token}/leave", network.leave_page),
        route("/network/{token}/leave", network.leave_now, methods=["POST"]),
        # Following a case without signing: ask, say yes, stop (docs/network.md)
        route("/{locale:locale}/cases/{slug:slug}/follow", following.follow, methods=["POST"]),
        route("/follow/{token}", following.follow_page),
        route("/follow/{token}", following.say_yes, methods=["POST"]),
        route("/follow/{token}/stop", following.stop_page),
        route("/follow/{token}/stop", following.stop_now, methods=["POST"]),
        # An alert's one-click act: shown on GET, signed only on POST (docs/network.md)
        route("/act/{token}", act.act_page),
        route("/act/{token}", act.act, methods=["POST"]),
        Mount(
            "/admin",
            routes=[
                # The workspace (web/admin/): every page but the way in needs a signed-in
                # campaigner. The way in and one's own account (web/admin/workspace/)
                route("/login", auth.login_page),
                route("/login", auth.login, methods=["POST"]),
                route("/second-factor", auth.second_factor_page),
                route("/second-factor", auth.give_second_factor, methods=["POST"]),
                route("/enrol", auth.enrol_page),
                route("/enrol", auth.enrol, methods=["POST"]),
                route("/welcome/{token}", auth.welcome_page),
                route("/welcome/{token}", auth.accept, methods=["POST"]),
                route("/logout", auth.logout, methods=["POST"]),
                route("/account", account.account_page),
                route("/account/language", account.choose_language, methods=["POST"]),
                route("/account/password", account.new_password, methods=["POST"]),
                route("/team", team.team_page),
                route("/team", team.invite, methods=["POST"]),
                route("/team/{staff_id:id}/role", team.set_role, methods=["POST"]),
                route("/team/{staff_id:id}/disable", team.disable, methods=["POST"]),
                route("/team/{staff_id:id}/enable", team.enable, methods=["POST"]),
                route("/team/{staff_id:id}/link", team.issue_link, methods=["POST"]),
                route(
                    "/team/{staff_id:id}/second-factor/remove",
                    team.reset_second_factor,
                    methods=["POST"],
                ),
                route("/audit", audit.audit_page),
                # What urgent actions achieved (web/admin/campaigns/outcomes.py)
                route("/impact", outcomes.outcomes_page),
                # The Urgent Action Network (web/admin/network/)
                route("/network", members.network_page),
                route("/network/import", member_imports.import_page),
                route("/network/import", member_imports.upload, methods=["POST"]),
                route(
                    "/network/import/{import_id:id}/apply",
                    member_imports.apply,
                    methods=["POST"],
                ),
                # Partners (web/admin/integrations/partners.py)
                route("/partners", partners.partner_list),
                route("/partners", partners.create, methods=["POST"]),
                route("/partners/new", partners.new_partner_page),
                route("/partners/{partner_id:id}", partners.partner_page),
                route("/partners/{partner_id:id}", partners.save, methods=["POST"]),
                route("/partners/{partner_id:id}/key", partners.new_key, methods=["POST"]),
                route("/partners/{partner_id:id}/disable", partners.disable, methods=["POST"]),
                route("/partners/{partner_id:id}/enable", partners.enable, methods=["POST"]),
                # Partners' API keys (web/admin/integrations/api_keys.py)
                route("/api-keys", api_keys.api_keys_page),
                route("/api-keys", api_keys.create, methods=["POST"]),
                route("/api-keys/{key_id:id}/revoke", api_keys.revoke, methods=["POST"]),
                # Webhooks (web/admin/integrations/webhooks.py)
                route("/webhooks", webhook_endpoints.webhook_list),
                route("/webhooks", webhook_endpoints.create, methods=["POST"]),
                route("/webhooks/{endpoint_id:id}", webhook_endpoints.webhook_page),
                route("/webhooks/{endpoint_id:id}", webhook_endpoints.save, methods=["POST"]),
                route(
                    "/webhooks/{endpoint_id:id}/disable",
                    webhook_endpoints.disable,
                    methods=["POST"],
                ),
                route(
                    "/webhooks/{endpoint_id:id}/enable", webhook_endpoints.enable, methods=["POST"]
                ),
                route(
                    "/webhooks/{endpoint_id:id}/secret",
                    webhook_endpoints.new_secret,
                    methods=["POST"],
                ),
                # Cases and their timeline (web/admin/campaigns/cases.py)
                route("/cases", cases.cases_page),
                route("/cases", cases.create, methods=["POST"]),
                route("/cases/new", cases.new_case_page),
                route("/cases/{case_id:id}", cases.case_page),
                route("/cases/{case_id:id}", cases.describe, methods=["POST"]),
                route("/cases/{case_id:id}/translations/{locale:locale}", cases.translation_page),
                route(
                    "/cases/{case_id:id}/translations/{locale:locale}",
                    cases.translate,
                    methods=["POST"],
                ),
                route("/cases/{case_id:id}/events", cases.add_to_timeline, methods=["POST"]),
                route(
                    "/cases/{case_id:id}/events/{event_id:id}", cases.change_event, methods=["POST"]
                ),
                route(
                    "/cases/{case_id:id}/events/{event_id:id}/publish",
                    cases.publish,
                    methods=["POST"],
                ),
                route(
                    "/cases/{case_id:id}/events/{event_id:id}/unpublish",
                    cases.unpublish,
                    methods=["POST"],
                ),
                route(
                    "/cases/{case_id:id}/events/{event_id:id}/delete",
                    cases.remove_event,
                    methods=["POST"],
                ),
                # Actions: the list and the editor (web/admin/campaigns/actions.py)
                route("/actions", actions.actions_page),
                route("/actions", actions.create, methods=["POST"]),
                route("/actions/new", actions.new_action_page),
                route("/actions/{slug:slug}/edit", actions.edit_page),
                route("/actions/{slug:slug}/edit", actions.update_settings, methods=["POST"]),
                route("/actions/{slug:slug}/publish", actions.publish, methods=["POST"]),
                route("/actions/{slug:slug}/schedule", actions.schedule, methods=["POST"]),
                route("/actions/{slug:slug}/close", actions.close, methods=["POST"]),
                route("/actions/{slug:slug}/reopen", actions.reopen, methods=["POST"]),
                route("/actions/{slug:slug}/archive", actions.archive, methods=["POST"]),
                route("/actions/{slug:slug}/remove", actions.remove, methods=["POST"]),
                route("/actions/{slug:slug}/restore", actions.restore, methods=["POST"]),
                route("/actions/{slug:slug}/follow-up", actions.make_follow_up, methods=["POST"]),
                route("/actions/{slug:slug}/translations", action_translations.translations_page),
                route(
                    "/actions/{slug:slug}/translations/{locale:locale}",
                    action_translations.translation_page,
                ),
                route(
                    "/actions/{slug:slug}/translations/{locale:locale}",
                    action_translations.save,
                    methods=["POST"],
                ),
                route(
                    "/actions/{slug:slug}/translations/{locale:locale}/publish",
                    action_translations.publish,
                    methods=["POST"],
                ),
                route(
                    "/actions/{slug:slug}/translations/{locale:locale}/unpublish",
                    action_translations.unpublish,
                    methods=["POST"],
                ),
                route(
                    "/actions/{slug:slug}/translations/{locale:locale}/preview-link",
                    action_translations.preview_link,
                    methods=["POST"],
                ),
                # Targets, and who each action addresses (web/admin/targets/targets.py)
                route("/targets", targets.target_list),
                route("/targets", targets.create, methods=["POST"]),
                route("/targets/new", targets.new_target_page),
                route("/targets/import", target_imports.import_page),
                route("/targets/import", target_imports.upload, methods=["POST"]),
                route("/targets/import/{import_id:id}", target_imports.apply, methods=["POST"]),
                route("/targets/{target_id:id}", targets.target_page),
                route("/targets/{target_id:id}", targets.save, methods=["POST"]),
                route(
                    "/targets/{target_id:id}/contacts/{contact_id:id}/reset",
                    targets.reset_address,
                    methods=["POST"],
                ),
                route("/actions/{slug:slug}/targets", action_targets.action_targets_page),
                route("/actions/{slug:slug}/targets", action_targets.add_target, methods=["POST"]),
                route(
                    "/actions/{slug:slug}/targets/remove",
                    action_targets.remove_target,
                    methods=["POST"],
                ),
                route(
                    "/actions/{slug:slug}/channels", action_targets.save_channels, methods=["POST"]
                ),
                route("/actions/{slug:slug}/solidarity", solidarity.solidarity_page),
                route("/actions/{slug:slug}/solidarity", solidarity.moderate, methods=["POST"]),
                route(
                    "/actions/{slug:slug}/solidarity/family", solidarity.family, methods=["POST"]
                ),
                route("/actions/{slug:slug}/solidarity/cards.pdf", solidarity.cards),
                route("/actions/{slug:slug}/solidarity/export.csv", solidarity.export),
                route("/actions/{slug:slug}/copies", action_targets.add_copy, methods=["POST"]),
                route(
                    "/actions/{slug:slug}/copies/remove",
                    action_targets.remove_copy,
                    methods=["POST"],
                ),
                route("/actions/{slug:slug}/letters/pause", action_targets.pause, methods=["POST"]),
                route(
                    "/actions/{slug:slug}/letters/resume", action_targets.resume, methods=["POST"]
                ),
                # The action's alert to the network (web/admin/network/alerts.py)
                route("/actions/{slug:slug}/alert", alerts.alert_page),
                route("/actions/{slug:slug}/alert", alerts.plan, methods=["POST"]),
                # Bots and abuse: trends, suspicions, invalidation (web/admin/signing/abuse.py)
                route("/actions/{slug:slug}/abuse", abuse.abuse_page),
                route("/actions/{slug:slug}/abuse/preview", abuse.preview),
                route(
                    "/actions/{slug:slug}/abuse/invalidate",
                    abuse.invalidate_signatures,
                    methods=["POST"],
                ),
                # Updates to supporters (web/admin/campaigns/updates.py)
                route("/cases/{case_id:id}/updates", updates.updates_page),
                route(
                    "/cases/{case_id:id}/updates/{event_id:id}/send", updates.send, methods=["POST"]
                ),
                # Supporters' requests about their data (web/admin/privacy/supporters.py)
                route("/supporters", supporters.supporters_page),
                route("/supporters/find", supporters.find, methods=["POST"]),
                route("/supporters/{supporter_id:uuid}/data.json", supporters.download),
                route("/supporters/{supporter_id:uuid}/erase", supporters.erase, methods=["POST"]),
                # One action's dashboard, and exports (web/admin/campaigns/dashboard.py, exports.py)
                route("/actions/{slug:slug}", dashboard.dashboard_page),
                route("/actions/{slug:slug}/export", exports.export_page),
                route("/actions/{slug:slug}/export/signatures.csv", exports.signatures_csv),
                route("/actions/{slug:slug}/export/deliveries.csv", exports.deliveries_csv),
            ],
        ),
        Mount(
            "/api/v1",
            routes=[
                route("/actions", public.list_actions),
                route("/actions/{slug:slug}", public.get_action),
                route("/actions/{slug:slug}/count", public.get_count),
                route("/actions/{slug:slug}/signatures", public.post_signature, methods=["POST"]),
                # The JSON API v1: public reads and signing (web/api/public.py), the OpenAPI
                # document, and the key-authenticated reads (web/api/reads.py)
                route("/openapi.json", openapi.openapi_json),
                route(
                    "/actions/{slug:slug}/signatures",
                    guard.signature_preflight,
                    methods=["OPTIONS"],
                ),
                route("/admin/actions", reads.list_actions),
                route("/admin/cases", reads.list_cases),
                route("/admin/actions/{slug:slug}/signatures", reads.list_signatures),
            ],
        ),
        Mount(
            "/api/osdi/v1",
            routes=[
                # OSDI (web/api/osdi.py): petitions and signatures in HAL+JSON, and the
                # record_signature helper
                route("/", osdi.entry_point),
                route("/petitions", osdi.petitions),
                route("/petitions/{slug:slug}", osdi.petition),
                route("/petitions/{slug:slug}/signatures", osdi.signatures),
                route(
                    "/petitions/{slug:slug}/signatures",
                    osdi.record_signature,
                    methods=["POST"],
                ),
            ],
        ),
        Mount("/static", HashedStaticFiles(settings.static_dir), name="static"),
    ]
    if settings.is_development:
        table += [
            route("/dev/mail", dev.mailbox_page),
            route("/dev/mail.json", dev.mailbox_json),
            route("/dev/sms", dev.smsbox_page),
            route("/dev/sms.json", dev.smsbox_json),
            route("/dev/sms/answer", dev.smsbox_answer, methods=["POST"]),
        ]
    return table
