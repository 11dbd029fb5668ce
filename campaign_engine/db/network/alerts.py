"""Alerts to the network: the campaigner's plan for an action, its fan-out (one delivery per
matching member, a batch at a time, resumable), who it would reach, and where it stands.

A member matches an action when they are active, the case's country is among theirs (or they
chose none), its risk category among their themes (or none), and they read at least one of
the languages the action is published in: they read the alert in the first of theirs that it
is. How often is theirs too: every alert; at most `weekly_cap` in any seven days (counted on
their alerts' index); or a weekly digest, which no single alert reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from campaign_engine.db.pool import Connection
from campaign_engine.models.delivery import ChannelProgress, DeliveryKind
from campaign_engine.models.network import (
    AlertAudience,
    AlertContent,
    AlertOutcomes,
    AlertPlan,
    AlertState,
    AlertStatus,
)

# Below every version-4 uuid: where a fan-out that has looked at nobody yet starts.
NOBODY = UUID(int=0)
# The seven days a weekly cap counts alerts over.
CAP_WINDOW = timedelta(days=7)


def matches(country: str, region: str, theme: str, published: str) -> str:
    """SQL: member `m` wants cases of this country (itself, or its region) and theme, and
    reads one of `published`. Each argument is SQL: a parameter, or a column (the weekly
    email's query, db/network/weekly.py, matches the same way)."""
    return f"""((cardinality(m.countries) = 0 AND cardinality(m.regions) = 0)
         OR {country}::text = ANY(m.countries) OR {region}::text = ANY(m.regions))
    AND (cardinality(m.themes) = 0 OR {theme}::text = ANY(m.themes))
    AND m.languages && {published}::text[]"""


def _alerts_this_week(now: str) -> str:
    """SQL: how many alerts member `m` has had in the cap's window up to `now` (one that was
    not sent, as they had signed or the action closed, took nothing of their week). Every
    alert goes by email, some by text too: the emails count the alerts."""
    return f"""(SELECT count(*) FROM deliveries d
     WHERE d.kind = '{DeliveryKind.NETWORK_ALERT}' AND d.supporter_id = m.supporter_id
       AND d.channel = 'email'
       AND d.created_at > {now}::timestamptz - interval '7 days'
       AND d.status NOT IN ('failed', 'cancelled'))"""


# --- The campaigner's plan ----------------------------------------------------------------

SELECT_ALERT = """
SELECT alert, delay, by_text, status, due_at, members, emails, texts, started_at,
       fanned_out_at
FROM network_alerts WHERE action_id = $1
"""


async def get_alert(conn: Connection, action_id: int) -> AlertState | None:
    """None: nothing was chosen, and the action was not published since (the default plan)."""
    row = await conn.fetchrow(SELECT_ALERT, action_id)
    return None if row is None else _state(row)


def _state(row: asyncpg.Record) -> AlertState:
    return AlertState(
        plan=AlertPlan(row["alert"], row["delay"], row["by_text"]),
        status=AlertStatus(row["status"]),
        due_at=row["due_at"],
        members=row["members"],
        emails=row["emails"],
        started_at=row["started_at"],
        fanned_out_at=row["fanned_out_at"],
        texts=row["texts"],
    )


# Only before publication: once the action opened, its alert went (or was skipped) as planned.
SAVE_PLAN = """
INSERT INTO network_alerts AS n (action_id, alert, delay, by_text, chosen_by, chosen_at)
VALUES ($1, $2, $3, $6, $4, $5)
ON CONFLICT (action_id) DO UPDATE
    SET alert = EXCLUDED.alert, delay = EXCLUDED.delay, by_text = EXCLUDED.by_text,
        chosen_by = EXCLUDED.chosen_by, chosen_at = EXCLUDED.chosen_at
    WHERE n.status = 'planned'
RETURNING action_id
"""


async def save_plan(
    conn: Connection, action_id: int, plan: AlertPlan, staff_id: int | None, now: datetime
) -> bool:
    """False when the action's alert has already gone its way."""
    saved = await conn.fetchval(
        SAVE_PLAN, action_id, plan.alert, plan.delay, staff_id, now, plan.by_text
    )
    return saved is not None


# The action opened: its alert falls due after the delay chosen (or at once, the default),
# or is skipped. Once only: a reopened action is not published again.
FALL_DUE = """
INSERT INTO network_alerts AS n (action_id, status, due_at, touched_at)
VALUES ($1, 'due', $2, $2)
ON CONFLICT (action_id) DO UPDATE
    SET status = CASE WHEN n.alert THEN 'due' ELSE 'skipped' END, due_at = $2 + n.delay,
        touched_at = $2
    WHERE n.status = 'planned'
RETURNING status
"""


async def fall_due(conn: Connection, action_id: int, now: datetime) -> AlertStatus | None:
    """The alert's status now; None if it had left `planned` before."""
    status = await conn.fetchval(FALL_DUE, action_id, now)
    return None if status is None else AlertStatus(status)


# Alerts whose time has come start fanning out (all of them, or one action's).
START_DUE = """
UPDATE network_alerts
SET status = 'fanning_out', started_at = $1, touched_at = $1
WHERE status = 'due' AND due_at <= $1 AND ($2::bigint IS NULL OR action_id = $2)
RETURNING action_id
"""


async def start_due(conn: Connection, now: datetime, action_id: int | None = None) -> list[int]:
    return [row["action_id"] for row in await conn.fetch(START_DUE, now, action_id)]


# --- The fan-out ----------------------------------------------------------------------------

# A fan-out's batch holds its alert's row: two fan-outs of one alert (a resumed one beside one
# that was only slow) take turns, each starting where the other stopped.
LOCK_ALERT = """
SELECT n.reached, n.by_text, a.status = 'open' AS action_open, c.country, r.region, c.risk_category,
       ARRAY(SELECT locale FROM action_translations
             WHERE action_id = a.id AND published ORDER BY locale) AS published
FROM network_alerts n
JOIN actions a ON a.id = n.action_id
JOIN cases c ON c.id = a.case_id
LEFT JOIN country_regions r ON r.country = c.country
WHERE n.action_id = $1 AND n.status = 'fanning_out'
FOR UPDATE OF n
"""


@dataclass(frozen=True)
class CaseMatch:
    """What members are matched on: the case's country ("" for none) and its region ("" for
    none), its risk category, the languages the action is published in now."""

    country: str
    region: str
    theme: str
    published: list[str]


def _case_match(row: asyncpg.Record) -> CaseMatch:
    return CaseMatch(
        row["country"] or "", row["region"] or "", row["risk_category"], list(row["published"])
    )


@dataclass(frozen=True)
class UnfinishedAlert:
    reached: UUID  # the last member looked at
    action_open: bool
    by_text: bool
    case: CaseMatch


async def lock_unfinished_alert(conn: Connection, action_id: int) -> UnfinishedAlert | None:
    """An alert still fanning out, its row held; None when done."""
    row = await conn.fetchrow(LOCK_ALERT, action_id)
    if row is None:
        return None
    return UnfinishedAlert(
        row["reached"] or NOBODY, row["action_open"], row["by_text"], _case_match(row)
    )


# Two alerts fanning out at once would each count a member's week without the other's batch
# and both slip under a cap of one: their batches take turns. Its own statement, before the
# batch's, so that the batch's snapshot (taken when it starts) sees what the other committed.
LOCK_CAPS = "SELECT pg_advisory_xact_lock(hashtext('network alert caps'))"


async def lock_caps(conn: Connection) -> None:
    await conn.execute(LOCK_CAPS)


# The next active members after `reached`, in id order, and an alert for each who matches and
# has room under their cap: by email, and by text too (when the alert goes by text) to those
# whose number answered YES and has not texted STOP. The unique index makes one per action,
# member and channel whatever ran before: only new ones return.
INSERT_ALERT_BATCH = f"""
WITH batch AS (
    SELECT supporter_id FROM members
    WHERE status = 'active' AND supporter_id > $2
    ORDER BY supporter_id
    LIMIT $3
), matching AS (
    SELECT m.supporter_id, m.texts = 'active' AND $9::boolean
           AND NOT EXISTS (SELECT 1 FROM sms_opt_outs o WHERE o.phone_key = m.phone_key)
           AS by_text
    FROM batch JOIN members m USING (supporter_id)
    WHERE m.frequency <> 'weekly' AND {matches("$4", "$8", "$5", "$6")}
      AND (m.frequency = 'every' OR {_alerts_this_week("$7")} < m.weekly_cap)
), created AS (
    INSERT INTO deliveries (dedup_key, kind, channel, action_id, supporter_id)
    SELECT '{DeliveryKind.NETWORK_ALERT}:' || $1::bigint || ':' || supporter_id || ':' || channel,
           '{DeliveryKind.NETWORK_ALERT}', channel, $1::bigint, supporter_id
    FROM matching
    CROSS JOIN LATERAL (
        SELECT 'email' AS channel UNION ALL SELECT 'sms' WHERE matching.by_text
    ) channels
    ORDER BY supporter_id, channel
    ON CONFLICT DO NOTHING
    RETURNING id, channel
)
SELECT (SELECT supporter_id FROM batch ORDER BY supporter_id DESC LIMIT 1) AS last,
       (SELECT count(*) FROM batch) AS looked_at,
       ARRAY(SELECT id FROM created) AS created,
       (SELECT count(*) FROM created WHERE channel = 'sms') AS texts
"""


@dataclass(frozen=True)
class AlertBatch:
    last: UUID | None  # the last member looked at (None: nobody was left)
    looked_at: int
    created: list[UUID]  # the deliveries written, by email and by text
    texts: int  # of those, by text

    @property
    def emails(self) -> int:
        return len(self.created) - self.texts


async def insert_alert_batch(
    conn: Connection, alert: UnfinishedAlert, action_id: int, limit: int, now: datetime
) -> AlertBatch:
    case = alert.case
    row = await conn.fetchrow(
        INSERT_ALERT_BATCH,
        action_id,
        alert.reached,
        limit,
        case.country,
        case.theme,
        case.published,
        now,
        case.region,
        alert.by_text,
    )
    assert row is not None
    return AlertBatch(row["last"], row["looked_at"], list(row["created"]), row["texts"])


ADVANCE_ALERT = """
UPDATE network_alerts
SET reached = $2, members = members + $3, emails = emails + $4, texts = texts + $6,
    touched_at = $5
WHERE action_id = $1
"""


async def advance_alert(conn: Connection, action_id: int, batch: AlertBatch, now: datetime) -> None:
    await conn.execute(
        ADVANCE_ALERT, action_id, batch.last, batch.looked_at, batch.emails, now, batch.texts
    )


FINISH_ALERT = """
UPDATE network_alerts SET status = 'done', fanned_out_at = $2, touched_at = $2
WHERE action_id = $1 AND status = 'fanning_out'
"""


async def finish_alert(conn: Connection, action_id: int, now: datetime) -> None:
    await conn.execute(FINISH_ALERT, action_id, now)


# Fan-outs that have shown no sign of life since `before`: their job was lost or died.
SELECT_STALLED_ALERTS = """
SELECT action_id FROM network_alerts
WHERE status = 'fanning_out' AND touched_at < $1
ORDER BY touched_at
"""


async def list_stalled_alerts(conn: Connection, before: datetime) -> list[int]:
    return [row["action_id"] for row in await conn.fetch(SELECT_STALLED_ALERTS, before)]


# --- Who it would reach, and where it stands ---------------------------------------------------

SELECT_ACTION_MATCH = """
SELECT c.country, r.region, c.risk_category,
       ARRAY(SELECT locale FROM action_translations
             WHERE action_id = a.id AND published ORDER BY locale) AS published
FROM actions a JOIN cases c ON c.id = a.case_id
LEFT JOIN country_regions r ON r.country = c.country
WHERE a.id = $1
"""


async def get_action_match(conn: Connection, action_id: int) -> CaseMatch:
    row = await conn.fetchrow(SELECT_ACTION_MATCH, action_id)
    assert row is not None
    return _case_match(row)


# The language each matching member would read the alert in: the first of theirs it has.
# A member of the audience who would hear of it now: their cap leaves room (or they have none).
_ALERTED_NOW = """(m.frequency = 'every'
                 OR (m.frequency = 'capped' AND recent.alerts < m.weekly_cap))"""
COUNT_AUDIENCE = f"""
SELECT pick.locale,
       count(*) FILTER (WHERE {_ALERTED_NOW}) AS alerted,
       count(*) FILTER (WHERE m.frequency = 'capped' AND recent.alerts >= m.weekly_cap)
           AS capped,
       count(*) FILTER (WHERE m.frequency = 'weekly') AS weekly,
       count(*) FILTER (WHERE {_ALERTED_NOW} AND m.texts = 'active'
                           AND NOT EXISTS (SELECT 1 FROM sms_opt_outs o
                                           WHERE o.phone_key = m.phone_key)) AS by_text,
       count(*) FILTER (WHERE {_ALERTED_NOW} AND $1::text = ANY(m.countries)) AS for_country,
       count(*) FILTER (WHERE {_ALERTED_NOW} AND NOT $1::text = ANY(m.countries)
                           AND $5::text = ANY(m.regions)) AS for_region,
       count(*) FILTER (WHERE {_ALERTED_NOW} AND cardinality(m.countries) = 0
                           AND cardinality(m.regions) = 0) AS anywhere
FROM members m
CROSS JOIN LATERAL (
    SELECT u.locale FROM unnest(m.languages) WITH ORDINALITY AS u(locale, n)
    WHERE u.locale = ANY($3::text[])
    ORDER BY u.n
    LIMIT 1
) pick
CROSS JOIN LATERAL (
    SELECT CASE WHEN m.frequency = 'capped' THEN {_alerts_this_week("$4")} END AS alerts
) recent
WHERE m.status = 'active' AND {matches("$1", "$5", "$2", "$3")}
GROUP BY pick.locale
ORDER BY count(*) DESC, pick.locale
"""


async def count_audience(conn: Connection, case: CaseMatch, now: datetime) -> AlertAudience:
    rows = await conn.fetch(
        COUNT_AUDIENCE, case.country, case.theme, case.published, now, case.region
    )
    return AlertAudience(
        by_language=tuple((row["locale"], row["alerted"]) for row in rows if row["alerted"]),
        capped_now=sum(row["capped"] for row in rows),
        weekly=sum(row["weekly"] for row in rows),
        by_text=sum(row["by_text"] for row in rows),
        # Why they match: the case's country, else its region, else they follow anywhere.
        by_reach=(
            ("country", sum(row["for_country"] for row in rows)),
            ("region", sum(row["for_region"] for row in rows)),
            ("anywhere", sum(row["anywhere"] for row in rows)),
        ),
    )


# Where the alert's messages stand, channel by channel, and how many of the members alerted
# have signed (confirmed; a member alerted by email and by text counts once).
SELECT_ALERT_PROGRESS = """
SELECT d.channel,
       count(*) FILTER (WHERE d.status IN ('scheduled', 'pending', 'sending', 'retry',
                                           'ambiguous')) AS waiting,
       count(*) FILTER (WHERE d.status IN ('sent', 'delivered')) AS sent,
       count(*) FILTER (WHERE d.status IN ('failed', 'bounced', 'cancelled')) AS failed,
       count(s.id) AS acted
FROM deliveries d
LEFT JOIN signatures s ON s.action_id = d.action_id AND s.supporter_id = d.supporter_id
    AND s.status = 'confirmed'
WHERE d.kind = 'network_alert' AND d.action_id = $1
GROUP BY d.channel
ORDER BY d.channel = 'email' DESC, d.channel
"""


async def count_alert_progress(
    conn: Connection, action_id: int
) -> tuple[tuple[ChannelProgress, ...], int]:
    """(each channel's progress, email first; members alerted who signed)."""
    rows = await conn.fetch(SELECT_ALERT_PROGRESS, action_id)
    progress = tuple(
        ChannelProgress(row["channel"], row["waiting"], row["sent"], row["failed"]) for row in rows
    )
    # Every alert goes by email: its rows name each member alerted once.
    acted = next((row["acted"] for row in rows if row["channel"] == "email"), 0)
    return progress, acted


# What an alert says, in every language the action is published in.
SELECT_ALERT_CONTENTS = """
SELECT a.id, a.slug, a.code, a.status, a.deadline,
       coalesce((SELECT jsonb_object_agg(locale, jsonb_build_array(title, summary))
                 FROM action_translations WHERE action_id = a.id AND published), '{}') AS texts
FROM actions a
WHERE a.id = ANY($1::bigint[])
"""


async def list_alert_contents(conn: Connection, action_ids: list[int]) -> dict[int, AlertContent]:
    return {
        row["id"]: AlertContent(
            action_id=row["id"],
            slug=row["slug"],
            code=row["code"],
            open=row["status"] == "open",
            deadline=row["deadline"],
            texts={locale: (pair[0], pair[1]) for locale, pair in row["texts"].items()},
        )
        for row in await conn.fetch(SELECT_ALERT_CONTENTS, action_ids)
    }


def alert_outcomes_sql(by: str | None, since: str) -> str:
    """SQL: what the alerts sent after `since` brought: how many actions alerted, members
    reached, those who signed the action after their alert went, and how long they took (the
    middle one); in one row, or one per `by` (an expression of `d.sent_at`, as `period`).
    From the signatures themselves: no tracking pixel, no redirecting link. Every alert goes
    by email (some by text too): its emails count the alerts."""
    period = f"{by} AS period, " if by else ""
    grouped = f"GROUP BY {by}" if by else ""
    return f"""
SELECT {period}count(DISTINCT d.action_id) AS actions, count(*) AS alerted,
       count(s.id) FILTER (WHERE s.confirmed_at >= d.sent_at) AS acted,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.confirmed_at - d.sent_at))
           FILTER (WHERE s.confirmed_at >= d.sent_at) AS median_seconds
FROM deliveries d
LEFT JOIN signatures s ON s.action_id = d.action_id AND s.supporter_id = d.supporter_id
    AND s.status = 'confirmed'
WHERE d.kind = '{DeliveryKind.NETWORK_ALERT}' AND d.channel = 'email'
  AND d.status IN ('sent', 'delivered') AND d.sent_at > {since}
{grouped}
"""


SELECT_ALERT_OUTCOMES = alert_outcomes_sql(by=None, since="$1")


async def count_alert_outcomes(conn: Connection, since: datetime) -> AlertOutcomes:
    row = await conn.fetchrow(SELECT_ALERT_OUTCOMES, since)
    assert row is not None
    median = row["median_seconds"]
    return AlertOutcomes(
        actions=row["actions"],
        alerted=row["alerted"],
        acted=row["acted"],
        median_to_act=None if median is None else timedelta(seconds=float(median)),
    )
