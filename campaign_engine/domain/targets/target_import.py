"""Targets from a spreadsheet: a CSV file is read and every row checked, the valid rows are held
while the campaigner reads a preview of what would be created, changed or left alone, and only
their go-ahead writes anything, in one transaction.

Rows find their target by external id (the organisation's own id for an official): a row whose
id is known updates that target, any other row creates one. An empty cell changes nothing, so a
file with a few columns filled in updates just those; addresses are added, never removed. The
file may be UTF-8 with or without a byte order mark, separated by commas or semicolons (as
spreadsheets in many languages save it), with column names in any case.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from campaign_engine import i18n
from campaign_engine.clock import Clock
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.targets import target_editing as targets
from campaign_engine.domain.errors import DomainError
from campaign_engine.domain.targets.target_fields import (
    clean_addresses,
    clean_clock_time,
    clean_country,
    clean_external_id,
    clean_limit,
    clean_line,
    clean_locale,
    clean_name,
    clean_notes,
    clean_time_zone,
    describe_office_hours,
    office_hours,
    parse_weekdays,
)
from campaign_engine.domain.workspace import audit
from campaign_engine.formats.fields import InvalidValue, check
from campaign_engine.formats.spreadsheets import FORMULA_STARTS
from campaign_engine.i18n import _
from campaign_engine.models.targets import Target, TargetContact, TargetDetails
from campaign_engine.models.workspace import Staff

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
PREVIEW_LIFETIME = timedelta(hours=1)  # what the preview compared with may have changed since
KEEP_IMPORTS = timedelta(days=1)

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
}
OFFICE_COLUMNS = ("office_days", "office_start", "office_end")
COLUMNS = (
    "external_id",
    *FIELD_COLUMNS,
    "email",
    "phone",
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


class ImportNotFound(DomainError):
    """No held import has this id."""


class ImportNotYours(DomainError):
    """Someone else uploaded this file: only they may apply it."""


class ImportApplied(DomainError):
    """This import was applied already."""


class ImportExpired(DomainError):
    """The preview is more than an hour old."""


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
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "line": self.line,
            "external_id": self.external_id,
            "values": self.values,
            "salutations": self.salutations,
            "emails": list(self.emails),
            "phones": list(self.phones),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportRow:
        """A row as `to_json` wrote it, held in target_imports."""
        return cls(
            data["line"],
            data["external_id"],
            data["values"],
            data["salutations"],
            tuple(data["emails"]),
            tuple(data["phones"]),
        )


@dataclass(frozen=True)
class ReadFile:
    rows: list[ImportRow]
    errors: list[RowError]
    ignored_columns: tuple[str, ...]  # named in the header, but not columns we know


@dataclass(frozen=True)
class Change:
    field: str  # a column name: "title", "salutation_fr", "office_hours"
    old: str
    new: str


@dataclass(frozen=True)
class PlannedRow:
    row: ImportRow
    target_id: int | None  # None: a target to create
    details: TargetDetails  # the target once the row is applied
    changes: tuple[Change, ...]
    new_contacts: tuple[tuple[str, str], ...]  # (channel, address) not yet on the target

    @property
    def kind(self) -> str:
        if self.target_id is None:
            return "create"
        return "update" if self.changes or self.new_contacts else "unchanged"


@dataclass(frozen=True)
class ImportPreview:
    import_id: int | None  # None: nothing to apply
    planned: list[PlannedRow]
    errors: list[RowError]
    ignored_columns: tuple[str, ...]

    def of_kind(self, kind: str) -> list[PlannedRow]:
        return [row for row in self.planned if row.kind == kind]


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    contacts_added: int
    skipped: int = 0  # rows that no longer fitted when applied


# --- Reading the file ---


def read_targets_csv(data: bytes) -> ReadFile:
    """Every row of the file, checked; raises FileRefused if it is not a table we can read."""
    reader = csv.reader(io.StringIO(_decoded(data), newline=""), delimiter=_delimiter(data))
    try:
        header = next(reader, None)
        columns, ignored = _columns(header or [])
        rows, errors = _read_rows(reader, columns)
    except csv.Error as error:
        raise FileRefused(
            _("Line %(line)d cannot be read as CSV (%(problem)s).")
            % {"line": reader.line_num, "problem": error}
        ) from None
    return ReadFile(rows, sorted(errors, key=_by_line), ignored)


def _decoded(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise FileRefused(
            _("The file is larger than %(size)s MB. Split it into smaller files.")
            % {"size": MAX_BYTES // (1024 * 1024)}
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


def _delimiter(data: bytes) -> str:
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
    known = [name if name in COLUMNS else None for name in names]
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
    emails = check(problems, "email", _addresses("email", None), cells.get("email", ""))
    phones = check(problems, "phone", _addresses("sms", region), cells.get("phone", ""))
    if problems:
        return [RowError(line, column, message) for column, message in problems.items()]
    return ImportRow(
        line, external_id, values, salutations, tuple(emails or ()), tuple(phones or ())
    )


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


def _by_line(error: RowError) -> int:
    return error.line


# --- Comparing with what is stored ---


@dataclass
class StoredTargets:
    targets: dict[str, Target] = field(default_factory=dict)
    contacts: dict[int, set[tuple[str, str]]] = field(default_factory=dict)


async def _known(conn: Connection, rows: list[ImportRow]) -> StoredTargets:
    external_ids = [row.external_id for row in rows if row.external_id is not None]
    found = await targets.lock_targets_by_external_id(conn, external_ids)
    known = StoredTargets({t.details.external_id: t for t in found if t.details.external_id})
    contacts: list[TargetContact] = await targets.list_contacts(conn, [t.id for t in found])
    for contact in contacts:
        known.contacts.setdefault(contact.target_id, set()).add((contact.channel, contact.address))
    return known


def plan_rows(
    rows: list[ImportRow], known: StoredTargets
) -> tuple[list[PlannedRow], list[RowError]]:
    planned: list[PlannedRow] = []
    errors: list[RowError] = []
    for row in rows:
        existing = known.targets.get(row.external_id or "")
        if existing is None:
            created = _created(row)
            if isinstance(created, PlannedRow):
                planned.append(created)
            else:
                errors.extend(created)
        else:
            planned.append(_updated(row, existing, known.contacts.get(existing.id, set())))
    return planned, errors


def _created(row: ImportRow) -> PlannedRow | list[RowError]:
    missing = [
        RowError(row.line, column, message)
        for column, message in (
            ("name", _("A new target needs a name.")),
            ("preferred_locale", _("A new target needs the language to write to them in.")),
        )
        if column not in row.values
    ]
    if missing:
        return missing
    blank = TargetDetails(
        external_id=row.external_id,
        name="",
        title="",
        organisation="",
        country=None,
        time_zone="UTC",
        office_hours=None,
        preferred_locale="",
        salutations={},
        max_per_hour=None,
        max_per_day=None,
        notes="",
    )
    details = _applied(row, blank)
    return PlannedRow(row, None, details, (), _addresses_of(row, set()))


def _updated(row: ImportRow, existing: Target, contacts: set[tuple[str, str]]) -> PlannedRow:
    details = _applied(row, existing.details)
    changes = _changes(existing.details, details)
    return PlannedRow(row, existing.id, details, changes, _addresses_of(row, contacts))


def _applied(row: ImportRow, details: TargetDetails) -> TargetDetails:
    salutations = {**details.salutations, **row.salutations}
    return replace(details, **row.values, salutations=salutations)  # type: ignore[arg-type]


def _addresses_of(row: ImportRow, known: set[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    wanted = [("email", a) for a in row.emails] + [("sms", a) for a in row.phones]
    return tuple(pair for pair in wanted if pair not in known)


def _changes(before: TargetDetails, after: TargetDetails) -> tuple[Change, ...]:
    changes = [
        Change(name, _shown(getattr(before, name)), _shown(getattr(after, name)))
        for name in (*FIELD_COLUMNS, "office_hours")
        if getattr(before, name) != getattr(after, name)
    ]
    changes += [
        Change(column, before.salutations.get(tag, ""), after.salutations.get(tag, ""))
        for column, tag in SALUTATION_COLUMNS.items()
        if before.salutations.get(tag) != after.salutations.get(tag)
    ]
    return tuple(changes)


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return describe_office_hours(value)
    return "" if value is None else str(value)


# --- The verbs ---


async def preview_import(pool: Pool, clock: Clock, actor: Staff, data: bytes) -> ImportPreview:
    """Read the file and compare it with the stored targets; hold its valid rows for
    `apply_import`. Nothing is written to the targets."""
    # Checking 5,000 rows takes about half a second of CPU: off the event loop, so the pages
    # and signatures served beside it do not wait.
    read = await asyncio.to_thread(read_targets_csv, data)
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        planned, errors = plan_rows(read.rows, await _known(conn, read.rows))
        await targets.delete_imports_before(conn, now - KEEP_IMPORTS)
        import_id = None
        if any(row.kind != "unchanged" for row in planned):
            held = [row.row.to_json() for row in planned]
            import_id = await targets.insert_import(conn, actor.id, held, now)
    all_errors = sorted(read.errors + errors, key=_by_line)
    return ImportPreview(import_id, planned, all_errors, read.ignored_columns)


async def apply_import(pool: Pool, clock: Clock, actor: Staff, import_id: int) -> ImportSummary:
    """Write what the preview showed, in one transaction, once."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        held = await targets.lock_import(conn, import_id)
        if held is None:
            raise ImportNotFound
        if held.staff_id != actor.id:
            raise ImportNotYours
        if held.applied_at is not None:
            raise ImportApplied
        if now - held.created_at > PREVIEW_LIFETIME:
            raise ImportExpired
        rows = [ImportRow.from_json(row) for row in held.rows]
        planned, errors = plan_rows(rows, await _known(conn, rows))
        contacts_added = await _write(conn, planned, now)
        await targets.mark_import_applied(conn, import_id, now)
        summary = _summary(planned, contacts_added, len(errors))
        await audit.record(
            conn,
            actor.id,
            "targets.imported",
            now,
            ("target_import", import_id),
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
            contacts_added=summary.contacts_added,
            skipped=summary.skipped,
        )
    return summary


async def _write(conn: Connection, planned: list[PlannedRow], now: datetime) -> int:
    """Create and change the targets; returns how many addresses were added."""
    ids = {row.row.line: row.target_id for row in planned if row.target_id is not None}
    by_external_id = [
        row for row in planned if row.row.external_id and (row.kind == "create" or row.changes)
    ]
    upserted = await targets.upsert_targets(conn, [row.details for row in by_external_id], now)
    for row in by_external_id:
        ids[row.row.line] = upserted[row.details.external_id or ""]
    for row in planned:
        if row.row.external_id is None:
            created = await targets.insert_target(conn, row.details, now)
            assert created is not None  # no external id, so no conflict
            ids[row.row.line] = created
    contacts = [
        (ids[row.row.line], channel, address)
        for row in planned
        for channel, address in row.new_contacts
    ]
    return await targets.add_contacts(conn, contacts)


def _summary(planned: list[PlannedRow], contacts_added: int, skipped: int) -> ImportSummary:
    kinds = Counter(row.kind for row in planned)
    return ImportSummary(
        created=kinds["create"],
        updated=kinds["update"],
        unchanged=kinds["unchanged"],
        contacts_added=contacts_added,
        skipped=skipped,
    )
