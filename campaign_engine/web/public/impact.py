"""`/{locale}/impact`: what urgent actions achieved, across cases (domain/campaigns/impact.py),
as charts, each with the table of its figures. The workspace shows the same page inside its
own frame (web/admin/campaigns/impact.py): one set of figures, said once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.case_editing import risk_category_names
from campaign_engine.domain.campaigns.impact import Impact, ImpactGroup, read_impact
from campaign_engine.formats import charts
from campaign_engine.formats.countries import country_name
from campaign_engine.formats.regions import region_name
from campaign_engine.i18n import _
from campaign_engine.web.rendering import render
from campaign_engine.web.services import services

SEGMENTS = (charts.IMPROVED, charts.OTHER_OUTCOME, charts.NO_OUTCOME)


@dataclass(frozen=True)
class ImpactView:
    """One breakdown, drawn and tabled: (label, its cases) per row."""

    id: str
    title: str
    description: str  # what a screen reader announces for the picture
    label_heading: str
    rows: list[tuple[str, ImpactGroup]]
    bars: charts.BarChart | None


async def impact_page(request: Request) -> Response:
    impact = await read_impact(services(request).pool)
    return render(request, "public/impact.html", impact_context(impact))


def impact_context(impact: Impact) -> dict[str, Any]:
    """The page's figures, named in the active language (public and workspace alike)."""
    tag = i18n.active().tag
    themes = risk_category_names()
    views = [
        _view(
            "impact-year",
            _("By the year of the first action"),
            _("Year"),
            impact.by_year,
            lambda key: key,
        ),
        _view(
            "impact-region",
            _("By region of the world"),
            _("Region"),
            impact.by_region,
            lambda key: region_name(key, tag) if key else _("No region"),
        ),
        _view(
            "impact-theme",
            _("By risk"),
            _("Risk"),
            impact.by_theme,
            lambda key: themes.get(key, key),
        ),
        _view(
            "impact-country",
            _("By country (the twenty with the most cases)"),
            _("Country"),
            impact.by_country,
            lambda key: country_name(key, tag) if key else _("Not one country"),
        ),
    ]
    return {"impact": impact, "overall": impact.overall, "views": views}


def _view(
    view_id: str,
    title: str,
    heading: str,
    groups: tuple[ImpactGroup, ...],
    label: Callable[[str], str],
) -> ImpactView:
    rows = [(label(group.key), group) for group in groups]
    direction = i18n.text_direction(i18n.active().tag)
    drawn = [(name, (g.improved, g.other_outcome, g.waiting)) for name, g in rows]
    return ImpactView(
        id=view_id,
        title=title,
        description=_(
            "%(title)s: for each, a bar as long as its cases, divided into those with an "
            "improvement, those with another outcome and those still without news."
        )
        % {"title": title},
        label_heading=heading,
        rows=rows,
        bars=charts.stacked_bar_chart(drawn, SEGMENTS, direction) if rows else None,
    )
