"""The network's weekly email: one a week to each member who chose it and whom at least one
action of the week matches, and, as it leaves, those actions in the member's languages.

The actions of a week are those whose alert fell due in it (an action opened with "do not
alert" is in nobody's weekly email either), still open, matching the member as an alert would
(db/network/alerts.py), not signed by them yet, and not alerted to them already (a member who
chose the weekly email after that alert reached them). A member who joined after the week
ended has no email for it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from campaign_engine.db.network.alerts import matches
from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models.delivery import DeliveryKind
from campaign_engine.models.network import WeeklyAction

# SQL: the actions of the week [$1, $2) that member `m` would read about, as `a` and `n`.
PUBLISHED = "ARRAY(SELECT locale FROM action_translations WHERE action_id = a.id AND published)"
WEEK_ACTIONS = f"""
FROM network_alerts n
JOIN actions a ON a.id = n.action_id AND a.status = 'open'
JOIN cases c ON c.id = a.case_id
LEFT JOIN country_regions r ON r.country = c.country
WHERE n.status IN ('due', 'fanning_out', 'done') AND n.due_at >= $1 AND n.due_at < $2
  AND {matches("c.country", "r.region", "c.risk_category", PUBLISHED)}
  AND NOT EXISTS (SELECT 1 FROM signatures s
                  WHERE s.action_id = a.id AND s.supporter_id = m.supporter_id)
  AND NOT EXISTS (SELECT 1 FROM deliveries x
                  WHERE x.kind = 'network_alert' AND x.action_id = a.id
                    AND x.supporter_id = m.supporter_id)
"""

# Once a week per member (the unique index on supporter and week): the cron may run again.
INSERT_WEEKLY_EMAILS = f"""
INSERT INTO deliveries (dedup_key, kind, channel, supporter_id, period_start)
SELECT '{DeliveryKind.NETWORK_WEEKLY}:' || m.supporter_id || ':' || $3::text,
       '{DeliveryKind.NETWORK_WEEKLY}', 'email', m.supporter_id, $1
FROM members m
WHERE m.status = 'active' AND m.frequency = 'weekly' AND m.joined_at < $2
  AND EXISTS (SELECT 1 {WEEK_ACTIONS})
ORDER BY m.supporter_id
ON CONFLICT DO NOTHING
RETURNING id
"""


async def insert_weekly_emails(
    conn: Connection, week_start: datetime, week_end: datetime, week_name: str
) -> list[UUID]:
    """The week's emails not made before; `week_name` (2026-W50) goes into their keys."""
    rows = await conn.fetch(INSERT_WEEKLY_EMAILS, week_start, week_end, week_name)
    return [row["id"] for row in rows]


# Each action in the first of the member's languages it is published in, oldest alert first.
SELECT_WEEK_ACTIONS = f"""
SELECT a.id AS action_id, a.slug, a.code, a.deadline, t.locale, t.title, t.summary
FROM members m
CROSS JOIN LATERAL (SELECT a.*, n.due_at {WEEK_ACTIONS}) a
CROSS JOIN LATERAL (
    SELECT t.locale, t.title, t.summary
    FROM unnest(m.languages) WITH ORDINALITY AS u(locale, n)
    JOIN action_translations t ON t.action_id = a.id AND t.locale = u.locale AND t.published
    ORDER BY u.n
    LIMIT 1
) t
WHERE m.supporter_id = $3
ORDER BY a.due_at, a.id
"""


async def list_week_actions(
    conn: Connection, supporter_id: UUID, week_start: datetime, week_end: datetime
) -> list[WeeklyAction]:
    rows = await conn.fetch(SELECT_WEEK_ACTIONS, week_start, week_end, supporter_id)
    return [from_row(WeeklyAction, row) for row in rows]
