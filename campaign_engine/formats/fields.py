"""The checks every workspace form shares: slugs, free text, time zones and dates, read the same
way whether a case, an action, a target or a filter asks.

Pure functions, no web and no database. A cleaner returns the value as it is kept, or raises
InvalidValue with a message in the reader's language; where areas say it differently (each
form names its own example), the cleaner says only whether the value is good, and the form
keeps its message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time, tzinfo
from functools import cache
from typing import TypeVar
from zoneinfo import ZoneInfo, available_timezones

from campaign_engine.i18n import _

T = TypeVar("T")


class InvalidValue(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check(errors: dict[str, str], name: str, clean: Callable[[str], T], typed: str) -> T | None:
    """`clean(typed)`, or None with the problem written to `errors[name]`."""
    try:
        return clean(typed)
    except InvalidValue as invalid:
        errors[name] = invalid.message
        return None


# Slugs -------------------------------------------------------------------------------------

# The database's CHECK on cases.slug and actions.slug, `^[a-z0-9]+(-[a-z0-9]+)*$`, with a
# group that captures nothing so that the URL convertor can embed it in a route.
SLUG_PATTERN = "[a-z0-9]+(?:-[a-z0-9]+)*"
_SLUG = re.compile(SLUG_PATTERN)
MAX_SLUG = 80


def typed_slug(text: str) -> str:
    """A slug as typed, trimmed; ASCII letters lowered (others are left to fail `is_slug`:
    lowering the Kelvin sign would make it a "k" nobody typed)."""
    slug = text.strip()
    return slug.lower() if slug.isascii() else slug


def is_slug(text: str) -> bool:
    # fullmatch, not `$`: a `$` would let a slug end in a line break.
    return len(text) <= MAX_SLUG and _SLUG.fullmatch(text) is not None


# Free text ---------------------------------------------------------------------------------

# Never part of a name, a title or a story: controls other than the line break and the tab,
# lone surrogates, and the bidi overrides that make a text display as something other than
# what it is. The strictest of the rules the areas had (the targets'), now everyone's. A NUL
# never reaches a form: the workspace's guard refuses it with a 400 first.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unacceptable(text: str, allowed: str = "\n\t") -> bool:
    return any(
        (unicodedata.category(c) in ("Cc", "Cs") and c not in allowed) or c in _BIDI_CONTROLS
        for c in text
    )


def one_line(text: str) -> str:
    """Runs of spaces and line breaks fold into one space."""
    return " ".join(text.split())


def paragraphs(text: str) -> str:
    """Kept as typed, trimmed, with the browser's (or a spreadsheet's) line endings made
    plain."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_line(text: str, limit: int) -> str:
    """One line of text: spaces folded, length and characters checked."""
    return _checked(one_line(text), limit)


def clean_text(text: str, limit: int) -> str:
    """Paragraphs: line endings made plain, length and characters checked."""
    return _checked(paragraphs(text), limit)


def refuse_unacceptable(text: str) -> str:
    if unacceptable(text):
        raise InvalidValue(_("This contains characters we cannot accept."))
    return text


def _checked(text: str, limit: int) -> str:
    if len(text) > limit:
        raise InvalidValue(_("This can be at most %(max)d characters long.") % {"max": limit})
    return refuse_unacceptable(text)


# Time zones --------------------------------------------------------------------------------

# Not places: `localtime` is whatever the server's clock says, `Factory` a zone with no time.
_NOT_PLACES = frozenset({"localtime", "Factory"})


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA zone this system knows, sorted: the one list actions and targets offer."""
    return tuple(sorted(available_timezones() - _NOT_PLACES))


@cache
def _zones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in time_zone_names()}


def known_time_zone(text: str) -> str | None:
    """The zone's name as the list spells it (a spreadsheet may not), or None if unknown."""
    return _zones_by_lower().get(text.strip().lower())


def zone(name: str) -> tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


def instant(day: date, at: time, zone_name: str = "UTC") -> datetime:
    """The moment a local day and time in a zone names, in UTC."""
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone(zone_name)).astimezone(UTC)


# Dates and times ---------------------------------------------------------------------------

# What a date field (`<input type="date">`) sends, and only that: Python's own reader would
# also take "20260314" or "2026-W11-6", which nobody means as a date in a form.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# What a datetime-local field sends, or a person types: a date, a space or T, hours and
# minutes, maybe seconds.
_LOCAL_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
)


class NotADate(ValueError):
    """Not a date (or a date and time) written the way the form asks."""


class OutOfRange(ValueError):
    """A real date, but outside the years a form takes (a typing mistake, most often)."""


def parse_date(text: str, *, first_year: int, last_year: int) -> date:
    """A day written 2026-03-14; raises OutOfRange outside the years given, NotADate if it is
    not a date at all (both are ValueErrors, for a form that says the same of either)."""
    typed = text.strip()
    try:
        if not _DATE.fullmatch(typed):
            raise ValueError(typed)
        day = date.fromisoformat(typed)
    except ValueError:
        raise NotADate(typed) from None
    if not first_year <= day.year <= last_year:
        raise OutOfRange(typed)
    return day


def parse_local_datetime(text: str, zone_name: str, *, first_year: int, last_year: int) -> datetime:
    """A local date and time (2026-12-31 18:00) in the zone named, as a moment in UTC; raises
    NotADate, or OutOfRange outside the years given."""
    typed = text.strip()
    try:
        if not _LOCAL_DATETIME.fullmatch(typed):
            raise ValueError(typed)
        local = datetime.fromisoformat(typed)
    except ValueError:
        raise NotADate(typed) from None
    if not first_year <= local.year <= last_year:
        raise OutOfRange(typed)
    return instant(local.date(), local.time(), zone_name)


def parse_clock_time(text: str) -> time:
    """A time of day, like 09:00 or 14:30:15, without a zone."""
    return time.fromisoformat(text.strip()).replace(tzinfo=None)
