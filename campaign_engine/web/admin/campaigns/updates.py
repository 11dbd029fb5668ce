"""Updates to supporters: a case's updates and outcomes, who would receive each in which
language, sending one (once), and how far each send has gone."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.timeline import kind_names, outcome_names
from campaign_engine.domain.campaigns.updates import (
    AlreadySent,
    NotConfirmed,
    NotSendable,
    UpdateCaseMissing,
    UpdateEventMissing,
    read_updates_page,
    send_update,
)
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.i18n import _
from campaign_engine.web.admin.guard import form_values, path_id, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.errors import error_response
from campaign_engine.web.rendering import url_path
from campaign_engine.web.services import services

# While a send is under way the page reloads itself this often (no script needed).
REFRESH_SECONDS = 5


@staff_page(Capability.READ)
async def updates_page(request: Request) -> Response:
    return await _page(request)


@staff_page(Capability.CAMPAIGN)
async def send(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    case_id, event_id = path_id(request, "case_id"), path_id(request, "event_id")
    confirmed = form_values(await request.form()).get("confirm") == "yes"
    try:
        await send_update(
            s.pool, s.queue, s.tokens, s.clock, actor, case_id, event_id, confirmed=confirmed
        )
    except UpdateEventMissing:
        return error_response(request, "not_found")
    except NotConfirmed:
        message = _("Tick the box to confirm that you mean to send this update now.")
        return await _page(request, errors={event_id: message}, status_code=422)
    except NotSendable as refused:
        return await _page(request, errors={event_id: _refusals()[refused.reason]}, status_code=409)
    except AlreadySent:
        message = _("This update has been sent already: each update goes out once.")
        return await _page(request, errors={event_id: message}, status_code=409)
    page = url_path(request, "updates.updates_page", case_id=case_id)
    return RedirectResponse(f"{page}#event-{event_id}", status_code=303)


def _refusals() -> dict[str, str]:
    """Why an event cannot be sent, by NotSendable's reasons."""
    return {
        "unpublished": _("Publish this update on the case's timeline before sending it."),
        "no_text": _("Write this update's text before sending it."),
        "kind": _("Only updates and outcomes are sent to supporters."),
    }


def _language_names(tags: set[str]) -> dict[str, str]:
    return {tag: i18n.language_name(tag) for tag in tags}


async def _page(
    request: Request, *, errors: dict[int, str] | None = None, status_code: int = 200
) -> Response:
    s = services(request)
    try:
        page = await read_updates_page(
            s.pool, s.tokens, path_id(request, "case_id"), i18n.active().tag
        )
    except UpdateCaseMissing:
        return error_response(request, "not_found")
    languages = {c.locale for e in page.events for c in e.coverage} | {
        c.receives for e in page.events for c in e.coverage if c.receives
    }
    context = {
        "page": page,
        "errors": errors or {},
        "kind_names": kind_names(),
        "outcome_names": outcome_names(),
        "refusals": _refusals(),
        "language_names": _language_names(languages),
        "refresh_seconds": REFRESH_SECONDS if page.running else None,
    }
    response = render_admin(request, "admin/updates.html", context, status_code=status_code)
    if page.running:
        # The Refresh header reloads the page with no script; it stops once the send is done.
        # It names the page without the #fragment the send redirected to: a browser treats a
        # refresh to the same URL with a fragment as a jump within the page, not a reload.
        response.headers["Refresh"] = f"{REFRESH_SECONDS}; url={request.url.path}"
    return response
