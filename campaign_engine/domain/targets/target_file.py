"""A CSV file of targets read and checked, row by row: nothing is stored here.

The file may be UTF-8 with or without a byte order mark, separated by commas, semicolons or
tabs (as spreadsheets in many languages save it), with column names in any case; an empty
cell sets nothing. Each row becomes an ImportRow or the RowErrors that say what to fix.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from campaign_engine import i18n
from campaign_engine.domain.delivery.channels import clean_addresses, typed_channels
from campaign_engine.domain.errors import DomainError
from campaign_engine.domain.targets.target_fields import (
    clean_clock_time,
    clean_country,
    clean_external_id,
    clean_limit,
    clean_line,
    clean_locale,
    clean_name,
    clean_notes,
    clean_postal_address,
    clean_time_zone,
    office_hours,
    parse_weekdays,
)
from campaign_engine.formats.fields import InvalidValue, check
from campaign_engine.formats.spreadsheets import FORMULA_STARTS
from campaign_engine.i18n import _

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000

SALUTATION_COLUMNS = {f"salutation_{tag.lower().replace('-', '_')}": tag for tag in i18n.LOCALES}
FIELD_COLUMNS: dict[str, Callable[[str], object]] = {
    "name": clean_name,
    "title": clean_line,
    "organisation": clean_line,
    "country": clean_country,
    "time_zone": clean_time_zone,
    "preferred_locale": clean_locale,
    "max_per_hour": clean_limit,
    "max_per_day": clean_limit,
    "notes": clean_notes,
    "postal_address": clean_postal_address,
}
OFFICE_COLUMNS = ("office_days", "office_start", "office_end")


def columns() -> tuple[str, ...]:
    """Every column a file may have, in the order the workspace lists them: each channel whose
    addresses are typed brings its own (domain/delivery/channels/)."""
    return (
        "external_id",
        *FIELD_COLUMNS,
        *(typed.column for channel in typed_channels() if (typed := channel.typed)),
        *SALUTATION_COLUMNS,
        *OFFICE_COLUMNS,
    )


# Other spellings a spreadsheet may use for a column.
ALIASES = {"organization": "organisation", "timezone": "time_zone", "language": "preferred_locale"}
DELIMITERS = (",", ";", "\t")


class FileRefused(DomainError):
    """The file cannot be read as a table of targets; `message` says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # "" when the problem is the whole line
    message: str


