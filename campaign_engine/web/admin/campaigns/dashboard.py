"""One action's page in the workspace: its figures, its charts (each with its data table), and
where its letters to officials stand."""

from __future__ import annotations

from dataclasses import dataclass

from babel.dates import format_timedelta
from babel.numbers import format_percent
from starlette.requests import Request
from starlette.responses import Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.dashboard import Breakdown, Dashboard
from campaign_engine.domain.delivery.reports import STATUSES
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.domain.signing.trends import alerts_on
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.formats import charts
from campaign_engine.formats.countries import country_name
from campaign_engine.i18n import N_, _
from campaign_engine.models.signing import SignatureTally
from campaign_engine.web.admin.campaigns.actions import not_found
from campaign_engine.web.admin.guard import path_slug, staff_page
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.services import services

# Statuses of a letter to an official, as the delivery table heads them.
DELIVERY_STATUS_NAMES = {
    "scheduled": N_("Held back"),
    "pending": N_("Queued"),
    "sending": N_("Sending"),
    "retry": N_("To retry"),
    "ambiguous": N_("Unsure"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "failed": N_("Failed"),
    "bounced": N_("Bounced"),
    "cancelled": N_("Cancelled"),
    "folded": N_("In the day's repeats"),
}
# The time chart, per the length of its periods: its table's first column, and what the
# picture shows (time runs left to right in every language).
PERIOD_HEADINGS = {
    "hour": N_("Hour (UTC)"),
    "day": N_("Day (UTC)"),
    "week": N_("Week (UTC)"),
    "month": N_("Month (UTC)"),
}
PERIOD_DESCRIPTIONS = {
    "hour": N_(
        "Two columns for each hour, oldest on the left: confirmations made in that hour, and "
        "signatures made in it that still await confirmation. The figures are in the table "
        "below."
    ),
    "day": N_(
        "Two columns for each day, oldest on the left: confirmations made that day, and "
        "signatures made that day that still await confirmation. The figures are in the table "
        "below."
    ),
    "week": N_(
        "Two columns for each week, oldest on the left: confirmations made that week, and "
        "signatures made that week that still await confirmation. The figures are in the table "
        "below."
    ),
    "month": N_(
        "Two columns for each month, oldest on the left: confirmations made that month, and "
        "signatures made that month that still await confirmation. The figures are in the "
        "table below."
    ),
}
# The breakdowns: (dimension, heading, first column, what the picture shows).
BREAKDOWNS = (
    (
        "country",
        N_("By country"),
        N_("Country"),
        N_(
            "A bar for each country, the largest first: confirmed signatures, then those "
            "awaiting confirmation. The figures are in the table below."
        ),
    ),
    (
        "language",
        N_("By language"),
        N_("Language"),
        N_(
            "A bar for each language signers used, the largest first: confirmed signatures, "
            "then those awaiting confirmation. The figures are in the table below."
        ),
    ),
    (
        "source",
        N_("By source"),
        N_("Source"),
        N_(
            "A bar for each source signers came from, the largest first: confirmed signatures, "
            "then those awaiting confirmation. The figures are in the table below."
        ),
    ),
    (
        "partner",
        N_("By partner"),
        N_("Partner"),
        N_(
            "A bar for each partner signers came through, the largest first: confirmed "
            "signatures, then those awaiting confirmation. The figures are in the table below."
        ),
    ),
)
# A table longer than this is folded away under its chart.
LONG_TABLE = 16


@dataclass(frozen=True)
class ChartView:
    """A chart and the table it summarises."""

    id: str  # the chart's element id; its table is `<id>-table`
    title: str
    description: str  # what a screen reader announces for the picture
    label_heading: str  # the table's first column
    rows: list[tuple[str, int, int]]  # (label, confirmed, pending)
    bars: charts.BarChart | None = None
    columns: charts.TimeChart | None = None

    @property
    def folded(self) -> bool:
        return len(self.rows) > LONG_TABLE

    @property
    def totals(self) -> tuple[int, int]:
        return sum(row[1] for row in self.rows), sum(row[2] for row in self.rows)


@staff_page(Capability.READ)
async def dashboard_page(request: Request) -> Response:
    s, tag = services(request), i18n.active().tag
    try:
        dashboard = await s.dashboards.read(s.pool, s.clock, path_slug(request), tag)
    except ActionNotFound:
        return not_found(request)
    context = {
        "action": dashboard.action,
        "dashboard": dashboard,
        "rate": _percent(dashboard.confirmation_rate),
        "progress": _percent(dashboard.progress),
        "median": (
            format_timedelta(dashboard.median_to_confirm, locale=i18n.active().babel)
            if dashboard.median_to_confirm is not None
            else None
        ),
        "charts": chart_views(dashboard, tag),
        "statuses": [(status, _(DELIVERY_STATUS_NAMES[status])) for status in STATUSES],
        "alerts": await alerts_on(s.pool, s.clock, dashboard.action.id),
    }
    return render_admin(request, "admin/dashboard.html", context)


def chart_views(dashboard: Dashboard, tag: str) -> list[ChartView]:
    direction = i18n.text_direction(tag)
    activity = dashboard.activity
    periods = [
        (charts.period_label(count.start, activity.period, tag), count.confirmed, count.pending)
        for count in activity.counts
    ]
    over_time = ChartView(
        id="chart-time",
        title=_("Signatures over time"),
        description=_(PERIOD_DESCRIPTIONS[activity.period]),
        label_heading=_(PERIOD_HEADINGS[activity.period]),
        rows=periods,
        columns=charts.time_chart(periods) if periods else None,
    )
    views = [over_time]
    for dimension, title, heading, description in BREAKDOWNS:
        rows = _labelled(dashboard.breakdowns[dimension], tag)
        views.append(
            ChartView(
                id=f"chart-{dimension}",
                title=_(title),
                description=_(description),
                label_heading=_(heading),
                rows=rows,
                bars=charts.bar_chart(rows, direction) if rows else None,
            )
        )
    return views


def _labelled(breakdown: Breakdown, tag: str) -> list[tuple[str, int, int]]:
    rows = [(_value_name(t, tag), t.confirmed, t.pending) for t in breakdown.rows]
    if breakdown.other:
        rows.append((_("Other"), breakdown.other.confirmed, breakdown.other.pending))
    return rows


def _value_name(tally: SignatureTally, tag: str) -> str:
    if tally.value is None:
        return _("No partner") if tally.dimension == "partner" else _("None given")
    if tally.dimension == "country":
        return country_name(tally.value, tag)
    if tally.dimension == "language":
        return i18n.language_name(tally.value, tag)
    return tally.value


def _percent(share: float | None) -> str | None:
    return None if share is None else format_percent(share, locale=i18n.active().babel)
