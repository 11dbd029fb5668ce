"""Bringing an existing network in: the file is read and every row checked (member_file.py),
the valid rows are held (sealed) while the campaigner reads a preview of what would happen,
and only their go-ahead writes anything, in one transaction, within the hour.

What a row does, by where its address stands with us: a new address becomes an active member
with the file's choices and its consent evidence (the sentence, its language, when and where
it was given); a request never said yes to (pending) becomes active likewise; an active
member is left as they are (their choices are theirs to change, through their own link); and
someone who left the network is never brought back by a file.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaign_engine.clock import Clock
from campaign_engine.db.personal import member_imports
from campaign_engine.db.personal.member_imports import ImportedMember
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.errors import DomainError
from campaign_engine.domain.network.member_file import MemberRow, read_members_csv
from campaign_engine.domain.signing.consent import wording_id
from campaign_engine.domain.targets.target_file import RowError
from campaign_engine.domain.workspace import audit
from campaign_engine.models.network import MemberStatus
from campaign_engine.models.signing import ConsentScope, ConsentText
from campaign_engine.models.workspace import Staff

PREVIEW_LIFETIME = timedelta(hours=1)
# What is written per statement: a large network goes in as several, in one transaction.
WRITE_BATCH = 5_000


class ImportNotFound(DomainError):
    """No held import has this id (or it was cleared: they are kept an hour)."""


class ImportNotYours(DomainError):
    """Someone else uploaded this file: only they may apply it."""


class ImportApplied(DomainError):
    """This import was applied already."""


class ImportExpired(DomainError):
    """The preview is more than an hour old."""


# What a row does, as the preview counts it.
ADD, ACTIVATE, MEMBER, LEFT = "add", "activate", "member", "left"


@dataclass(frozen=True)
class MemberPreview:
    import_id: int | None  # None: nothing to apply
    outcomes: Counter[str]  # ADD, ACTIVATE, MEMBER, LEFT: how many rows each
    errors: list[RowError]
    ignored_columns: tuple[str, ...]


@dataclass(frozen=True)
class MemberImportSummary:
    added: int  # new members and requests made active
    unchanged: int  # members already
    left: int  # left the network: not brought back


def _outcome(known: tuple[object, str | None] | None) -> str:
    if known is None or known[1] is None:
        return ADD
    return {MemberStatus.PENDING: ACTIVATE, MemberStatus.ACTIVE: MEMBER}.get(
        MemberStatus(known[1]), LEFT
    )


async def _outcomes(conn: Connection, rows: list[MemberRow]) -> list[str]:
    known = await member_imports.find_known(conn, [row.email_canonical for row in rows])
    return [_outcome(known.get(row.email_canonical)) for row in rows]


async def preview_member_import(
    pool: Pool, clock: Clock, actor: Staff, data: bytes
) -> MemberPreview:
    """Read the file and say what it would do; hold its rows for `apply_member_import`.
    Nothing is written to the network."""
    now = clock.now()
    # Checking a hundred thousand addresses takes seconds of CPU: off the event loop.
    read = await asyncio.to_thread(read_members_csv, data, now)
    async with pool.acquire() as conn, conn.transaction():
        outcomes = Counter(await _outcomes(conn, read.rows))
        await member_imports.delete_imports_before(conn, now - PREVIEW_LIFETIME)
        import_id = None
        if outcomes[ADD] or outcomes[ACTIVATE]:
            held = [row.to_json() for row in read.rows]
            import_id = await member_imports.insert_import(conn, actor.id, held, now)
    return MemberPreview(import_id, outcomes, read.errors, read.ignored_columns)


async def apply_member_import(
    pool: Pool, clock: Clock, actor: Staff, import_id: int
) -> MemberImportSummary:
    """Write what the preview showed, in one transaction, once; where an address stands is
    read again (someone may have joined or left since the preview)."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        held = await member_imports.lock_import(conn, import_id)
        if held is None:
            raise ImportNotFound
        if held.staff_id != actor.id:
            raise ImportNotYours
        if held.applied_at is not None:
            raise ImportApplied
        if now - held.created_at > PREVIEW_LIFETIME:
            raise ImportExpired
        rows = [MemberRow.from_json(row) for row in held.rows]
        outcomes = await _outcomes(conn, rows)
        wanted = [
            row for row, outcome in zip(rows, outcomes, strict=True) if outcome in (ADD, ACTIVATE)
        ]
        added = await _write(conn, wanted, now)
        await member_imports.mark_applied(conn, import_id, now)
        counted = Counter(outcomes)
        summary = MemberImportSummary(added, counted[MEMBER], counted[LEFT])
        await audit.record(
            conn,
            actor.id,
            "network.imported",
            now,
            ("network_import", import_id),
            added=summary.added,
            unchanged=summary.unchanged,
            left=summary.left,
        )
    return summary


async def _write(conn: Connection, rows: list[MemberRow], now: datetime) -> int:
    # Each sentence stored once, in the language it was read in (the member's emails' one).
    wordings = {(row.locale, row.consent_text) for row in rows}
    text_ids = {
        (locale, text): await wording_id(conn, ConsentText(ConsentScope.NETWORK, locale, text))
        for locale, text in sorted(wordings)
    }
    members = [
        ImportedMember(
            email=row.email,
            email_canonical=row.email_canonical,
            locale=row.locale,
            languages=list(row.languages),
            countries=list(row.countries),
            regions=list(row.regions),
            themes=list(row.themes),
            frequency=row.frequency,
            weekly_cap=row.weekly_cap,
            consent_text_id=text_ids[(row.locale, row.consent_text)],
            consented_at=row.consented_at,
            source=f"import: {row.source}",
        )
        for row in rows
    ]
    added = 0
    for start in range(0, len(members), WRITE_BATCH):
        added += await member_imports.import_members(
            conn, members[start : start + WRITE_BATCH], now
        )
    return added
