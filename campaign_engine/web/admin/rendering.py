"""Rendering a workspace page: the template, plus what the workspace layout needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine import i18n
from campaign_engine.domain.delivery.channels import CHANNELS
from campaign_engine.domain.workspace.access import Capability, may
from campaign_engine.i18n import N_, _
from campaign_engine.models.campaigns import ActionStatus
from campaign_engine.models.workspace import Role, Staff
from campaign_engine.web.admin.guard import csrf_token, staff_session
from campaign_engine.web.rendering import url_path
from campaign_engine.web.services import services

K = TypeVar("K")

ROLE_NAMES = {
    Role.OWNER: N_("Owner"),
    Role.ADMIN: N_("Administrator"),
    Role.CAMPAIGNER: N_("Campaigner"),
    Role.TRANSLATOR: N_("Translator"),
    Role.VIEWER: N_("Viewer"),
}
ROLE_DESCRIPTIONS = {
    Role.OWNER: N_("everything, including other owners"),
    Role.ADMIN: N_("everything but owners' accounts"),
    Role.CAMPAIGNER: N_("cases, actions, targets, updates and exports"),
    Role.TRANSLATOR: N_("translations only"),
    Role.VIEWER: N_("sees everything, changes nothing"),
}
STATUS_NAMES = {
    ActionStatus.DRAFT: N_("Draft"),
    ActionStatus.SCHEDULED: N_("Scheduled"),
    ActionStatus.OPEN: N_("Open"),
    ActionStatus.CLOSED: N_("Closed"),
    ActionStatus.ARCHIVED: N_("Archived"),
    ActionStatus.REMOVED: N_("Removed"),
}


# The menu: the route it leads to, what it says, and who sees it.
NAVIGATION = (
    ("overview.overview", N_("Overview"), Capability.READ),
    ("cases.cases_page", N_("Cases"), Capability.READ),
    ("actions.actions_page", N_("Actions"), Capability.READ),
    ("targets.target_list", N_("Targets"), Capability.READ),
    ("partners.partner_list", N_("Partners"), Capability.READ),
    ("members.network_page", N_("Network"), Capability.READ),
    ("outcomes.outcomes_page", N_("Impact"), Capability.READ),
    ("supporters.supporters_page", N_("Supporters' requests"), Capability.EXPORT),
    ("webhooks.webhook_list", N_("Webhooks"), Capability.MANAGE_PARTNERS),
    # API keys and the JSON API v1
    ("api_keys.api_keys_page", N_("API keys"), Capability.MANAGE_PARTNERS),
    ("team.team_page", N_("Team"), Capability.MANAGE_TEAM),
    ("audit.audit_page", N_("Audit log"), Capability.MANAGE_TEAM),
)


def render_admin(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """A page for a signed-in campaigner, in their language; never cached."""
    staff = staff_session(request).staff
    page = {
        **_layout(request),
        "staff": staff,
        "csrf_token": csrf_token(request),
        # What the campaigner's role allows, for menus and buttons: can.campaign, can.export…
        "can": {capability.value: may(staff, capability) for capability in Capability},
        "navigation": _menu(request, staff),
        **(context or {}),
    }
    return _respond(request, template, page, status_code)


def _menu(request: Request, staff: Staff) -> list[tuple[str, str, bool]]:
    """The menu's entries this campaigner may see: where each leads, what it says, and
    whether this page is in its part of the workspace."""
    path, home = request.url.path, url_path(request, "overview.overview")
    entries = [
        (url_path(request, name), _(label))
        for name, label, capability in NAVIGATION
        if may(staff, capability)
    ]
    return [
        (href, label, href == path or (href != home and path.startswith(href)))
        for href, label in entries
    ]


def render_door(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """A page on the way in (sign-in, second factor, invitation): no menu, never cached."""
    return _respond(request, template, {**_layout(request), **(context or {})}, status_code)


def _layout(request: Request) -> dict[str, Any]:
    tag = i18n.active().tag
    return {
        "locale": tag,
        "dir": i18n.text_direction(tag),
        "role_names": _translated(ROLE_NAMES),
        "role_descriptions": _translated(ROLE_DESCRIPTIONS),
        "status_names": _translated(STATUS_NAMES),
        "channel_names": _translated({name: c.label for name, c in CHANNELS.items()}),
    }


def _translated(names: Mapping[K, str]) -> dict[K, str]:
    return {key: _(name) for key, name in names.items()}


def _respond(request: Request, template: str, page: dict[str, Any], status_code: int) -> Response:
    response = services(request).templates.TemplateResponse(
        request, template, page, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = page["locale"]
    return response
