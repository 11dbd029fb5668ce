"""Signatures of every kind for the dashboard and export tests, made with the product's own
queries; and a reader for the tables of a page (what a screen reader reads is what we check)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from uuid import UUID

from campaign_engine.db.pool import Pool
from campaign_engine.db.signing import signatures
from campaign_engine.domain.delivery.appeals import create_appeals
from campaign_engine.domain.signing.consent import Agreed, record_consents, shown_consent
from campaign_engine.models.signing import ConsentScope
from tests.factories import signed, unique_email


@dataclass(frozen=True)
class Signer:
    name: str
    country: str = "FR"
    locale: str = "en"
    status: str = "confirmed"  # confirmed, pending or invalidated
    source: str | None = None
    partner: str | None = None
    phone: str | None = None
    comment: str | None = None
    consents: tuple[ConsentScope, ...] = ()
    email: str = field(default_factory=unique_email)
    signed_at: datetime | None = None  # None: now


async def add_signatures(pool: Pool, slug: str, signers: list[Signer]) -> list[UUID]:
    """Each signer's signature on the action `slug`, in the state asked for; a confirmed one
    gets its appeals (held for the pacers) like a real confirmation."""
    made = []
    async with pool.acquire() as conn:
        action_id = await conn.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
        for signer in signers:
            async with conn.transaction():
                supporter_id, signature_id = await signed(
                    conn,
                    action_id,
                    signer.email,
                    name=signer.name,
                    locale=signer.locale,
                    country=signer.country,
                    phone=signer.phone,
                    comment=signer.comment,
                    source=signer.source,
                    partner=signer.partner,
                )
                await record_consents(
                    conn,
                    [
                        Agreed(
                            supporter_id,
                            signature_id,
                            shown_consent(scope),
                            signer.source,
                            signer.partner,
                        )
                        for scope in signer.consents
                    ],
                )
                if signer.signed_at is not None:
                    await conn.execute(
                        "UPDATE signatures SET created_at = $2 WHERE id = $1",
                        signature_id,
                        signer.signed_at,
                    )
                if signer.status in ("confirmed", "invalidated"):
                    await signatures.confirm_pending_signature(conn, signature_id)
                    if signer.signed_at is not None:
                        await conn.execute(
                            "UPDATE signatures SET confirmed_at = $2 WHERE id = $1",
                            signature_id,
                            signer.signed_at,
                        )
                    await create_appeals(conn, signature_id, action_id)
                if signer.status == "invalidated":
                    await conn.execute(
                        "UPDATE signatures SET status = 'invalidated' WHERE id = $1", signature_id
                    )
            made.append(signature_id)
    return made


async def set_delivery_statuses(
    pool: Pool, slug: str, statuses: list[tuple[str, str | None]]
) -> None:
    """Give the action's appeals, oldest first, these (status, last error) pairs, as the
    workers and the providers' reports would have left them."""
    async with pool.acquire() as conn:
        ids = await conn.fetch(
            """SELECT d.id FROM deliveries d JOIN actions a ON a.id = d.action_id
               WHERE a.slug = $1 AND d.kind = 'appeal' ORDER BY d.created_at, d.id""",
            slug,
        )
        assert len(ids) >= len(statuses), "not enough appeals for the statuses asked"
        for row, (status, error) in zip(ids, statuses, strict=False):
            await conn.execute(
                """UPDATE deliveries SET status = $2, last_error = $3,
                          attempts = CASE WHEN $2 = 'scheduled' THEN 0 ELSE 1 END,
                          released_at = CASE WHEN $2 = 'scheduled' THEN NULL ELSE now() END,
                          sent_at = CASE WHEN $2 IN ('sent', 'delivered') THEN now() END
                   WHERE id = $1""",
                row["id"],
                status,
                error,
            )


class _Tables(HTMLParser):
    """Every table of a page by its id: rows of cell texts, header cells included."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.attributes: dict[str, dict[str, str | None]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.attributes[str(found["id"])] = found
        if tag == "table":
            self._table = str(found.get("id") or f"table-{len(self.tables)}")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._table is not None and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def attributes_of(page: str) -> dict[str, dict[str, str | None]]:
    """Every element with an id: its attributes."""
    parser = _Tables()
    parser.feed(page)
    return parser.attributes


def rows_by_label(table: list[list[str]]) -> dict[str, list[str]]:
    """A table's body rows keyed by their first cell (the header row included)."""
    return {row[0]: row[1:] for row in table if row}
