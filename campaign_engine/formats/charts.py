"""Charts drawn on the server, as inline SVG: no script, nothing fetched from anywhere, and no
inline style (the Content-Security-Policy allows neither); colours come from classes in
static/admin.css.

This module does the geometry: numbers in, coordinates out. `templates/_macros/charts.html`
and `templates/_macros/impact.html` draw them, each with the data table it summarises right
below it (the table is the chart for anyone who cannot see it).

Bars grow in the reading direction: from the left in English, from the right in Arabic, so the
coordinates are mirrored here for a right-to-left page and the text is anchored at its start
(SVG's `direction` makes "start" the right edge there). Time runs left to right in every
language, as on a calendar, and the chart's description says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from babel.dates import format_skeleton, format_time

from campaign_engine.i18n import _, babel_locale

WIDTH = 640  # the coordinates' width; the SVG scales to the width it is given
CONFIRMED = "chart-confirmed"
PENDING = "chart-pending"
# What came of cases (the impact pages): improved, another outcome, no outcome yet.
IMPROVED = "chart-improved"
OTHER_OUTCOME = "chart-other-outcome"
NO_OUTCOME = "chart-no-outcome"

# Bars: a label line, then the bar, then room before the next.
LABEL_HEIGHT = 18
BAR_HEIGHT = 14
ROW_HEIGHT = 42
VALUE_ROOM = 90  # kept free after the longest bar for its figures

# Columns over time.
TIME_HEIGHT = 220
PLOT_TOP = 22
AXIS_ROOM = 26


@dataclass(frozen=True)
class Segment:
    css_class: str
    x: float
    width: float


@dataclass(frozen=True)
class BarRow:
    label: str
    values: tuple[int, ...]  # one per segment, in the order drawn from the inline start
    label_x: float
    label_y: float
    bar_y: float
    segments: tuple[Segment, ...]
    value_x: float
    value_y: float

    @property
    def confirmed(self) -> int:
        return self.values[0]

    @property
    def pending(self) -> int:
        return self.values[1] if len(self.values) > 1 else 0


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    direction: str  # "ltr" or "rtl": where the bars start
    bar_height: int
    rows: tuple[BarRow, ...]


def bar_chart(rows: list[tuple[str, int, int]], direction: str) -> BarChart:
    """Horizontal bars, one per (label, confirmed, pending), in the order given: confirmed
    first from the inline start, pending after it."""
    stacked = [(label, (confirmed, pending)) for label, confirmed, pending in rows]
    return stacked_bar_chart(stacked, (CONFIRMED, PENDING), direction)


def stacked_bar_chart(
    rows: Sequence[tuple[str, tuple[int, ...]]], classes: tuple[str, ...], direction: str
) -> BarChart:
    """Horizontal bars, one per (label, values), in the order given, each value a segment of
    its class (`classes`, in the same order) from the inline start; every bar on one scale,
    so the longest is the largest total."""
    largest = max((sum(values) for _label, values in rows), default=0)
    scale = (WIDTH - VALUE_ROOM) / largest if largest else 0.0
    drawn = []
    for index, (label, values) in enumerate(rows):
        top = index * ROW_HEIGHT
        segments, offset = [], 0.0
        for css_class, value in zip(classes, values, strict=True):
            if value:
                segments.append(Segment(css_class, *_span(offset, value * scale, direction)))
            offset += value * scale
        drawn.append(
            BarRow(
                label=label,
                values=values,
                label_x=_at(0, direction),
                label_y=top + LABEL_HEIGHT - 4,
                bar_y=top + LABEL_HEIGHT,
                segments=tuple(segments),
                value_x=_at(offset + 6, direction),
                value_y=top + LABEL_HEIGHT + BAR_HEIGHT - 2,
            )
        )
    return BarChart(WIDTH, max(len(rows), 1) * ROW_HEIGHT, direction, BAR_HEIGHT, tuple(drawn))


def _at(offset: float, direction: str) -> float:
    """A point `offset` from the inline start."""
    return WIDTH - offset if direction == "rtl" else offset


def _span(offset: float, length: float, direction: str) -> tuple[float, float]:
    """(x, width) of a stretch `length` long starting `offset` from the inline start."""
    return (WIDTH - offset - length if direction == "rtl" else offset), length


@dataclass(frozen=True)
class Column:
    css_class: str
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class TimeChart:
    width: int
    height: int
    baseline_y: float
    peak: int  # the value the top line stands for
    peak_y: float
    axis_y: float
    columns: tuple[Column, ...]
    first_label: str
    last_label: str


def time_chart(periods: list[tuple[str, int, int]]) -> TimeChart:
    """A pair of columns per (period label, confirmed, pending), oldest on the left."""
    peak = max((max(confirmed, pending) for _label, confirmed, pending in periods), default=0)
    baseline = TIME_HEIGHT - AXIS_ROOM
    plot = baseline - PLOT_TOP
    slot = WIDTH / max(len(periods), 1)
    columns = []
    for index, (label, confirmed, pending) in enumerate(periods):
        for css_class, value, shift in ((CONFIRMED, confirmed, 0.1), (PENDING, pending, 0.5)):
            if value == 0:
                continue
            # Never thinner than a line, so a single signature still shows.
            height = max(value / peak * plot, 1.5)
            columns.append(
                Column(
                    css_class,
                    label,
                    value,
                    x=slot * (index + shift),
                    y=baseline - height,
                    width=slot * 0.4,
                    height=height,
                )
            )
    return TimeChart(
        width=WIDTH,
        height=TIME_HEIGHT,
        baseline_y=baseline,
        peak=peak,
        peak_y=PLOT_TOP,
        axis_y=TIME_HEIGHT - 8,
        columns=tuple(columns),
        first_label=periods[0][0] if periods else "",
        last_label=periods[-1][0] if periods else "",
    )


# How a period is named, per its length; a week is named by its first day (a Monday).
_SKELETONS = {"hour": "MMMd", "day": "yMMMd", "week": "yMMMd", "month": "yMMMM"}


def period_label(start: datetime, period: str, tag: str) -> str:
    """'Jan 5, 2026', 'Jan 5, 2:00 PM', 'janvier 2026', 'Week of Jan 5, 2026', in UTC."""
    locale = babel_locale(tag)
    shown = format_skeleton(_SKELETONS[period], start, tzinfo=UTC, locale=locale)
    if period == "hour":
        # The language's own way of joining a date and a time ("{1}, {0}", "{1} {0}").
        time = format_time(start, "short", tzinfo=UTC, locale=locale)
        return str(locale.datetime_formats["medium"]).format(time, shown)
    return _("Week of %(date)s") % {"date": shown} if period == "week" else shown
