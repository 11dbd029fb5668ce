"""Updates to supporters: the events a case can send, their sends (mailings), the fan-out that
writes one delivery per supporter and channel, and where each send stands.

Who receives an update: everyone with a confirmed signature on any of the case's actions
whose current answer about updates is yes (`consents.latest_consent`), and every active member
of the network who was alerted to one of them (docs/network.md, "Follow-ups"). Their language
is that of their latest confirmed signature, else a member's first language (`reader_locale`).
Personal data is not read here: texts, which need a phone number, are chosen in
`db/personal/recipients.py`.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.db.signing.consent import latest_consent
from campaign_engine.models.campaigns import (
    CaseEventKind,
    EventContent,
    Outcome,
    UpdateCase,
    UpdateEvent,
    UpdateMailing,
)
from campaign_engine.models.delivery import ChannelProgress, DeliveryKind
from campaign_engine.models.signing import ConsentScope

# Below every version-4 uuid: where a fan-out that has reached nobody yet starts.
NOBODY = UUID(int=0)


def reader_locale(supporter: str) -> str:
    """SQL for a LATERAL subquery: the language of the supporter's latest confirmed signature
    (the one they chose most recently), else, for a member who never signed, the first
    language they read, else the one they asked to follow a case in, as (locale)."""
    return f"""(
    SELECT locale FROM (
        SELECT locale, 0 AS rank, confirmed_at, created_at FROM signatures
        WHERE supporter_id = {supporter} AND status = 'confirmed'
        UNION ALL
        SELECT languages[1], 1, NULL, NULL FROM members WHERE supporter_id = {supporter}
        UNION ALL
        SELECT locale, 2, NULL, asked_at FROM case_followers WHERE supporter_id = {supporter}
    ) chosen
    ORDER BY rank, confirmed_at DESC NULLS LAST, created_at DESC
    LIMIT 1
)"""


def alerted_member(supporter: str, case: str) -> str:
    """SQL: the supporter is an active member of the network, alerted to one of the case's
    actions (the alert went)."""
    # Aliases of its own: the caller's `d` or `a` must not be hidden from `supporter`.
    return f"""EXISTS (
    SELECT 1 FROM actions alerted_to
    JOIN deliveries alert ON alert.action_id = alerted_to.id
        AND alert.kind = '{DeliveryKind.NETWORK_ALERT}' AND alert.supporter_id = {supporter}
        AND alert.status IN ('sent', 'delivered')
    JOIN members member ON member.supporter_id = alert.supporter_id AND member.status = 'active'
    WHERE alerted_to.case_id = {case}
)"""


def follows_case(supporter: str, case: str) -> str:
    """SQL: the supporter follows the case (said yes through the link, not stopped since)."""
    return f"""EXISTS (
    SELECT 1 FROM case_followers follower
    WHERE follower.case_id = {case} AND follower.supporter_id = {supporter}
      AND follower.status = 'active'
)"""


# Everyone who confirmed a signature on one of the case's actions and wants updates, every
# active member of the network who was alerted to one of them (unless they said no to
# updates: an unsubscribe is an unsubscribe), and everyone who follows it without signing;
# once each (UNION).
AUDIENCE = f"""
SELECT s.supporter_id
FROM signatures s
JOIN actions a ON a.id = s.action_id
JOIN LATERAL {latest_consent(ConsentScope.UPDATES, "s.supporter_id")} wants ON wants.granted
WHERE a.case_id = $1 AND s.status = 'confirmed'
UNION
SELECT d.supporter_id
FROM actions a
JOIN deliveries d ON d.action_id = a.id AND d.kind = '{DeliveryKind.NETWORK_ALERT}'
    AND d.status IN ('sent', 'delivered')
JOIN members m ON m.supporter_id = d.supporter_id AND m.status = 'active'
LEFT JOIN LATERAL {latest_consent(ConsentScope.UPDATES, "d.supporter_id")} said ON true
WHERE a.case_id = $1 AND said.granted IS DISTINCT FROM false
UNION
SELECT f.supporter_id FROM case_followers f WHERE f.case_id = $1 AND f.status = 'active'
"""

SELECT_UPDATE_CASE = """
SELECT c.id, c.slug, c.default_locale,
       coalesce(ct.locale, c.default_locale) AS locale, coalesce(ct.title, c.slug) AS title
FROM cases c
LEFT JOIN LATERAL (
    SELECT locale, title FROM case_translations
    WHERE case_id = c.id AND locale IN ($2, c.default_locale)
    ORDER BY locale = $2 DESC
    LIMIT 1
) ct ON true
WHERE c.id = $1
"""


async def get_update_case(conn: Connection, case_id: int, locale: str) -> UpdateCase | None:
    row = await conn.fetchrow(SELECT_UPDATE_CASE, case_id, locale)
    return None if row is None else from_row(UpdateCase, row)


# The case's updates and outcomes, newest first, each titled in the reader's language, else
# the case's, else any it has.
SELECT_UPDATE_EVENTS = """
SELECT e.id, e.kind, e.outcome, e.occurred_at, e.published, t.locale,
       coalesce(t.title, '') AS title,
       ARRAY(SELECT locale FROM case_event_translations WHERE event_id = e.id ORDER BY locale)
           AS translated
