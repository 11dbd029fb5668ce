"""An action's alert to the network: whom it would reach (by the language they would read it
in), the campaigner's choice before the action opens (alert when it opens, some hours later,
or not at all), and, once it has started, how far it has gone."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.domain.network.alerts import (
    LONGEST_DELAY,
    AlertAlreadyGone,
    DelayOutOfRange,
    plan_alert,
    read_alert_page,
)
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.formats.countries import country_name
from campaign_engine.formats.regions import region_name
from campaign_engine.i18n import _
from campaign_engine.models.network import AlertPlan
from campaign_engine.web.admin.guard import form_values, path_slug, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.errors import error_response
from campaign_engine.web.rendering import url_path
from campaign_engine.web.services import services

# While an alert is due or going out the page reloads itself this often (no script needed).
REFRESH_SECONDS = 5
MOST_HOURS = int(LONGEST_DELAY.total_seconds() // 3600)


@staff_page(Capability.READ)
async def alert_page(request: Request) -> Response:
    return await _page(request, {}, {})


@staff_page(Capability.CAMPAIGN)
async def plan(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    chosen = _plan(values)
    if isinstance(chosen, str):
        return await _page(request, values, {"hours": chosen}, status_code=422)
    try:
        await plan_alert(s.pool, s.clock, actor, path_slug(request), chosen)
    except ActionNotFound:
        return error_response(request, "not_found")
    except DelayOutOfRange:
        return await _page(request, values, {"hours": _hours_message()}, status_code=422)
    except AlertAlreadyGone:
        message = _("The action has opened: its alert went out as it was planned then.")
        return await _page(request, values, {"when": message}, status_code=409)
    page = url_path(request, "alerts.alert_page", slug=path_slug(request))
    return RedirectResponse(f"{page}?saved=1", status_code=303)


def _plan(values: dict[str, str]) -> AlertPlan | str:
    """The choice, or what is wrong with it."""
    when = values.get("when", "now")
    by_text = values.get("by_text") == "yes"
    if when == "none":
        return AlertPlan(alert=False)
    if when != "later":
        return AlertPlan(by_text=by_text)
    hours = values.get("hours", "").strip()
    if not hours.isdigit() or not 1 <= int(hours) <= MOST_HOURS:
        return _hours_message()
    return AlertPlan(delay=timedelta(hours=int(hours)), by_text=by_text)


def _reach_names(country: str, region: str) -> dict[str, str]:
    """Why members match the action, said with the case's own country and region."""
    tag = i18n.active().tag
    return {
        "country": _("They follow %(country)s") % {"country": country_name(country, tag)}
        if country
        else "",
        "region": _("They follow %(region)s") % {"region": region_name(region, tag)}
        if region
        else "",
        "anywhere": _("They follow cases anywhere"),
    }


def _hours_message() -> str:
    return _("Enter a number of hours from 1 to %(most)d.") % {"most": MOST_HOURS}


async def _page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    s = services(request)
    try:
        page = await read_alert_page(s.pool, s.clock, path_slug(request))
    except ActionNotFound:
        return error_response(request, "not_found")
    plan = page.plan
    shown = values or {
        "when": "none" if not plan.alert else "later" if plan.delay else "now",
        "hours": str(int(plan.delay.total_seconds() // 3600)) if plan.delay else "",
        "by_text": "yes" if plan.by_text else "",
    }
    context = {
        "page": page,
        "action": {"slug": page.slug, "code": page.code, "status": page.action_status},
        "values": shown,
        "errors": errors,
        "saved": request.query_params.get("saved") == "1" and not errors,
        "most_hours": MOST_HOURS,
        "language_names": {tag: i18n.language_name(tag) for tag in page.published},
        "reach_names": _reach_names(page.country, page.region),
        "refresh_seconds": REFRESH_SECONDS if page.running else None,
    }
    response = render_admin(request, "admin/action_alert.html", context, status_code=status_code)
    if page.running:
        response.headers["Refresh"] = f"{REFRESH_SECONDS}; url={request.url.path}"
    return response
