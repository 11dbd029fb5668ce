"""The route × role matrix, generated from the router: every route of the app has an entry in
EXPECTED saying who may use it, and every workspace route is tried by an anonymous visitor and
by each role. A route added without an entry fails here, so nobody ships a page without
deciding who may see it; a role without the capability gets 403, never a 2xx."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.domain.workspace.access import CAPABILITIES, Capability
from campaign_engine.models.workspace import Role
from campaign_engine.settings import Settings
from campaign_engine.web.routes import every_route, routes
from tests.conftest import http_client
from tests.staff import Campaigner, signed_in

PUBLIC = "public"  # the public site, the API, webhooks, operations: not the workspace
DOOR = "door"  # the way into the workspace: no session needed
ANY_CAMPAIGNER = "any campaigner"  # signed in, whatever the role (their own account)

EXPECTED: dict[tuple[str, str], str | Capability] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/confirm/{token}"): PUBLIC,
    ("POST", "/confirm/{token}"): PUBLIC,
    ("GET", "/not-me/{token}"): PUBLIC,
    ("POST", "/not-me/{token}"): PUBLIC,
    ("GET", "/{locale:locale}/actions.atom"): PUBLIC,
    ("GET", "/{locale:locale}/impact"): PUBLIC,
    ("GET", "/{locale:locale}/actions/{slug:slug}/case-sheet.pdf"): PUBLIC,
    ("GET", "/{locale:locale}/actions/{slug:slug}/letter"): PUBLIC,
    ("POST", "/{locale:locale}/actions/{slug:slug}/letter"): PUBLIC,
    ("POST", "/{locale:locale}/actions/{slug:slug}/letter/posted"): PUBLIC,
    ("POST", "/{locale:locale}/actions/{slug:slug}/solidarity"): PUBLIC,
    ("GET", "/{locale:locale}/network"): PUBLIC,
    ("POST", "/{locale:locale}/network"): PUBLIC,
    ("GET", "/network/{token}"): PUBLIC,
    ("POST", "/network/{token}"): PUBLIC,
    ("GET", "/network/{token}/leave"): PUBLIC,
    ("POST", "/network/{token}/leave"): PUBLIC,
    ("POST", "/{locale:locale}/cases/{slug:slug}/follow"): PUBLIC,
    ("GET", "/follow/{token}"): PUBLIC,
    ("POST", "/follow/{token}"): PUBLIC,
    ("GET", "/follow/{token}/stop"): PUBLIC,
    ("POST", "/follow/{token}/stop"): PUBLIC,
    ("GET", "/act/{token}"): PUBLIC,
    ("POST", "/act/{token}"): PUBLIC,
    ("GET", "/api/v1/actions"): PUBLIC,
    ("GET", "/api/v1/actions/{slug:slug}"): PUBLIC,
    ("GET", "/api/v1/actions/{slug:slug}/count"): PUBLIC,
    ("POST", "/api/v1/actions/{slug:slug}/signatures"): PUBLIC,
    ("GET", "/{locale:locale}/"): PUBLIC,
    ("GET", "/{locale:locale}/actions/{slug:slug}"): PUBLIC,
    ("POST", "/{locale:locale}/actions/{slug:slug}/sign"): PUBLIC,
    ("GET", "/{locale:locale}/actions/{slug:slug}/check-email"): PUBLIC,
    ("GET", "/{locale:locale}/actions/{slug:slug}/thanks"): PUBLIC,
    ("GET", "/{locale:locale}/cases/{slug:slug}"): PUBLIC,
    ("POST", "/webhooks/twilio/status"): PUBLIC,
    ("POST", "/webhooks/twilio/sms"): PUBLIC,
    ("POST", "/webhooks/email"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/dev/mail"): PUBLIC,
    ("GET", "/dev/mail.json"): PUBLIC,
    ("GET", "/dev/sms"): PUBLIC,
    ("GET", "/dev/sms.json"): PUBLIC,
    ("POST", "/dev/sms/answer"): PUBLIC,
    ("GET", "/admin/login"): DOOR,
    ("POST", "/admin/login"): DOOR,
    ("GET", "/admin/welcome/{token}"): DOOR,
    ("POST", "/admin/welcome/{token}"): DOOR,
    ("GET", "/admin/second-factor"): ANY_CAMPAIGNER,
    ("POST", "/admin/second-factor"): ANY_CAMPAIGNER,
    ("GET", "/admin/enrol"): ANY_CAMPAIGNER,
    ("POST", "/admin/enrol"): ANY_CAMPAIGNER,
    ("POST", "/admin/logout"): ANY_CAMPAIGNER,
    ("GET", "/admin"): Capability.READ,
    ("GET", "/admin/account"): ANY_CAMPAIGNER,
    ("POST", "/admin/account/language"): ANY_CAMPAIGNER,
    ("POST", "/admin/account/password"): ANY_CAMPAIGNER,
    ("GET", "/admin/team"): Capability.MANAGE_TEAM,
    ("POST", "/admin/team"): Capability.MANAGE_TEAM,
    ("POST", "/admin/team/{staff_id:id}/role"): Capability.MANAGE_TEAM,
    ("POST", "/admin/team/{staff_id:id}/disable"): Capability.MANAGE_TEAM,
    ("POST", "/admin/team/{staff_id:id}/enable"): Capability.MANAGE_TEAM,
    ("POST", "/admin/team/{staff_id:id}/link"): Capability.MANAGE_TEAM,
    ("POST", "/admin/team/{staff_id:id}/second-factor/remove"): Capability.MANAGE_TEAM,
    ("GET", "/admin/audit"): Capability.MANAGE_TEAM,
    ("GET", "/admin/impact"): Capability.READ,
    ("GET", "/admin/network"): Capability.READ,
    ("GET", "/admin/network/import"): Capability.EXPORT,
    ("POST", "/admin/network/import"): Capability.EXPORT,
    ("POST", "/admin/network/import/{import_id:id}/apply"): Capability.EXPORT,
    # Partners
    ("GET", "/admin/partners"): Capability.READ,
    ("POST", "/admin/partners"): Capability.MANAGE_PARTNERS,
    ("GET", "/admin/partners/new"): Capability.MANAGE_PARTNERS,
    ("GET", "/admin/partners/{partner_id:id}"): Capability.READ,
    ("POST", "/admin/partners/{partner_id:id}"): Capability.MANAGE_PARTNERS,
    ("POST", "/admin/partners/{partner_id:id}/key"): Capability.MANAGE_PARTNERS,
    ("POST", "/admin/partners/{partner_id:id}/disable"): Capability.MANAGE_PARTNERS,
    ("POST", "/admin/partners/{partner_id:id}/enable"): Capability.MANAGE_PARTNERS,
    # The widget and its loader
    # API keys and the JSON API v1
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("OPTIONS", "/api/v1/actions/{slug:slug}/signatures"): PUBLIC,
    ("GET", "/api/v1/admin/actions"): PUBLIC,
    ("GET", "/api/v1/admin/cases"): PUBLIC,
    ("GET", "/api/v1/admin/actions/{slug:slug}/signatures"): PUBLIC,
    ("GET", "/api/osdi/v1/"): PUBLIC,
    ("GET", "/api/osdi/v1/petitions"): PUBLIC,
    ("GET", "/api/osdi/v1/petitions/{slug:slug}"): PUBLIC,
    ("GET", "/api/osdi/v1/petitions/{slug:slug}/signatures"): PUBLIC,
    ("POST", "/api/osdi/v1/petitions/{slug:slug}/signatures"): PUBLIC,
    ("GET", "/admin/api-keys"): Capability.MANAGE_PARTNERS,
    ("POST", "/admin/api-keys"): Capability.MANAGE_PARTNERS,
    ("POST", "/admin/api-keys/{key_id:id}/revoke"): Capability.MANAGE_PARTNERS,
    # Webhooks
    ("GET", "/admin/webhooks"): Capability.MANAGE_PARTNERS,
    ("POST", "/admin/webhooks"): Capability.MANAGE_PARTNERS,
    ("GET", "/admin/webhooks/{endpoint_id:id}"): Capability.MANAGE_PARTNERS,
    ("POST", "/admin/webhooks/{endpoint_id:id}"): Capability.MANAGE_PARTNERS,
    ("POST", "/admin/webhooks/{endpoint_id:id}/disable"): Capability.MANAGE_PARTNERS,
    ("POST", "/admin/webhooks/{endpoint_id:id}/enable"): Capability.MANAGE_PARTNERS,
    ("POST", "/admin/webhooks/{endpoint_id:id}/secret"): Capability.MANAGE_PARTNERS,
    ("GET", "/embed.js"): PUBLIC,
    ("GET", "/{locale:locale}/embed/{slug:slug}"): PUBLIC,
    ("POST", "/{locale:locale}/embed/{slug:slug}/sign"): PUBLIC,
    ("GET", "/{locale:locale}/embed/{slug:slug}/check-email"): PUBLIC,
    # Cases and their timeline
    ("GET", "/admin/cases"): Capability.READ,
    ("POST", "/admin/cases"): Capability.CAMPAIGN,
    ("GET", "/admin/cases/new"): Capability.CAMPAIGN,
    ("GET", "/admin/cases/{case_id:id}"): Capability.READ,
    ("POST", "/admin/cases/{case_id:id}"): Capability.CAMPAIGN,
    ("GET", "/admin/cases/{case_id:id}/translations/{locale:locale}"): Capability.TRANSLATE,
    ("POST", "/admin/cases/{case_id:id}/translations/{locale:locale}"): Capability.TRANSLATE,
    ("POST", "/admin/cases/{case_id:id}/events"): Capability.CAMPAIGN,
    ("POST", "/admin/cases/{case_id:id}/events/{event_id:id}"): Capability.CAMPAIGN,
    ("POST", "/admin/cases/{case_id:id}/events/{event_id:id}/publish"): Capability.CAMPAIGN,
    ("POST", "/admin/cases/{case_id:id}/events/{event_id:id}/unpublish"): Capability.CAMPAIGN,
    ("POST", "/admin/cases/{case_id:id}/events/{event_id:id}/delete"): Capability.CAMPAIGN,
    # Actions: the list and the editor
    ("GET", "/admin/actions"): Capability.READ,
    ("POST", "/admin/actions"): Capability.CAMPAIGN,
    ("GET", "/admin/actions/new"): Capability.CAMPAIGN,
    ("GET", "/admin/actions/{slug:slug}/edit"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/edit"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/publish"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/schedule"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/close"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/reopen"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/archive"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/remove"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/restore"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/follow-up"): Capability.CAMPAIGN,
    ("GET", "/admin/actions/{slug:slug}/translations"): Capability.TRANSLATE,
    ("GET", "/admin/actions/{slug:slug}/translations/{locale:locale}"): Capability.TRANSLATE,
    ("POST", "/admin/actions/{slug:slug}/translations/{locale:locale}"): Capability.TRANSLATE,
    (
        "POST",
        "/admin/actions/{slug:slug}/translations/{locale:locale}/publish",
    ): Capability.CAMPAIGN,
    (
        "POST",
        "/admin/actions/{slug:slug}/translations/{locale:locale}/unpublish",
    ): Capability.CAMPAIGN,
    (
        "POST",
        "/admin/actions/{slug:slug}/translations/{locale:locale}/preview-link",
    ): Capability.TRANSLATE,
    ("GET", "/preview/{token}"): PUBLIC,
    # Targets
    ("GET", "/admin/targets"): Capability.READ,
    ("POST", "/admin/targets"): Capability.CAMPAIGN,
    ("GET", "/admin/targets/new"): Capability.CAMPAIGN,
    ("GET", "/admin/targets/import"): Capability.CAMPAIGN,
    ("POST", "/admin/targets/import"): Capability.CAMPAIGN,
    ("POST", "/admin/targets/import/{import_id:id}"): Capability.CAMPAIGN,
    ("GET", "/admin/targets/{target_id:id}"): Capability.READ,
    ("POST", "/admin/targets/{target_id:id}"): Capability.CAMPAIGN,
    ("POST", "/admin/targets/{target_id:id}/contacts/{contact_id:id}/reset"): Capability.CAMPAIGN,
    ("GET", "/admin/actions/{slug:slug}/targets"): Capability.READ,
    ("POST", "/admin/actions/{slug:slug}/targets"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/targets/remove"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/copies"): Capability.CAMPAIGN,
    ("GET", "/admin/actions/{slug:slug}/solidarity"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/solidarity"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/solidarity/family"): Capability.CAMPAIGN,
    ("GET", "/admin/actions/{slug:slug}/solidarity/cards.pdf"): Capability.CAMPAIGN,
    ("GET", "/admin/actions/{slug:slug}/solidarity/export.csv"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/copies/remove"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/channels"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/letters/pause"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/letters/resume"): Capability.CAMPAIGN,
    # Updates to supporters
    ("GET", "/admin/cases/{case_id:id}/updates"): Capability.READ,
    ("POST", "/admin/cases/{case_id:id}/updates/{event_id:id}/send"): Capability.CAMPAIGN,
    ("GET", "/unsubscribe/{token}"): PUBLIC,
    ("POST", "/unsubscribe/{token}"): PUBLIC,
    ("GET", "/privacy/{token}"): PUBLIC,
    ("GET", "/{locale:locale}/privacy"): PUBLIC,
    ("POST", "/{locale:locale}/privacy"): PUBLIC,
    ("GET", "/proof-of-work"): PUBLIC,
    ("GET", "/privacy/{token}/data.json"): PUBLIC,
    ("POST", "/privacy/{token}/erase"): PUBLIC,
    ("GET", "/admin/supporters"): Capability.EXPORT,
    ("POST", "/admin/supporters/find"): Capability.EXPORT,
    ("GET", "/admin/supporters/{supporter_id:uuid}/data.json"): Capability.EXPORT,
    ("POST", "/admin/supporters/{supporter_id:uuid}/erase"): Capability.EXPORT,
    # Dashboard and exports
    ("GET", "/admin/actions/{slug:slug}"): Capability.READ,
    ("GET", "/admin/actions/{slug:slug}/export"): Capability.EXPORT,
    # Bots and abuse
    ("GET", "/admin/actions/{slug:slug}/alert"): Capability.READ,
    ("POST", "/admin/actions/{slug:slug}/alert"): Capability.CAMPAIGN,
    ("GET", "/admin/actions/{slug:slug}/abuse"): Capability.READ,
    ("GET", "/admin/actions/{slug:slug}/abuse/preview"): Capability.CAMPAIGN,
    ("POST", "/admin/actions/{slug:slug}/abuse/invalidate"): Capability.CAMPAIGN,
    ("GET", "/admin/actions/{slug:slug}/export/signatures.csv"): Capability.EXPORT,
    ("GET", "/admin/actions/{slug:slug}/export/deliveries.csv"): Capability.EXPORT,
}
GUARDED = sorted(
    (key for key, who in EXPECTED.items() if who not in (PUBLIC, DOOR)), key=lambda key: key[1]
)


def table(settings: Settings) -> dict[tuple[str, str], Any]:
    """(method, path) -> handler, for every route the app serves (in development, which
    serves them all)."""
    found: dict[tuple[str, str], Any] = {}
    for path, route in every_route(routes(replace(settings, environment="development"))):
        if isinstance(route, Mount):
            found[("GET", path)] = route.app
        elif isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                found[(method, path)] = route.endpoint
    return found


def test_every_route_says_who_may_use_it(settings: Settings) -> None:
    served = table(settings)
    assert set(served) - set(EXPECTED) == set(), "a route without an entry in EXPECTED"
    assert set(EXPECTED) - set(served) == set(), "an entry for a route that no longer exists"
    for key, who in EXPECTED.items():
        guard = getattr(served[key], "capability", "unguarded")
        if who in (PUBLIC, DOOR):
            assert guard == "unguarded", f"{key} is guarded but listed as {who}"
        else:
            wanted = None if who == ANY_CAMPAIGNER else who
            assert guard == wanted, f"{key} needs {guard!r}, EXPECTED says {who!r}"


@pytest.fixture(scope="module")
async def team(asgi_app: ASGIApp, pool: Pool) -> AsyncIterator[dict[Role, Campaigner]]:
    members = {role: await signed_in(asgi_app, pool, role) for role in Role}
    yield members
    for member in members.values():
        await member.client.aclose()


@pytest.fixture(scope="module")
async def colleague(asgi_app: ASGIApp, pool: Pool) -> AsyncIterator[Campaigner]:
    """Whom the team pages act on: a viewer, whom owners and admins may manage."""
    member = await signed_in(asgi_app, pool, Role.VIEWER)
    yield member
    await member.client.aclose()


# Made-up ids and slugs: an allowed role meets "not found", a refused one 403 before any lookup.
PLACEHOLDERS = {
    "{slug:slug}": "no-such-thing",
    "{locale:locale}": "fr",
    "{token}": "not-a-token",
    "{supporter_id:uuid}": "00000000-0000-4000-8000-000000000000",
}


def concrete(path: str, colleague: Campaigner, staff_id: str | None = None) -> str:
    path = path.replace("{staff_id:id}", staff_id or str(colleague.staff.id))
    for placeholder, value in PLACEHOLDERS.items():
        path = path.replace(placeholder, value)
    return re.sub(r"\{[a-z_]+:id\}", "999999999", path)


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
async def test_an_anonymous_visitor_is_sent_to_sign_in_and_changes_nothing(
    asgi_app: ASGIApp, colleague: Campaigner, method: str, path: str
) -> None:
    async with http_client(asgi_app) as anonymous:
        answer = await anonymous.request(method, concrete(path, colleague), data={"role": "owner"})
    if method == "GET":
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/admin/login")
    else:
        assert answer.status_code == 403


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
async def test_each_role_gets_exactly_what_its_capabilities_allow(
    asgi_app: ASGIApp,
    pool: Pool,
    team: dict[Role, Campaigner],
    colleague: Campaigner,
    role: Role,
    method: str,
    path: str,
) -> None:
    who = EXPECTED[(method, path)]
    allowed = who == ANY_CAMPAIGNER or who in CAPABILITIES[role]
    # Signing out would end the shared session: that route gets a campaigner of its own.
    member = await signed_in(asgi_app, pool, role) if path == "/admin/logout" else team[role]
    target = concrete(path, colleague)
    if method == "GET":
        answer = await member.client.get(target)
    else:
        answer = await member.post(target, {"role": "viewer"})
    if allowed:
        assert answer.status_code not in (401, 403), f"{role} refused on {method} {path}"
        assert answer.status_code < 500
    else:
        assert answer.status_code == 403, f"{role} reached {method} {path}: {answer.status_code}"
    if path == "/admin/logout":
        await member.client.aclose()


async def test_no_workspace_page_answers_a_stranger_with_content(
    asgi_app: ASGIApp, colleague: Campaigner
) -> None:
    """Crawled without a session, with real and made-up ids, no workspace page shows a byte of
    anyone's account."""
    async with http_client(asgi_app) as stranger:
        for method, path in GUARDED:
            for staff_id in (str(colleague.staff.id), "1", "999999999999999999"):
                answer = await stranger.request(method, concrete(path, colleague, staff_id))
                assert colleague.staff.email not in answer.text
                assert answer.status_code in (303, 403)


async def test_ids_too_long_for_the_database_are_simply_not_found(
    team: dict[Role, Campaigner],
) -> None:
    owner = team[Role.OWNER]
    answer = await owner.post("/admin/team/99999999999999999999999/disable")
    assert answer.status_code == 404
