"""Who an action writes to: its targets per channel, how letters go out on each channel, and
the switch that pauses them all."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.delivery.channels import CHANNELS, officials_channels
from campaign_engine.domain.targets.action_targets import (
    NoContactOnChannel,
    add_action_target,
    add_copy_recipient,
    pause_letters,
    read_action_targets,
    remove_action_target,
    remove_copy_recipient,
    resume_letters,
    save_channel_settings,
)
from campaign_engine.domain.targets.target_editing import TargetNotFound
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.i18n import _
from campaign_engine.web.admin.guard import form_values, path_slug, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.admin.targets.targets_forms import (
    parse_assignment,
    parse_channel_settings,
    parse_copy,
)
from campaign_engine.web.rendering import url_path
from campaign_engine.web.services import services


@staff_page(Capability.READ)
async def action_targets_page(request: Request) -> Response:
    return await _page(request)


@staff_page(Capability.CAMPAIGN)
async def add_target(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = parse_assignment(values)
    if isinstance(parsed, dict):
        return await _page(request, values=values, errors=parsed)
    target_id, channel = parsed
    try:
        await add_action_target(s.pool, s.clock, actor, path_slug(request), target_id, channel)
    except TargetNotFound:
        errors = {"target_id": _("Choose a target from the list.")}
        return await _page(request, values=values, errors=errors)
    except NoContactOnChannel:
        return await _page(request, values=values, errors=_no_contact(channel))
    return _back(request)


@staff_page(Capability.CAMPAIGN)
async def remove_target(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    parsed = parse_assignment(form_values(await request.form()))
    if isinstance(parsed, dict):
        return await _page(request, errors=parsed)
    await remove_action_target(s.pool, s.clock, actor, path_slug(request), *parsed)
    return _back(request)


@staff_page(Capability.CAMPAIGN)
async def add_copy(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = parse_copy(values)
    if isinstance(parsed, dict):
        return await _page(request, values=values, errors=parsed)
    try:
        await add_copy_recipient(s.pool, s.clock, actor, path_slug(request), parsed)
    except TargetNotFound:
        errors = {"copy_target_id": _("Choose a target from the list.")}
        return await _page(request, values=values, errors=errors)
    return _back(request, "copies")


@staff_page(Capability.CAMPAIGN)
async def remove_copy(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    parsed = parse_copy(form_values(await request.form()))
    if isinstance(parsed, dict):
        return await _page(request, errors=parsed)
    await remove_copy_recipient(s.pool, s.clock, actor, path_slug(request), parsed)
    return _back(request, "copies")


@staff_page(Capability.CAMPAIGN)
async def save_channels(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = parse_channel_settings(values)
    if isinstance(parsed, dict):
        return await _page(request, values=values, errors=parsed)
    await save_channel_settings(s.pool, s.clock, actor, path_slug(request), parsed)
    return _back(request, "channels")


@staff_page(Capability.CAMPAIGN)
async def pause(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    await pause_letters(s.pool, s.clock, actor, path_slug(request))
    return _back(request)


@staff_page(Capability.CAMPAIGN)
async def resume(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    await resume_letters(s.pool, s.clock, actor, path_slug(request))
    return _back(request)


def _back(request: Request, anchor: str = "") -> Response:
    fragment = f"#{anchor}" if anchor else ""
    page = url_path(request, "action_targets.action_targets_page", slug=path_slug(request))
    return RedirectResponse(f"{page}{fragment}", status_code=303)


def _no_contact(channel: str) -> dict[str, str]:
    typed = CHANNELS[channel].typed
    if typed is None:  # register() refuses a channel to officials without typed addresses
        raise ValueError(f"the {channel!r} channel reaches officials without typed addresses")
    return {"target_id": _(typed.missing)}


async def _page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    found = await read_action_targets(services(request).pool, path_slug(request), i18n.active().tag)
    context = {
        "found": found,
        "action": found.action,
        "channels": officials_channels(),
        "values": values or {},
        "errors": errors or {},
    }
    status = 422 if errors else 200
    return render_admin(request, "admin/action-targets.html", context, status_code=status)
