"""Exports: an action's signatures (personal data) and its letters to officials, as CSV files a
spreadsheet opens safely (`spreadsheets.py`).

An export is written to the audit log before its first byte leaves, in a transaction of its
own: a download cut off halfway was still an export of personal data, and must be on record.
That is also why the log holds the filters and not the number of rows, which nobody knows
until the last one is sent.

The file is streamed from a cursor, a thousand rows at a time, inside one read-only
transaction (a consistent snapshot from the first row to the last); it is never held in
memory whole.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import dashboard
from campaign_engine.db.delivery import reports
from campaign_engine.db.personal import signers
from campaign_engine.db.pool import Pool
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.domain.workspace import audit
from campaign_engine.formats import spreadsheets
from campaign_engine.formats.fields import instant
from campaign_engine.models.campaigns import DashboardAction
from campaign_engine.models.delivery import DeliveryExportRow
from campaign_engine.models.signing import SignatureExportRow, SignatureFilters
from campaign_engine.models.workspace import Staff

BATCH = 1000

SIGNATURE_COLUMNS = (
    "signed_at",
    "confirmed_at",
    "status",
    "name",
    "email",
    "phone",
    "country",
    "language",
    "source",
    "partner",
    "comment",
    "consent_updates",
    "consent_partner",
    "consent_sms",
)
DELIVERY_COLUMNS = (
    "created_at",
    "released_at",
    "sent_at",
    "delivered_at",
    "target_name",
    "target_organisation",
    "channel",
    "kind",
    "status",
    "attempts",
    "last_error",
)


@dataclass(frozen=True)
class CsvExport:
    filename: str  # the action's slug, what it holds and the day: nothing personal
    # Holds a connection and a transaction until read to its end or closed (`aclose()`).
    chunks: AsyncGenerator[bytes, None]


@dataclass(frozen=True)
class ExportChoices:
    """What the export form offers: the values the action's signatures actually hold."""

    action: DashboardAction
    countries: list[str]
    languages: list[str]
    sources: list[str]
    partners: list[str]


async def read_export_choices(pool: Pool, slug: str, locale: str) -> ExportChoices:
    async with pool.acquire() as conn:
        action = await dashboard.get_dashboard_action(conn, slug, locale)
        if action is None:
            raise ActionNotFound
        tallies = await dashboard.list_signature_tallies(conn, action.id)

    def values(dimension: str) -> list[str]:
        return sorted(t.value for t in tallies if t.dimension == dimension and t.value)

    return ExportChoices(
        action, values("country"), values("language"), values("source"), values("partner")
    )


async def export_signatures(
    pool: Pool, clock: Clock, actor: Staff, slug: str, filters: SignatureFilters
) -> CsvExport:
    """Record the export, then hand over the file to stream."""
    now = clock.now()
    action_id = await _record(
        pool, actor, "export.signatures", slug, now, _filters_on_record(filters)
    )
    return CsvExport(
        f"{slug}-signatures-{now:%Y-%m-%d}.csv",
        spreadsheets.csv_chunks(SIGNATURE_COLUMNS, _signature_lines(pool, action_id, filters)),
    )


async def export_deliveries(pool: Pool, clock: Clock, actor: Staff, slug: str) -> CsvExport:
    now = clock.now()
    action_id = await _record(pool, actor, "export.deliveries", slug, now, {})
    return CsvExport(
        f"{slug}-deliveries-{now:%Y-%m-%d}.csv",
        spreadsheets.csv_chunks(DELIVERY_COLUMNS, _delivery_lines(pool, action_id)),
    )


async def _record(
    pool: Pool, actor: Staff, verb: str, slug: str, now: datetime, detail: dict[str, object]
) -> int:
    """Write the export to the audit log, committed before the file starts; the action's id."""
    async with pool.acquire() as conn, conn.transaction():
        action_id = await dashboard.get_action_id(conn, slug)
        if action_id is None:
            raise ActionNotFound
        await audit.record(conn, actor.id, verb, now, ("action", action_id), **detail)
    return action_id


def _filters_on_record(filters: SignatureFilters) -> dict[str, object]:
    """The filters as the audit log keeps them: the choices, never the data they chose."""
    return {
        "status": [str(status) for status in filters.statuses],
        "signed_from": filters.signed_from.isoformat() if filters.signed_from else None,
        "signed_to": filters.signed_to.isoformat() if filters.signed_to else None,
        "country": filters.country,
        "language": filters.language,
        "source": filters.source,
        "partner": filters.partner,
    }


async def _signature_lines(
    pool: Pool, action_id: int, filters: SignatureFilters
) -> AsyncGenerator[list[Sequence[str]], None]:
    signed_from = _day_start(filters.signed_from)
    signed_before = _day_start(filters.signed_to + timedelta(days=1)) if filters.signed_to else None
    async with (
        pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
        # Closed with this generator, so the transaction ends at a batch's edge, in order.
        aclosing(
            signers.stream_signature_export(
                conn, action_id, filters, signed_from, signed_before, BATCH
            )
        ) as batches,
    ):
        async for batch in batches:
            yield [_signature_line(row) for row in batch]


async def _delivery_lines(pool: Pool, action_id: int) -> AsyncGenerator[list[Sequence[str]], None]:
    async with (
        pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
        aclosing(reports.stream_delivery_export(conn, action_id, BATCH)) as batches,
    ):
        async for batch in batches:
            yield [_delivery_line(row) for row in batch]


def _signature_line(row: SignatureExportRow) -> list[str]:
    return [
        _moment(row.signed_at),
        _moment(row.confirmed_at),
        row.status,
        row.name or "",
        row.email,
        row.phone or "",
        row.country,
        row.language,
        row.source or "",
        row.partner or "",
        row.comment or "",
        _consent(row.consent_updates),
        _consent(row.consent_partner),
        _consent(row.consent_sms),
    ]


def _delivery_line(row: DeliveryExportRow) -> list[str]:
    return [
        _moment(row.created_at),
        _moment(row.released_at),
        _moment(row.sent_at),
        _moment(row.delivered_at),
        row.target_name,
        row.target_organisation,
        row.channel,
        row.kind,
        row.status,
        str(row.attempts),
        row.last_error or "",
    ]


def _day_start(day: date | None) -> datetime | None:
    return instant(day, time.min) if day else None


def _moment(value: datetime | None) -> str:
    """UTC, written the way every spreadsheet program reads as a date and time."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _consent(granted: bool | None) -> str:
    """'yes' only for consent given and not withdrawn since."""
    return "yes" if granted else "no"
