"""When an official accepts messages: office hours on some weekdays, in their own time zone.

Stored on a target as `{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}` (ISO
weekdays, Monday = 1) beside its `time_zone`; no office hours at all means any hour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Far enough to find the next opening of any sane schedule, short enough to end surely.
_SEARCH_DAYS = 8


class InvalidOfficeHours(ValueError):
    pass


@dataclass(frozen=True)
class AnyHour:
    def is_open(self, moment: datetime) -> bool:
        return True

    def next_opening(self, moment: datetime) -> datetime:
        return moment

    def open_seconds(self, start: datetime, end: datetime) -> float:
        return max((end - start).total_seconds(), 0.0)


@dataclass(frozen=True)
class OfficeHours:
    weekdays: frozenset[int]
    start: time
    end: time
    zone: ZoneInfo

    def _window(self, day: datetime) -> tuple[datetime, datetime] | None:
        """The opening on the local calendar day of `day`, in UTC; None if closed that day."""
        local = day.astimezone(self.zone).date()
        if local.isoweekday() not in self.weekdays:
            return None
        opens = datetime.combine(local, self.start, tzinfo=self.zone).astimezone(UTC)
        closes = datetime.combine(local, self.end, tzinfo=self.zone).astimezone(UTC)
        return opens, closes

    def _days(self, moment: datetime, count: int) -> list[tuple[datetime, datetime]]:
        windows = (self._window(moment + timedelta(days=n)) for n in range(-1, count))
        return [window for window in windows if window is not None]

    def is_open(self, moment: datetime) -> bool:
        return any(opens <= moment < closes for opens, closes in self._days(moment, 1))

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself when open, else the next time the office opens."""
        for opens, closes in self._days(moment, _SEARCH_DAYS):
            if moment < closes:
                return max(opens, moment)
        raise InvalidOfficeHours("no opening within a week")

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """How long the office is open between `start` and `end`."""
        total = 0.0
        days = int((end - start).total_seconds() // 86400) + 2
        for opens, closes in self._days(start, min(days, 3660)):
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            total += max(overlap, 0.0)
        return total


Schedule = AnyHour | OfficeHours


def schedule_of(office_hours: Mapping[str, Any] | None, time_zone: str) -> Schedule:
    """A target's schedule from what is stored; raises InvalidOfficeHours if it makes no sense."""
    if not office_hours:
        return AnyHour()
    try:
        zone = ZoneInfo(time_zone)
        weekdays = frozenset(int(day) for day in office_hours["weekdays"])
        start = time.fromisoformat(office_hours["start"])
        end = time.fromisoformat(office_hours["end"])
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as error:
        raise InvalidOfficeHours(str(error)) from error
    if not weekdays or not weekdays <= set(range(1, 8)) or not start < end:
        raise InvalidOfficeHours("weekdays must be 1-7, and the office must open before it closes")
    return OfficeHours(weekdays, start, end, zone)
