"""How the network grew, month by month (the workspace's network page): members who joined
and who left, how many there were at the month's end, and what the month's alerts brought,
counted from the signatures themselves (db/network/alerts.py says how)."""

from __future__ import annotations

from datetime import datetime, timedelta

from campaign_engine.db.network.alerts import alert_outcomes_sql
from campaign_engine.db.pool import Connection
from campaign_engine.models.network import MonthOfNetwork

# The months from `$2` months before the one holding `$1`, to that one, each with its members.
SELECT_MEMBERS_BY_MONTH = """
WITH this_month AS (
    SELECT date_trunc('month', $1::timestamptz, 'UTC') AS start
), months AS (
    SELECT generate_series(start - make_interval(months => $2), start, interval '1 month') AS start
    FROM this_month
)
SELECT months.start,
       (SELECT count(*) FROM members m
        WHERE m.joined_at >= months.start
          AND m.joined_at < months.start + interval '1 month') AS joined,
       (SELECT count(*) FROM members m
        WHERE m.joined_at IS NOT NULL AND m.left_at >= months.start
          AND m.left_at < months.start + interval '1 month') AS left,
       (SELECT count(*) FROM members m
        WHERE m.joined_at < months.start + interval '1 month'
          AND (m.left_at IS NULL OR m.left_at >= months.start + interval '1 month')) AS members
FROM months
ORDER BY months.start
"""

SELECT_ALERTS_BY_MONTH = alert_outcomes_sql(
    by="date_trunc('month', d.sent_at, 'UTC')", since="$1::timestamptz"
)


async def list_months(conn: Connection, now: datetime, months: int) -> list[MonthOfNetwork]:
    """The last `months` months and this one, oldest first."""
    rows = await conn.fetch(SELECT_MEMBERS_BY_MONTH, now, months - 1)
    alerts = {
        row["period"]: row for row in await conn.fetch(SELECT_ALERTS_BY_MONTH, rows[0]["start"])
    }
    found = []
    for row in rows:
        sent = alerts.get(row["start"])
        median = None if sent is None else sent["median_seconds"]
        found.append(
            MonthOfNetwork(
                start=row["start"],
                joined=row["joined"],
                left=row["left"],
                members=row["members"],
                alerts=0 if sent is None else sent["alerted"],
                acted=0 if sent is None else sent["acted"],
                median_to_act=None if median is None else timedelta(seconds=float(median)),
            )
        )
    return found
