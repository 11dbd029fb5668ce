"""A clock the tests move by hand: hours pass in a line of code, and nothing sleeps.

By default it runs with real time plus whatever the test has advanced it by, so rows the
database stamps with its own `now()` are never in the clock's future. Given a start, it stands
still there until moved, for tests that want exact timestamps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._frozen = start
        self._offset = timedelta(0)

    def now(self) -> datetime:
        base = self._frozen if self._frozen is not None else datetime.now(UTC)
        return base + self._offset

    def advance(self, by: timedelta) -> datetime:
        self._offset += by
        return self.now()

    def advance_to(self, moment: datetime) -> datetime:
        """Move forward to `moment` (never back)."""
        if moment > self.now():
            self.advance(moment - self.now())
        return self.now()

    def freeze_at(self, moment: datetime) -> None:
        """Stand still at `moment` from now on, until moved."""
        self._frozen, self._offset = moment, timedelta(0)
