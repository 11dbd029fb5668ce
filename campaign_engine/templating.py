"""The one Jinja2 environment: pages, emails and SMS texts are all rendered through it.

Gettext and the Babel filters read the active language (see `i18n`), so a template never
passes a locale around: `{{ count|number }}` is "1,234" in English and "1 234" in French.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from campaign_engine import i18n
from campaign_engine.formats.countries import country_name
from campaign_engine.formats.markup import markdown
from campaign_engine.formats.versions import versioned


def create_environment(templates_dir: Path, *, reload: bool = False) -> Environment:
    """`reload` (development) reads a template again when its file changes; otherwise each is
    read once a process, not looked up on disk at every page and every email."""
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        auto_reload=reload,
        autoescape=select_autoescape(["html", "atom"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext, npgettext=i18n.npgettext
    )
    env.filters.update(
        number=format_number,
        long_date=format_long_date,
        long_datetime=format_long_datetime,
        relative=format_relative,
        duration=format_duration,
        percent=format_share,
        html_datetime=html_datetime,
        country=lambda code: country_name(code, i18n.active().tag),
        paragraphs=paragraphs,
        markdown=markdown,
        one_line=one_line,
    )
    env.globals.update(
        LOCALES=i18n.LOCALES,
        native_name=i18n.native_name,
        text_direction=i18n.text_direction,
        active_locale=lambda: i18n.active().tag,
        letter_versions=versioned,
    )
    return env


def format_number(value: int) -> str:
    return format_decimal(value, locale=i18n.active().babel)


def format_long_date(value: datetime) -> str:
    return format_date(value, format="long", locale=i18n.active().babel)


def format_long_datetime(value: datetime) -> str:
    """A moment with its date, time and time zone, for readers in any time zone."""
    return format_datetime(value, format="long", tzinfo=UTC, locale=i18n.active().babel)


def format_share(value: float) -> str:
    """A share as a percentage in the reader's way (12 %, ١٢٪)."""
    return format_percent(value, locale=i18n.active().babel)


def format_duration(value: timedelta) -> str:
    """A length of time in words, to its largest unit ("6 hours", "2 days")."""
    return format_timedelta(value, threshold=1, locale=i18n.active().babel)


def html_datetime(value: datetime) -> str:
    """A moment as HTML's `<time datetime>` takes it: a valid global date and time string,
    to the second, in UTC (`2026-12-07T05:00:00Z`). Python's isoformat() writes microseconds,
    six digits where HTML allows three at most, so a deadline's was invalid."""
    if value.tzinfo is None:
        raise ValueError("a moment without its time zone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_relative(value: datetime, now: datetime | None = None) -> str:
    """ "in 3 weeks", "dans 3 semaines", "3周后"; "2 days ago" once it has passed."""
    delta = value - (now or datetime.now(UTC))
    return format_timedelta(delta, add_direction=True, locale=i18n.active().babel)


def format_wait(wait: timedelta) -> str:
    """ "in 15 minutes", "dans 15 minutes", "15分钟后": how long until something may be tried
    again, rounded up so nobody comes back a second too soon."""
    rounded = timedelta(seconds=max(1, math.ceil(wait.total_seconds())))
    return format_timedelta(rounded, add_direction=True, locale=i18n.active().babel)


def paragraphs(text: str) -> list[str]:
    """Plain text split on blank lines; each paragraph is escaped where it is placed."""
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def one_line(text: str) -> str:
    """Fold a text onto one line, for subjects and other headers."""
    return " ".join(text.split())
