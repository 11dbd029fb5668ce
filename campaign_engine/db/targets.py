"""Targets: the officials appeals go to, and the state of their addresses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from campaign_engine.db.pool import Connection, from_row

SELECT_SCHEDULE = "SELECT office_hours, time_zone FROM targets WHERE id = $1"


async def get_schedule(conn: Connection, target_id: int) -> tuple[dict[str, Any] | None, str]:
    """(office hours, time zone) of a target."""
    row = await conn.fetchrow(SELECT_SCHEDULE, target_id)
    assert row is not None
    return row["office_hours"], row["time_zone"]


# An address that refused for good is marked, so no appeal is written to it again until a
# campaigner fixes it.
SET_CONTACT_STATUS = "UPDATE target_contacts SET status = $2 WHERE id = $1"


async def set_contact_status(conn: Connection, contact_id: int, status: str) -> None:
    await conn.execute(SET_CONTACT_STATUS, contact_id, status)


@dataclass(frozen=True)
class KnownNumber:
    contact_id: int
    target_id: int
    preferred_locale: str


SELECT_TARGETS_AT = """
SELECT c.id AS contact_id, c.target_id, t.preferred_locale
FROM target_contacts c JOIN targets t ON t.id = c.target_id
WHERE c.channel = $1 AND c.address = $2
ORDER BY c.id
"""


async def find_targets_at(conn: Connection, channel: str, address: str) -> list[KnownNumber]:
    """The officials who use this address (a phone number in E.164, or an email address)."""
    return [
        from_row(KnownNumber, row) for row in await conn.fetch(SELECT_TARGETS_AT, channel, address)
    ]


# STOP and START from an official's phone; START reopens only what STOP closed.
SET_STATUS_AT = """
UPDATE target_contacts SET status = $3
WHERE channel = $1 AND address = $2 AND status = ANY($4::text[])
"""


async def set_status_at(
    conn: Connection, channel: str, address: str, status: str, replacing: tuple[str, ...]
) -> None:
    await conn.execute(SET_STATUS_AT, channel, address, status, list(replacing))
