"""Targets from a spreadsheet: the file is read and every row checked (target_file.py), the
valid rows are held while the campaigner reads a preview of what would be created, changed or
left alone, and only their go-ahead writes anything, in one transaction.

Rows find their target by external id (the organisation's own id for an official): a row whose
id is known updates that target, any other row creates one. An empty cell changes nothing, so a
file with a few columns filled in updates just those; addresses are added, never removed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from campaign_engine.clock import Clock
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.targets import target_editing as targets
from campaign_engine.domain.errors import DomainError
from campaign_engine.domain.targets.target_fields import describe_office_hours
from campaign_engine.domain.targets.target_file import (
    FIELD_COLUMNS,
    SALUTATION_COLUMNS,
    ImportRow,
    RowError,
    by_line,
    read_targets_csv,
)
from campaign_engine.domain.workspace import audit
from campaign_engine.i18n import _
from campaign_engine.models.targets import Target, TargetContact, TargetDetails
from campaign_engine.models.workspace import Staff

PREVIEW_LIFETIME = timedelta(hours=1)  # what the preview compared with may have changed since
KEEP_IMPORTS = timedelta(days=1)


class ImportNotFound(DomainError):
    """No held import has this id."""


class ImportNotYours(DomainError):
    """Someone else uploaded this file: only they may apply it."""


class ImportApplied(DomainError):
    """This import was applied already."""


class ImportExpired(DomainError):
    """The preview is more than an hour old."""


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
    wanted = [(channel, a) for channel, listed in row.addresses.items() for a in listed]
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
    all_errors = sorted(read.errors + errors, key=by_line)
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
