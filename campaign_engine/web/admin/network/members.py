"""The network page: how many members, pending and departed, and what the active ones chose
(their first language, how often, how they are alerted, the regions, countries and themes
they follow); what the alerts brought; and how the network grew, month by month. Counts
only: no page of the workspace lists members one by one."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.case_editing import risk_category_names
from campaign_engine.domain.network.membership import network_overview
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.formats import charts
from campaign_engine.formats.countries import country_name
from campaign_engine.formats.regions import region_name
from campaign_engine.i18n import N_, _
from campaign_engine.models.network import MonthOfNetwork
from campaign_engine.web.admin.guard import staff_page
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.services import services

FREQUENCY_NAMES = {
    "every": N_("Every alert"),
    "capped": N_("At most a few a week"),
    "weekly": N_("A weekly email"),
}
CHANNEL_NAMES = {
    "email": N_("Email"),
    "sms": N_("Text messages too, for the most urgent"),
}


@staff_page(Capability.READ)
async def network_page(request: Request) -> Response:
    s = services(request)
    overview = await network_overview(s.pool, s.clock)
    tag = i18n.active().tag
    themes = risk_category_names()
    everywhere = _("Anywhere")
    context: dict[str, object] = {
        "overview": overview,
        "imported": _imported(request),
        "first_languages": [(i18n.native_name(key), n) for key, n in overview.first_languages],
        "frequencies": [(_(FREQUENCY_NAMES[key]), n) for key, n in overview.frequencies],
        "channels": [(_(CHANNEL_NAMES[key]), n) for key, n in overview.channels],
        "countries": [
            (country_name(key, tag) if key else everywhere, n) for key, n in overview.countries
        ],
        "regions": [
            (region_name(key, tag) if key else _("No region chosen"), n)
            for key, n in overview.regions
        ],
        "themes": [
            (themes.get(key, key) if key else _("Every kind"), n) for key, n in overview.themes
        ],
    }
    context["growth"] = _growth_view(overview.growth, tag)
    return render_admin(request, "admin/network.html", context)


@dataclass(frozen=True)
class GrowthView:
    """The network's months, drawn (members who joined and who left) and tabled."""

    id: str
    title: str
    description: str
    months: list[tuple[str, MonthOfNetwork]]
    columns: charts.TimeChart | None


def _growth_view(months: tuple[MonthOfNetwork, ...], tag: str) -> GrowthView:
    labelled = [(charts.period_label(month.start, "month", tag), month) for month in months]
    drawn = [(label, month.joined, month.left) for label, month in labelled]
    return GrowthView(
        id="chart-growth",
        title=_("The network month by month"),
        description=_(
            "Two columns for each month, oldest on the left: members who joined in it, and "
            "members who left. The figures, with what each month's alerts brought, are in the "
            "table below."
        ),
        months=labelled,
        columns=charts.time_chart(drawn) if any(m.joined or m.left for m in months) else None,
    )


@dataclass(frozen=True)
class Imported:
    added: int
    unchanged: int
    left: int


def _imported(request: Request) -> Imported | None:
    """What an import just did, as its redirect says (member_imports.apply)."""
    found = [request.query_params.get(name, "") for name in ("added", "unchanged", "left")]
    if not all(value.isdigit() for value in found):
        return None
    added, unchanged, left = (int(value) for value in found)
    return Imported(added, unchanged, left)
