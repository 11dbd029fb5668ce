"""Texts counted per day and per number (by keyed hash), for the SMS budgets."""

from __future__ import annotations

from datetime import date

from campaign_engine.db.pool import Connection

# Slots are taken one transaction at a time, so the day's budget is never overrun by two
# sends at once.
LOCK_DAY = (
    "SELECT pg_advisory_xact_lock(hashtextextended('sms-budget', $1::date - date '2000-01-01'))"
)


async def lock_day(conn: Connection, day: date) -> None:
    await conn.execute(LOCK_DAY, day)


SELECT_SENT = """
SELECT coalesce(sum(sent), 0) AS day,
       coalesce(sum(sent) FILTER (WHERE number_key = $2), 0) AS number
FROM sms_counts WHERE day = $1
"""


async def count_sent(conn: Connection, day: date, number_key: bytes) -> tuple[int, int]:
    """(texts sent this day in all, texts sent this day to this number)."""
    row = await conn.fetchrow(SELECT_SENT, day, number_key)
    assert row is not None
    return row["day"], row["number"]


ADD_SENT = """
INSERT INTO sms_counts (day, number_key, sent) VALUES ($1, $2, 1)
ON CONFLICT (day, number_key) DO UPDATE SET sent = sms_counts.sent + 1
"""


async def add_sent(conn: Connection, day: date, number_key: bytes) -> None:
    await conn.execute(ADD_SENT, day, number_key)


REMOVE_SENT = """
UPDATE sms_counts SET sent = sent - 1 WHERE day = $1 AND number_key = $2 AND sent > 0
"""


async def remove_sent(conn: Connection, day: date, number_key: bytes) -> None:
    await conn.execute(REMOVE_SENT, day, number_key)
