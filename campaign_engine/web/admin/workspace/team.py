"""The team: who may use the workspace, with which role; invitations and sign-in links."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.errors import LastOwner, NotAllowed, StaffExists, StaffNotFound
from campaign_engine.domain.workspace.access import Capability, may_manage
from campaign_engine.domain.workspace.staff import (
    Invitation,
    change_role,
    invite_staff,
    list_team,
    reissue_sign_in_link,
    remove_second_factor,
    set_disabled,
)
from campaign_engine.i18n import _
from campaign_engine.models.workspace import Role
from campaign_engine.web.admin.forms import parse_invitation
from campaign_engine.web.admin.guard import (
    forbidden,
    form_values,
    path_id,
    staff_page,
    staff_session,
)
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.rendering import absolute_url, render_error, url_path
from campaign_engine.web.services import services


@staff_page(Capability.MANAGE_TEAM)
async def team_page(request: Request) -> Response:
    return await _team(request)


@staff_page(Capability.MANAGE_TEAM)
async def invite(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = parse_invitation(values, _grantable(request))
    if isinstance(parsed, dict):
        return await _team(request, values=values, errors=parsed, status_code=422)
    try:
        invitation = await invite_staff(
            s.pool, s.clock, actor, parsed.email, parsed.name, parsed.role, parsed.locale
        )
    except StaffExists:
        errors = {"email": _("Someone on the team already has this address.")}
        return await _team(request, values=values, errors=errors, status_code=422)
    return await _team(request, invitation=invitation)


@staff_page(Capability.MANAGE_TEAM)
async def issue_link(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    try:
        invitation = await reissue_sign_in_link(s.pool, s.clock, actor, _member(request))
    except (NotAllowed, StaffNotFound):
        return forbidden(request)
    return await _team(request, invitation=invitation)


@staff_page(Capability.MANAGE_TEAM)
async def set_role(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    chosen = form_values(await request.form()).get("role")
    role = next((r for r in Role if r.value == chosen), None)
    if role is None:
        return forbidden(request)
    return await _change(request, change_role(s.pool, s.clock, actor, _member(request), role))


@staff_page(Capability.MANAGE_TEAM)
async def disable(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    return await _change(request, set_disabled(s.pool, s.clock, actor, _member(request), True))


@staff_page(Capability.MANAGE_TEAM)
async def enable(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    return await _change(request, set_disabled(s.pool, s.clock, actor, _member(request), False))


@staff_page(Capability.MANAGE_TEAM)
async def reset_second_factor(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    return await _change(request, remove_second_factor(s.pool, s.clock, actor, _member(request)))


async def _change(request: Request, change: Any) -> Response:
    """Make a change to someone's account; a sign-in link it made for them is shown once."""
    try:
        link = await change
    except (NotAllowed, StaffNotFound):
        return forbidden(request)
    except LastOwner:
        return render_error(
            request,
            409,
            _("The team needs an owner"),
            _("Make someone else an owner first: the workspace must keep one who can sign in."),
        )
    if isinstance(link, Invitation):
        return await _team(request, invitation=link)
    return RedirectResponse(url_path(request, "team.team_page"), status_code=303)


def _member(request: Request) -> int:
    member_id = path_id(request, "staff_id")
    return member_id


def _grantable(request: Request) -> list[Role]:
    actor = staff_session(request).staff
    return [role for role in Role if may_manage(actor, role)]


async def _team(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    invitation: Invitation | None = None,
    status_code: int = 200,
) -> Response:
    s, actor = services(request), staff_session(request).staff
    team = await list_team(s.pool)
    context = {
        "team": team,
        "manageable": {m.id for m in team if m.id != actor.id and may_manage(actor, m.role)},
        "roles": _grantable(request),
        "languages": [(tag, i18n.native_name(tag)) for tag in i18n.LOCALES],
        "values": values or {"locale": i18n.active().tag},
        "errors": errors or {},
        "invitation": invitation,
        "link": (
            absolute_url(request, "auth.welcome_page", token=invitation.token)
            if invitation
            else None
        ),
    }
    return render_admin(request, "admin/team.html", context, status_code=status_code)
