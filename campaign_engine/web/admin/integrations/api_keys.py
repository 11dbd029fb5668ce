"""API keys: the list, making one (its secret shown once, on the answer page) and revoking
one. For those who manage partners: a key reads signers' names and emails."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine.domain.integrations.api_keys import (
    ApiKeyNotFound,
    NewApiKey,
    PartnerUnknown,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from campaign_engine.domain.integrations.partners import list_partners
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.formats import fields
from campaign_engine.i18n import N_, _
from campaign_engine.models.integrations import ApiScope
from campaign_engine.web.admin.guard import form_values, path_id, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.errors import error_response
from campaign_engine.web.rendering import url_path
from campaign_engine.web.services import services

MAX_NAME = 200
# The form's checkbox for each scope, and what it says.
SCOPE_FIELDS = {
    ApiScope.ACTIONS_READ: ("scope_actions", N_("Read actions (every status)")),
    ApiScope.CASES_READ: ("scope_cases", N_("Read cases, their timelines and outcomes")),
    ApiScope.SIGNATURES_READ: (
        "scope_signatures",
        N_("Read confirmed signatures, with names and emails"),
    ),
    ApiScope.SIGNATURES_WRITE: (
        "scope_signatures_write",
        N_("Sign on a person's behalf (OSDI record_signature; they confirm by email)"),
    ),
}
Parsed = tuple[str, int | None, tuple[ApiScope, ...]]


@staff_page(Capability.MANAGE_PARTNERS)
async def api_keys_page(request: Request) -> Response:
    return await _page(request, {})


@staff_page(Capability.MANAGE_PARTNERS)
async def create(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = _parse(values)
    if isinstance(parsed, dict):
        return await _page(request, values, parsed)
    name, partner_id, scopes = parsed
    try:
        made = await create_api_key(s.pool, s.clock, actor, name, partner_id, scopes)
    except PartnerUnknown:
        return await _page(request, values, {"partner": _("Choose a partner from the list.")})
    # Shown here, once: the answer to the POST is the only page that ever holds the secret.
    return await _page(request, {}, made=made)


@staff_page(Capability.MANAGE_PARTNERS)
async def revoke(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    try:
        await revoke_api_key(s.pool, s.clock, actor, path_id(request, "key_id"))
    except ApiKeyNotFound:
        return error_response(request, "not_found")
    return RedirectResponse(url_path(request, "api_keys.api_keys_page"), status_code=303)


def _parse(values: dict[str, str]) -> Parsed | dict[str, str]:
    errors: dict[str, str] = {}
    name = fields.check(
        errors, "name", lambda text: fields.clean_line(text, MAX_NAME), values.get("name", "")
    )
    if not errors and not name:
        errors["name"] = _("Give the key a name that says who uses it, like “CRM sync”.")
    chosen = values.get("partner", "")
    partner_id: int | None = None
    if chosen:
        if not chosen.isascii() or not chosen.isdigit() or len(chosen) > 18:
            errors["partner"] = _("Choose a partner from the list.")
        else:
            partner_id = int(chosen)
    scopes = tuple(scope for scope, (field, _label) in SCOPE_FIELDS.items() if values.get(field))
    if not scopes:
        errors["scopes"] = _("Choose at least one thing the key may read.")
    if errors or name is None:
        return errors
    return name, partner_id, scopes


async def _page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    *,
    made: NewApiKey | None = None,
) -> Response:
    pool = services(request).pool
    context = {
        "keys": await list_api_keys(pool),
        "partners": [listing.partner for listing in await list_partners(pool)],
        "scope_fields": [
            (str(scope), field, _(label)) for scope, (field, label) in SCOPE_FIELDS.items()
        ],
        "values": values,
        "errors": errors or {},
        "made": made,
    }
    status = 422 if errors else 200
    return render_admin(request, "admin/api_keys.html", context, status_code=status)
