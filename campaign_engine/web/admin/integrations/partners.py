"""Partners: the list, a new one, one partner (a form for those who manage partners), its
embed key and snippet, and switching it off and on."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.integrations.partners import (
    PartnerNotFound,
    PartnerPage,
    PartnerSlugTaken,
    change_embed_key,
    create_partner,
    list_partners,
    plain_http_origins_allowed,
    read_partner,
    set_partner_disabled,
    update_partner,
)
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.i18n import _
from campaign_engine.web.admin.guard import form_values, path_id, staff_page, staff_session
from campaign_engine.web.admin.integrations.partners_forms import (
    consent_field,
    consent_label,
    parse_new_partner,
    parse_partner,
    partner_values,
)
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.errors import error_response
from campaign_engine.web.rendering import absolute_url, url_path
from campaign_engine.web.services import services

# The action the snippet shows until the partner picks theirs: the campaigner edits it.
SNIPPET_ACTION = "ACTION-SLUG"


@staff_page(Capability.READ)
async def partner_list(request: Request) -> Response:
    listings = await list_partners(services(request).pool)
    return render_admin(request, "admin/partners.html", {"partners": listings})


@staff_page(Capability.MANAGE_PARTNERS)
async def new_partner_page(request: Request) -> Response:
    return _new_partner(request, {})


@staff_page(Capability.MANAGE_PARTNERS)
async def create(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = parse_new_partner(values, plain_http=_plain_http(request))
    if isinstance(parsed, dict):
        return _new_partner(request, values, parsed)
    try:
        partner_id = await create_partner(s.pool, s.clock, actor, *parsed)
    except PartnerSlugTaken:
        return _new_partner(request, values, {"slug": _("Another partner has this short name.")})
    return RedirectResponse(f"{_partner_page(request, partner_id)}?saved=1", status_code=303)


@staff_page(Capability.READ)
async def partner_page(request: Request) -> Response:
    try:
        page = await read_partner(services(request).pool, path_id(request, "partner_id"))
    except PartnerNotFound:
        return error_response(request, "not_found")
    saved = request.query_params.get("saved") == "1"
    return _partner(request, page, partner_values(page.details), saved=saved)


@staff_page(Capability.MANAGE_PARTNERS)
async def save(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    partner_id = path_id(request, "partner_id")
    values = form_values(await request.form())
    parsed = parse_partner(values, plain_http=_plain_http(request))
    try:
        if isinstance(parsed, dict):
            page = await read_partner(s.pool, partner_id)
            return _partner(request, page, values, errors=parsed)
        await update_partner(s.pool, s.clock, actor, partner_id, parsed)
    except PartnerNotFound:
        return error_response(request, "not_found")
    return RedirectResponse(f"{_partner_page(request, partner_id)}?saved=1", status_code=303)


@staff_page(Capability.MANAGE_PARTNERS)
async def new_key(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    partner_id = path_id(request, "partner_id")
    try:
        await change_embed_key(s.pool, s.clock, actor, partner_id)
    except PartnerNotFound:
        return error_response(request, "not_found")
    return RedirectResponse(f"{_partner_page(request, partner_id)}#embed", status_code=303)


@staff_page(Capability.MANAGE_PARTNERS)
async def disable(request: Request) -> Response:
    return await _set_disabled(request, True)


@staff_page(Capability.MANAGE_PARTNERS)
async def enable(request: Request) -> Response:
    return await _set_disabled(request, False)


def _plain_http(request: Request) -> bool:
    return plain_http_origins_allowed(services(request).settings.environment)


async def _set_disabled(request: Request, disabled: bool) -> Response:
    s, actor = services(request), staff_session(request).staff
    partner_id = path_id(request, "partner_id")
    try:
        await set_partner_disabled(s.pool, s.clock, actor, partner_id, disabled)
    except PartnerNotFound:
        return error_response(request, "not_found")
    return RedirectResponse(_partner_page(request, partner_id), status_code=303)


def _form_context(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "consent_fields": [(tag, consent_field(tag), consent_label(tag)) for tag in i18n.LOCALES],
    }


def _new_partner(
    request: Request, values: dict[str, str], errors: dict[str, str] | None = None
) -> Response:
    status = 422 if errors else 200
    context = _form_context(values, errors or {})
    return render_admin(request, "admin/partner_new.html", context, status_code=status)


def _partner(
    request: Request,
    page: PartnerPage,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    partner = page.partner
    loader = absolute_url(request, "embed.loader")
    context = {
        **_form_context(values, errors or {}),
        "partner": partner,
        "details": page.details,
        "saved": saved,
        "snippet": embed_snippet(loader, SNIPPET_ACTION, partner.slug, partner.embed_key),
    }
    status = 422 if errors else 200
    return render_admin(request, "admin/partner.html", context, status_code=status)


def embed_snippet(loader_url: str, action_slug: str, partner_slug: str, embed_key: str) -> str:
    """What the partner pastes into its page (the loader turns the div into the widget)."""
    return (
        f'<script src="{loader_url}" async></script>\n'
        f'<div data-campaign-engine-action="{action_slug}" data-partner="{partner_slug}" '
        f'data-key="{embed_key}"></div>'
    )


def _partner_page(request: Request, partner_id: int) -> str:
    return url_path(request, "partners.partner_page", partner_id=partner_id)
