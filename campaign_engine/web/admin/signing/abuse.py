"""An action's abuse page: its last day of signatures and suspicions, what trended, the
domains most signed with; and invalidation, previewed, then confirmed by its number."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.domain.signing.invalidations import (
    MatchChanged,
    Matched,
    invalidate,
    preview_invalidation,
)
from campaign_engine.domain.signing.trends import review_abuse
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.i18n import _
from campaign_engine.web.admin.campaigns.actions import not_found
from campaign_engine.web.admin.guard import form_values, path_slug, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.admin.signing.abuse_forms import (
    SUSPICION_CHOICES,
    criteria_values,
    parse_criteria,
)
from campaign_engine.web.rendering import url_path
from campaign_engine.web.services import services


@staff_page(Capability.READ)
async def abuse_page(request: Request) -> Response:
    values = criteria_values(request.query_params)
    return await _page(request, values, {})


@staff_page(Capability.CAMPAIGN)
async def preview(request: Request) -> Response:
    """How many signatures the criteria match, and the button that invalidates them."""
    values = criteria_values(request.query_params)
    parsed = parse_criteria(values)
    if isinstance(parsed, dict):
        return await _page(request, values, parsed, status_code=400)
    s = services(request)
    try:
        _action, matched = await preview_invalidation(
            s.pool, path_slug(request), i18n.active().tag, parsed
        )
    except ActionNotFound:
        return not_found(request)
    return await _page(request, values, {}, matched=matched)


@staff_page(Capability.CAMPAIGN)
async def invalidate_signatures(request: Request) -> Response:
    s, actor, slug = services(request), staff_session(request).staff, path_slug(request)
    form = form_values(await request.form())
    values = criteria_values(form)
    parsed = parse_criteria(values)
    if isinstance(parsed, dict):
        return await _page(request, values, parsed, status_code=400)
    expected = form.get("expected", "")
    if not expected.isdigit():
        return await _page(request, values, {"domain": _("Preview the invalidation first.")}, 400)
    try:
        done = await invalidate(s.pool, s.clock, actor, slug, parsed, int(expected))
    except ActionNotFound:
        return not_found(request)
    except MatchChanged:
        _action, matched = await preview_invalidation(s.pool, slug, i18n.active().tag, parsed)
        changed = _("The number of matching signatures changed since your preview. Check it again.")
        return await _page(request, values, {}, matched=matched, notice=changed, status_code=409)
    page = url_path(request, "abuse.abuse_page", slug=slug)
    where = f"{page}?{urlencode({'invalidated': done.signatures})}"
    return RedirectResponse(where, status_code=303)


async def _page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    *,
    matched: Matched | None = None,
    notice: str | None = None,
) -> Response:
    s = services(request)
    try:
        review = await review_abuse(s.pool, s.clock, path_slug(request), i18n.active().tag)
    except ActionNotFound:
        return not_found(request)
    invalidated = request.query_params.get("invalidated", "")
    context = {
        "action": review.action,
        "review": review,
        "values": values,
        "errors": errors,
        "matched": matched,
        "notice": notice,
        "invalidated": int(invalidated) if invalidated.isdigit() else None,
        "suspicions": [(key, _(label)) for key, label in SUSPICION_CHOICES.items()],
    }
    return render_admin(request, "admin/abuse.html", context, status_code=status_code)