@dataclass(frozen=True)
class ImportRow:
    """A checked row: the fields its non-empty cells set, the addresses it adds."""

    line: int
    external_id: str | None
    values: dict[str, object]  # TargetDetails field -> value
    salutations: dict[str, str]
    addresses: Mapping[str, tuple[str, ...]]  # channel name -> the addresses the row adds

    def to_json(self) -> dict[str, object]:
        return {
            "line": self.line,
            "external_id": self.external_id,
            "values": self.values,
            "salutations": self.salutations,
            **{
                typed.form_field: list(self.addresses.get(channel.name, ()))
                for channel in typed_channels()
                if (typed := channel.typed)
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportRow:
        """A row as `to_json` wrote it, held in target_imports."""
        return cls(
            data["line"],
            data["external_id"],
            data["values"],
            data["salutations"],
            {
                channel.name: tuple(data.get(typed.form_field, ()))
                for channel in typed_channels()
                if (typed := channel.typed)
            },
        )


@dataclass(frozen=True)
class ReadFile:
    rows: list[ImportRow]
    errors: list[RowError]
    ignored_columns: tuple[str, ...]  # named in the header, but not columns we know


def read_targets_csv(data: bytes) -> ReadFile:
    """Every row of the file, checked; raises FileRefused if it is not a table we can read."""
    reader = csv.reader(io.StringIO(decoded(data), newline=""), delimiter=delimiter(data))
    try:
        header = next(reader, None)
        columns, ignored = _columns(header or [])
        rows, errors = _read_rows(reader, columns)
    except csv.Error as error:
        raise FileRefused(
            _("Line %(line)d cannot be read as CSV (%(problem)s).")
            % {"line": reader.line_num, "problem": error}
        ) from None
    return ReadFile(rows, sorted(errors, key=by_line), ignored)


def decoded(data: bytes, max_bytes: int = MAX_BYTES) -> str:
    """A CSV file's text (UTF-8, with or without its byte-order mark); FileRefused for one
    too large, not UTF-8, or empty. The network's import reads its files alike."""
    if len(data) > max_bytes:
        raise FileRefused(
            _("The file is larger than %(size)s MB. Split it into smaller files.")
            % {"size": max_bytes // (1024 * 1024)}
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            _(
                "The file is not UTF-8 text. In your spreadsheet, save it as "
                '"CSV UTF-8" and upload it again.'
            )
        ) from None
    if not text.strip():
        raise FileRefused(_("The file is empty."))
    return text


def delimiter(data: bytes) -> str:
    """The separator the header line uses most: commas, semicolons (spreadsheets where the
    comma is the decimal sign) or tabs."""
    first_line = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    return max(DELIMITERS, key=first_line.count)


def _column_name(cell: str) -> str:
    name = cell.strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(name, name)


def _columns(header: list[str]) -> tuple[list[str | None], tuple[str, ...]]:
    """The known column at each position (None: ignored), and the names we did not know."""
    names = [_column_name(cell) for cell in header]
    every = columns()
    known = [name if name in every else None for name in names]
    present = [name for name in known if name]
    if "name" not in present and "external_id" not in present:
        raise FileRefused(
            _(
                "The first line must name the columns, with at least name or external_id "
                "(for example: external_id,name,email)."
            )
        )
    twice = sorted(name for name, count in Counter(present).items() if count > 1)
    if twice:
        raise FileRefused(_("The column %(column)s appears twice.") % {"column": twice[0]})
    ignored = tuple(
        cell.strip() for cell, name in zip(header, known, strict=True) if cell.strip() and not name
    )
    return known, ignored


class _Reader(Protocol):
    """A csv reader: rows of cells, and how many lines of the file it has read."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


def _read_rows(
    reader: _Reader, columns: list[str | None]
) -> tuple[list[ImportRow], list[RowError]]:
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    lines_of: dict[str, list[int]] = {}  # external id -> the lines that name it
    previous, count = reader.line_num, 0
    for record in reader:
        line, previous = previous + 1, reader.line_num  # a quoted cell may span lines
        if not any(cell.strip() for cell in record):
            continue
        count += 1
        if count > MAX_ROWS:
            raise FileRefused(
                _("The file has more than %(max)d rows. Split it into smaller files.")
                % {"max": MAX_ROWS}
            )
        cells = _cells(record, columns)
        lines_of.setdefault(cells.get("external_id", ""), []).append(line)
        read = _read_row(line, record, columns, cells)
        if isinstance(read, ImportRow):
            rows.append(read)
        else:
            errors.extend(read)
    lines_of.pop("", None)
    return _without_duplicates(rows, errors, lines_of)


def _cells(record: list[str], columns: list[str | None]) -> dict[str, str]:
    cells = {}
    for name, cell in zip(columns, record, strict=False):
        value = cell.strip()
        # Our own CSV exports put an apostrophe before a cell a spreadsheet would run as a
        # formula (spreadsheets.safe_cell); reading one back takes it off again.
        if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
            value = value[1:]
        if name and value:
            cells[name] = value
    return cells


def _read_row(
    line: int, record: list[str], columns: list[str | None], cells: dict[str, str]
) -> ImportRow | list[RowError]:
    if any(cell.strip() for cell in record[len(columns) :]):
        return [RowError(line, "", _("This line has more cells than the first line has names."))]
    problems: dict[str, str] = {}
    values = {
        column: check(problems, column, clean, cells[column])
        for column, clean in FIELD_COLUMNS.items()
        if column in cells
    }
    salutations = {
        tag: check(problems, column, clean_line, cells[column]) or ""
        for column, tag in SALUTATION_COLUMNS.items()
        if column in cells
    }
    hours = _office_hours(cells, problems)
    if hours is not None:
        values["office_hours"] = hours
    external_id = check(problems, "external_id", clean_external_id, cells.get("external_id", ""))
    region = values.get("country")
    addresses = {
        channel.name: tuple(
            check(problems, typed.column, _addresses(channel.name, region), cells[typed.column])
            or ()
        )
        for channel in typed_channels()
        if (typed := channel.typed) and typed.column in cells
    }
    if problems:
        return [RowError(line, column, message) for column, message in problems.items()]
    return ImportRow(line, external_id, values, salutations, addresses)


def _addresses(channel: str, country: object) -> Callable[[str], list[str]]:
    region = country if isinstance(country, str) else None
    return lambda text: clean_addresses(text, channel, region)


def _office_hours(cells: dict[str, str], problems: dict[str, str]) -> dict[str, object] | None:
    given = [column for column in OFFICE_COLUMNS if column in cells]
    if not given:
        return None
    missing = [column for column in OFFICE_COLUMNS if column not in cells]
    if missing:
        problems[missing[0]] = _("Give office days, opening and closing time together.")
        return None
    try:
        days = parse_weekdays(cells["office_days"])
        start = clean_clock_time(cells["office_start"])
        end = clean_clock_time(cells["office_end"])
        return office_hours(days, start, end)
    except InvalidValue as invalid:
        problems["office_days"] = invalid.message
        return None


def _without_duplicates(
    rows: list[ImportRow], errors: list[RowError], lines_of: dict[str, list[int]]
) -> tuple[list[ImportRow], list[RowError]]:
    """A file that names one external id on several lines cannot say which is right: none of
    them is applied."""
    doubled = {external_id: lines for external_id, lines in lines_of.items() if len(lines) > 1}
    errors = errors + [
        RowError(
            line,
            "external_id",
            _("The external id %(id)s is on several lines: %(lines)s. Keep one.")
            % {"id": external_id, "lines": ", ".join(map(str, lines))},
        )
        for external_id, lines in doubled.items()
        for line in lines
    ]
    return [row for row in rows if row.external_id not in doubled], errors


def by_line(error: RowError) -> int:
    return error.line
