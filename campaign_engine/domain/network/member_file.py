"""A network's members in a CSV file, as an organisation brings its existing network in: each
row checked, every problem said with its line and column, nothing written (that is
member_import.py's, after the campaigner has read the preview).

Columns (the first line names them, in any order; unknown ones are ignored and listed):
`email` and `languages` (tags in order of preference, like `fr en`), `consented_at` (when they
agreed, ISO 8601: `2024-03-01` or `2024-03-01T10:00:00Z`) and `consent_text` (the sentence they
agreed to, exactly as they read it) are needed; `locale` (the language their network emails
speak; by default the first of `languages`), `countries` and `themes` (none: all),
`regions` (UN M.49 codes, like `013` for Central America), `frequency` (`every`, `capped`
with `weekly_cap`, or `weekly`; by default `every`) and
`consent_source` (where they agreed: "paper petition", "old website") are optional. Several
values in one cell are separated by spaces, commas or semicolons.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from campaign_engine.domain.campaigns.case_editing import RISK_CATEGORIES
from campaign_engine.domain.signing.supporters import canonical_email
from campaign_engine.domain.targets.target_fields import clean_email
from campaign_engine.domain.targets.target_file import (
    FileRefused,
    RowError,
    by_line,
    decoded,
    delimiter,
)
from campaign_engine.formats.countries import COUNTRY_CODES
from campaign_engine.formats.fields import InvalidValue, check
from campaign_engine.formats.regions import REGION_CODES
from campaign_engine.i18n import LOCALES, _
from campaign_engine.models.network import Frequency

MAX_BYTES = 32 * 1024 * 1024
MAX_ROWS = 250_000
MAX_LANGUAGES = 6  # as members.languages allows
MAX_CONSENT_TEXT = 2000
NEEDED = ("email", "languages", "consented_at", "consent_text")
OPTIONAL = ("locale", "countries", "regions", "themes", "frequency", "weekly_cap", "consent_source")
SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class MemberRow:
    line: int
    email: str
    email_canonical: str
    locale: str
    languages: tuple[str, ...]
    countries: tuple[str, ...]
    regions: tuple[str, ...]
    themes: tuple[str, ...]
    frequency: str
    weekly_cap: int | None
    consented_at: datetime
    consent_text: str
    source: str

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "consented_at": self.consented_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MemberRow:
        """A row as `to_json` wrote it, held sealed in network_imports."""
        return cls(
            **{
                **data,
                "languages": tuple(data["languages"]),
                "countries": tuple(data["countries"]),
                "regions": tuple(data.get("regions", ())),
                "themes": tuple(data["themes"]),
                "consented_at": datetime.fromisoformat(data["consented_at"]),
            }
        )


@dataclass(frozen=True)
class MemberFile:
    rows: list[MemberRow]
    errors: list[RowError]
    ignored_columns: tuple[str, ...]


def read_members_csv(data: bytes, now: datetime) -> MemberFile:
    """Every row, checked; FileRefused if it is not a table of members we can read."""
    text = decoded(data, MAX_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(data))
    try:
        header = [cell.strip().lstrip("\ufeff").lower() for cell in next(reader, [])]
        missing = [name for name in NEEDED if name not in header]
        if missing:
            raise FileRefused(
                _("The first line must name the columns %(columns)s.")
                % {"columns": ", ".join(NEEDED)}
            )
        twice = sorted(name for name, n in Counter(header).items() if n > 1 and name)
        if twice:
            raise FileRefused(_("The column %(column)s appears twice.") % {"column": twice[0]})
        rows, errors = _rows(reader, header, now)
    except csv.Error as error:
        raise FileRefused(
            _("Line %(line)d cannot be read as CSV (%(problem)s).")
            % {"line": reader.line_num, "problem": error}
        ) from None
    ignored = tuple(name for name in header if name and name not in NEEDED + OPTIONAL)
    return MemberFile(rows, sorted(errors, key=by_line), ignored)


def _rows(reader: Any, header: list[str], now: datetime) -> tuple[list[MemberRow], list[RowError]]:
    rows: list[MemberRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}  # canonical address -> its first line
    previous = reader.line_num
    for record in reader:
        line, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            raise FileRefused(
                _("The file has more than %(max)d rows. Split it into smaller files.")
                % {"max": MAX_ROWS}
            )
        cells = {name: cell.strip() for name, cell in zip(header, record, strict=False) if name}
        read = _row(line, cells, now)
        if isinstance(read, dict):
            errors += [RowError(line, column, message) for column, message in read.items()]
        elif read.email_canonical in seen:
            message = _("This address is on line %(line)d already.")
            errors.append(RowError(line, "email", message % {"line": seen[read.email_canonical]}))
        else:
            seen[read.email_canonical] = line
            rows.append(read)
    return rows, errors


def _row(line: int, cells: dict[str, str], now: datetime) -> MemberRow | dict[str, str]:
    problems: dict[str, str] = {}
    email = check(problems, "email", clean_email, cells.get("email", ""))
    languages = check(problems, "languages", _languages, cells.get("languages", ""))
    locale = check(problems, "locale", _locale, cells.get("locale", ""))
    countries = check(problems, "countries", _countries, cells.get("countries", ""))
    regions = check(problems, "regions", _regions, cells.get("regions", ""))
    themes = check(problems, "themes", _themes, cells.get("themes", ""))
    frequency = check(problems, "frequency", _frequency, cells.get("frequency", ""))
    cap = check(problems, "weekly_cap", _cap, cells.get("weekly_cap", ""))
    consented_at = check(problems, "consented_at", _moment(now), cells.get("consented_at", ""))
    consent_text = check(problems, "consent_text", _sentence, cells.get("consent_text", ""))
    if frequency == Frequency.CAPPED and cap is None and "weekly_cap" not in problems:
        problems["weekly_cap"] = _("Give the most alerts a week, from 1 to 20, with capped.")
    if problems:
        return problems
    assert email is not None
    assert languages is not None
    assert consented_at is not None
    return MemberRow(
        line=line,
        email=email,
        email_canonical=canonical_email(email),
        locale=locale or languages[0],
        languages=languages,
        countries=countries or (),
        regions=regions or (),
        themes=themes or (),
        frequency=frequency or Frequency.EVERY.value,
        weekly_cap=cap if frequency == Frequency.CAPPED else None,
        consented_at=consented_at,
        consent_text=consent_text or "",
        source=(cells.get("consent_source") or "import")[:200],
    )


def _values(text: str) -> list[str]:
    return [value for value in SEPARATORS.split(text) if value]


def _languages(text: str) -> tuple[str, ...]:
    tags = _values(text)
    if not tags:
        raise InvalidValue(_("Give at least one language the member reads, like fr or zh-Hans."))
    unknown = [tag for tag in tags if tag not in LOCALES]
    if unknown:
        raise InvalidValue(
            _("%(tag)s is not one of our languages (%(ours)s).")
            % {"tag": unknown[0], "ours": ", ".join(LOCALES)}
        )
    if len(set(tags)) < len(tags) or len(tags) > MAX_LANGUAGES:
        raise InvalidValue(_("Give each language once, six at most."))
    return tuple(tags)


def _locale(text: str) -> str | None:
    if text and text not in LOCALES:
        raise InvalidValue(
            _("%(tag)s is not one of our languages (%(ours)s).")
            % {"tag": text, "ours": ", ".join(LOCALES)}
        )
    return text or None


def _countries(text: str) -> tuple[str, ...]:
    codes = sorted({code.upper() for code in _values(text)})
    unknown = [code for code in codes if code not in COUNTRY_CODES]
    if unknown:
        raise InvalidValue(
            _("%(code)s is not a country code (two letters, like MX).") % {"code": unknown[0]}
        )
    return tuple(codes)


def _regions(text: str) -> tuple[str, ...]:
    codes = sorted(set(_values(text)))
    unknown = [code for code in codes if code not in REGION_CODES]
    if unknown:
        raise InvalidValue(
            _("%(code)s is not a region (a UN M.49 code: %(ours)s).")
            % {"code": unknown[0], "ours": ", ".join(REGION_CODES)}
        )
    return tuple(codes)


def _themes(text: str) -> tuple[str, ...]:
    themes = sorted(set(_values(text)))
    unknown = [theme for theme in themes if theme not in RISK_CATEGORIES]
    if unknown:
        raise InvalidValue(
            _("%(theme)s is not a theme (%(ours)s).")
            % {"theme": unknown[0], "ours": ", ".join(RISK_CATEGORIES)}
        )
    return tuple(themes)


def _frequency(text: str) -> str | None:
    if text and text not in {f.value for f in Frequency}:
        raise InvalidValue(_("Write every, capped or weekly."))
    return text or None


def _cap(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 20:
        raise InvalidValue(_("Give the most alerts a week, from 1 to 20, with capped."))
    return int(text)


def _moment(now: datetime) -> Any:
    def moment(text: str) -> datetime:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                parsed = datetime.combine(date.fromisoformat(text), time())
            except ValueError:
                raise InvalidValue(
                    _("Write when they agreed as a date, like 2024-03-01.")
                ) from None
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if parsed > now:
            raise InvalidValue(_("They cannot have agreed in the future."))
        return parsed

    return moment


def _sentence(text: str) -> str:
    if not text:
        raise InvalidValue(_("Give the sentence they agreed to, as they read it."))
    if len(text) > MAX_CONSENT_TEXT:
        raise InvalidValue(
            _("The sentence can be at most %(max)d characters long.") % {"max": MAX_CONSENT_TEXT}
        )
    return text
