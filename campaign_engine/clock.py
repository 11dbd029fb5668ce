"""The time, as code that paces and records sends asks for it.

Pacing decisions and send timestamps take `clock.now()` instead of reading the system clock,
so tests can move time forward an hour at a time and check caps and office hours on the
timestamps themselves, without sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
