"""Targets: the list, one target (a form for those who may edit it), a new one, and putting a
failing address back in use."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.delivery.channels import CHANNELS, typed_channels
from campaign_engine.domain.targets.target_editing import (
    LIST_LIMIT,
    ContactInUse,
    ExternalIdTaken,
    TargetNotFound,
    TargetPage,
    create_target,
    list_targets,
    read_target,
    reset_contact,
    update_target,
)
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.formats.countries import country_choices
from campaign_engine.formats.fields import time_zone_names
from campaign_engine.i18n import _
from campaign_engine.web.admin.guard import form_values, path_id, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.admin.targets.targets_forms import (
    parse_target,
    salutation_field,
    salutation_label,
    target_values,
)
from campaign_engine.web.errors import error_response
from campaign_engine.web.rendering import url_path
from campaign_engine.web.services import services

MAX_SEARCH = 200
# What the list says after an import: the counts it was redirected with.
SUMMARY_KEYS = ("created", "updated", "unchanged", "contacts_added", "skipped")


@staff_page(Capability.READ)
async def target_list(request: Request) -> Response:
    search = request.query_params.get("q", "")[:MAX_SEARCH].strip()
    listings = await list_targets(services(request).pool, search)
    context = {
        "targets": listings,
        "search": search,
        "limit": LIST_LIMIT,
        "summary": _import_summary(request),
    }
    return render_admin(request, "admin/targets.html", context)


@staff_page(Capability.CAMPAIGN)
async def new_target_page(request: Request) -> Response:
    return _new_target(request, {"time_zone": "UTC", "preferred_locale": i18n.active().tag})


@staff_page(Capability.CAMPAIGN)
async def create(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    form = await request.form()
    values, days = form_values(form), _strings(form.getlist("office_days"))
    parsed = parse_target(values, days)
    if isinstance(parsed, dict):
        return _new_target(request, values, days, parsed)
    try:
        target_id = await create_target(s.pool, s.clock, actor, *parsed)
    except ExternalIdTaken:
        return _new_target(request, values, days, _external_id_taken())
    page = url_path(request, "targets.target_page", target_id=target_id)
    return RedirectResponse(f"{page}?saved=1", status_code=303)


@staff_page(Capability.READ)
async def target_page(request: Request) -> Response:
    try:
        page = await read_target(services(request).pool, path_id(request, "target_id"))
    except TargetNotFound:
        return error_response(request, "not_found")
    values, days = target_values(page)
    return _target(request, page, values, days, saved=request.query_params.get("saved") == "1")


@staff_page(Capability.CAMPAIGN)
async def save(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    form = await request.form()
    values, days = form_values(form), _strings(form.getlist("office_days"))
    parsed = parse_target(values, days)
    try:
        if isinstance(parsed, dict):
            return await _invalid(request, values, days, parsed)
        await update_target(s.pool, s.clock, actor, path_id(request, "target_id"), *parsed)
    except TargetNotFound:
        return error_response(request, "not_found")
    except ExternalIdTaken:
        return await _invalid(request, values, days, _external_id_taken())
    except ContactInUse as in_use:
        return await _invalid(request, values, days, _contact_in_use(in_use))
    page = url_path(request, "targets.target_page", target_id=path_id(request, "target_id"))
    return RedirectResponse(f"{page}?saved=1", status_code=303)


@staff_page(Capability.CAMPAIGN)
async def reset_address(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    target_id, contact_id = path_id(request, "target_id"), path_id(request, "contact_id")
    try:
        await reset_contact(s.pool, s.clock, actor, target_id, contact_id)
    except TargetNotFound:
        return error_response(request, "not_found")
    page = url_path(request, "targets.target_page", target_id=target_id)
    return RedirectResponse(f"{page}#addresses", status_code=303)


def _strings(items: list[Any]) -> list[str]:
    return [item for item in items if isinstance(item, str)]


def _external_id_taken() -> dict[str, str]:
    return {"external_id": _("Another target has this external id.")}


def _contact_in_use(in_use: ContactInUse) -> dict[str, str]:
    typed = CHANNELS[in_use.channel].typed
    field = typed.form_field if typed else "addresses"
    message = _(
        "Letters were sent to %(address)s, so it stays on record and cannot be removed. "
        "Add the new address beside it: letters go to a working address first."
    ) % {"address": in_use.address}
    return {field: message}


def _import_summary(request: Request) -> dict[str, int] | None:
    found = {key: request.query_params.get(key, "") for key in SUMMARY_KEYS}
    if not all(value.isdigit() and len(value) < 10 for value in found.values()):
        return None
    return {key: int(value) for key, value in found.items()}


def _form_context(
    values: dict[str, str], days: list[str], errors: dict[str, str]
) -> dict[str, Any]:
    tag = i18n.active().tag
    return {
        "values": values,
        "office_days": set(days),
        "errors": errors,
        "countries": country_choices(tag),
        "time_zones": time_zone_names(),
        "languages": [(locale, i18n.native_name(locale)) for locale in i18n.LOCALES],
        "salutation_fields": [
            (locale, salutation_field(locale), salutation_label(locale)) for locale in i18n.LOCALES
        ],
        "weekdays": _weekdays(),
        # One field per channel whose addresses are typed (domain/delivery/channels/).
        "address_fields": [
            (typed.form_field, _(typed.label), _(typed.hint))
            for channel in typed_channels()
            if (typed := channel.typed)
        ],
    }


def _weekdays() -> list[tuple[str, str]]:
    """(ISO number, name in the reader's language), Monday first."""
    names = i18n.active().babel.days["format"]["wide"]
    return [(str(day + 1), str(names[day])) for day in range(7)]


def _new_target(
    request: Request,
    values: dict[str, str],
    days: list[str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    context = _form_context(values, days or [], errors or {})
    status = 422 if errors else 200
    return render_admin(request, "admin/target-new.html", context, status_code=status)


async def _invalid(
    request: Request, values: dict[str, str], days: list[str], errors: dict[str, str]
) -> Response:
    page = await read_target(services(request).pool, path_id(request, "target_id"))
    return _target(request, page, values, days, errors=errors)


def _target(
    request: Request,
    page: TargetPage,
    values: dict[str, str],
    days: list[str],
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    context = {
        **_form_context(values, days, errors or {}),
        "page": page,
        "target": page.target,
        "saved": saved,
    }
    status = 422 if errors else 200
    return render_admin(request, "admin/target.html", context, status_code=status)