FROM case_events e
JOIN cases c ON c.id = e.case_id
LEFT JOIN LATERAL (
    SELECT locale, title FROM case_event_translations
    WHERE event_id = e.id
    ORDER BY locale = $2 DESC, locale = c.default_locale DESC, locale
    LIMIT 1
) t ON true
WHERE e.case_id = $1 AND e.kind IN ('update', 'outcome')
ORDER BY e.occurred_at DESC, e.id DESC
"""


async def list_update_events(conn: Connection, case_id: int, locale: str) -> list[UpdateEvent]:
    return [
        from_row(
            UpdateEvent,
            row,
            kind=CaseEventKind(row["kind"]),
            outcome=Outcome(row["outcome"]) if row["outcome"] else None,
            translated=tuple(row["translated"]),
        )
        for row in await conn.fetch(SELECT_UPDATE_EVENTS, case_id, locale)
    ]


SELECT_EVENT_TO_SEND = """
SELECT e.kind, e.published,
       EXISTS (SELECT 1 FROM case_event_translations WHERE event_id = e.id) AS written
FROM case_events e
WHERE e.id = $2 AND e.case_id = $1
"""


async def get_event_to_send(
    conn: Connection, case_id: int, event_id: int
) -> tuple[CaseEventKind, bool, bool] | None:
    """(kind, published, has any text) of the case's event; None if the case has no such."""
    row = await conn.fetchrow(SELECT_EVENT_TO_SEND, case_id, event_id)
    if row is None:
        return None
    return CaseEventKind(row["kind"]), row["published"], row["written"]


# Once per event: a second send (a double click, two campaigners at once) inserts nothing.
INSERT_MAILING = """
INSERT INTO update_mailings (event_id, started_by, started_at, touched_at)
VALUES ($1, $2, $3, $3)
ON CONFLICT (event_id) DO NOTHING
RETURNING id
"""


async def insert_mailing(
    conn: Connection, event_id: int, staff_id: int, now: datetime
) -> int | None:
    """The new send's id; None when the event was sent before."""
    mailing_id: int | None = await conn.fetchval(INSERT_MAILING, event_id, staff_id, now)
    return mailing_id


# A fan-out's batch holds its mailing's row: two fan-outs of one send (a resumed one beside
# one that was only slow) take turns, each starting where the other stopped.
LOCK_MAILING = """
SELECT m.event_id, e.case_id, m.reached
FROM update_mailings m
JOIN case_events e ON e.id = m.event_id
WHERE m.id = $1 AND m.status = 'fanning_out'
FOR UPDATE OF m
"""


async def lock_unfinished_mailing(
    conn: Connection, mailing_id: int
) -> tuple[int, int, UUID] | None:
    """(event, case, last supporter reached) of a send still fanning out; None when done."""
    row = await conn.fetchrow(LOCK_MAILING, mailing_id)
    if row is None:
        return None
    return row["event_id"], row["case_id"], row["reached"] or NOBODY


# The next supporters of the audience after `reached`, in id order, each given an email. The
# unique index makes one per event and supporter whatever ran before: only new ones return.
INSERT_EMAIL_BATCH = f"""
WITH audience AS (
    SELECT supporter_id FROM ({AUDIENCE}) everyone
    WHERE supporter_id > $3
    ORDER BY supporter_id
    LIMIT $4
), created AS (
    INSERT INTO deliveries (dedup_key, kind, channel, case_event_id, supporter_id)
    SELECT 'update:' || $2::bigint || ':' || supporter_id || ':email', 'update', 'email',
           $2::bigint, supporter_id
    FROM audience
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT ARRAY(SELECT supporter_id FROM audience ORDER BY supporter_id) AS audience,
       ARRAY(SELECT id FROM created) AS created
"""


async def insert_email_batch(
    conn: Connection, case_id: int, event_id: int, after: UUID, limit: int
) -> tuple[list[UUID], list[UUID]]:
    """(the supporters of this batch, the deliveries it created)."""
    row = await conn.fetchrow(INSERT_EMAIL_BATCH, case_id, event_id, after, limit)
    assert row is not None
    return list(row["audience"]), list(row["created"])


# Texts for those of a batch whose numbers have not texted STOP (given as keyed hashes).
INSERT_TEXT_BATCH = """
INSERT INTO deliveries (dedup_key, kind, channel, case_event_id, supporter_id)
SELECT 'update:' || $1::bigint || ':' || r.supporter_id || ':sms', 'update', 'sms', $1::bigint,
       r.supporter_id
FROM unnest($2::uuid[], $3::bytea[]) AS r(supporter_id, phone_key)
WHERE NOT EXISTS (SELECT 1 FROM sms_opt_outs o WHERE o.phone_key = r.phone_key)
ON CONFLICT DO NOTHING
RETURNING id
"""


async def insert_text_batch(
    conn: Connection, event_id: int, recipients: list[tuple[UUID, bytes]]
) -> list[UUID]:
    if not recipients:
        return []
    ids, keys = (list(column) for column in zip(*recipients, strict=True))
    return [row["id"] for row in await conn.fetch(INSERT_TEXT_BATCH, event_id, ids, keys)]


ADVANCE_MAILING = """
UPDATE update_mailings
SET reached = $2, emails = emails + $3, texts = texts + $4, touched_at = $5
WHERE id = $1
"""


async def advance_mailing(
    conn: Connection, mailing_id: int, reached: UUID, emails: int, texts: int, now: datetime
) -> None:
    await conn.execute(ADVANCE_MAILING, mailing_id, reached, emails, texts, now)


FINISH_MAILING = """
UPDATE update_mailings SET status = 'done', fanned_out_at = $2, touched_at = $2
WHERE id = $1 AND status = 'fanning_out'
"""


async def finish_mailing(conn: Connection, mailing_id: int, now: datetime) -> None:
    await conn.execute(FINISH_MAILING, mailing_id, now)


# Fan-outs that have shown no sign of life since `before`: their job was lost or died.
SELECT_STALLED_MAILINGS = """
SELECT id FROM update_mailings
WHERE status = 'fanning_out' AND touched_at < $1
ORDER BY touched_at
"""


async def list_stalled_mailings(conn: Connection, before: datetime) -> list[int]:
    return [row["id"] for row in await conn.fetch(SELECT_STALLED_MAILINGS, before)]


SELECT_MAILINGS = """
SELECT m.id, m.event_id, m.status, m.started_at, s.name AS started_by, m.emails, m.texts
FROM update_mailings m
JOIN case_events e ON e.id = m.event_id
LEFT JOIN staff s ON s.id = m.started_by
WHERE e.case_id = $1
"""


async def list_mailings(conn: Connection, case_id: int) -> list[UpdateMailing]:
    return [from_row(UpdateMailing, row) for row in await conn.fetch(SELECT_MAILINGS, case_id)]


SELECT_PROGRESS = """
SELECT d.case_event_id AS event_id, d.channel,
       count(*) FILTER (WHERE d.status IN ('scheduled', 'pending', 'sending', 'retry',
                                           'ambiguous')) AS waiting,
       count(*) FILTER (WHERE d.status IN ('sent', 'delivered')) AS sent,
       count(*) FILTER (WHERE d.status IN ('failed', 'bounced')) AS failed
FROM deliveries d
WHERE d.kind = 'update'
  AND d.case_event_id IN (SELECT id FROM case_events WHERE case_id = $1)
GROUP BY d.case_event_id, d.channel
"""


async def count_progress(conn: Connection, case_id: int) -> dict[tuple[int, str], ChannelProgress]:
    """Where each sent event stands, by (event, channel)."""
    return {
        (row["event_id"], row["channel"]): ChannelProgress(
            row["channel"], row["waiting"], row["sent"], row["failed"]
        )
        for row in await conn.fetch(SELECT_PROGRESS, case_id)
    }


SELECT_AUDIENCE_LANGUAGES = f"""
SELECT coalesce(lang.locale, p.locale) AS locale, count(*) AS recipients
FROM ({AUDIENCE}) x
JOIN supporters p ON p.id = x.supporter_id
LEFT JOIN LATERAL {reader_locale("x.supporter_id")} lang ON true
GROUP BY 1
ORDER BY count(*) DESC, 1
"""


async def count_audience_by_language(conn: Connection, case_id: int) -> dict[str, int]:
    """How many would receive the case's updates by email, by their language, most first."""
    rows = await conn.fetch(SELECT_AUDIENCE_LANGUAGES, case_id)
    return {row["locale"]: row["recipients"] for row in rows}


# What a message about each event says, in every language it is written in.
SELECT_EVENT_CONTENTS = """
SELECT e.id, e.kind, e.outcome, e.published, c.slug AS case_slug,
       c.default_locale AS case_locale,
       coalesce((SELECT jsonb_object_agg(locale, jsonb_build_array(title, body))
                 FROM case_event_translations WHERE event_id = e.id), '{}') AS texts,
       coalesce((SELECT jsonb_object_agg(locale, title)
                 FROM case_translations WHERE case_id = c.id), '{}') AS case_titles
FROM case_events e
JOIN cases c ON c.id = e.case_id
WHERE e.id = ANY($1::bigint[])
"""


async def list_event_contents(conn: Connection, event_ids: list[int]) -> dict[int, EventContent]:
    return {
        row["id"]: from_row(
            EventContent,
            row,
            kind=CaseEventKind(row["kind"]),
            outcome=Outcome(row["outcome"]) if row["outcome"] else None,
            texts={locale: (pair[0], pair[1]) for locale, pair in row["texts"].items()},
        )
        for row in await conn.fetch(SELECT_EVENT_CONTENTS, event_ids)
    }
