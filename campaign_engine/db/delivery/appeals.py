"""Appeals and digests: creating them, and reading what writing one needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from campaign_engine.db.delivery.pacing import waits_for_supporter
from campaign_engine.db.pool import Connection, from_row

# The appeals confirmed signatures of an action ($1) should have: one per target and channel
# the action writes to one by one, addressed to the target's first working address on that
# channel (or, lacking one, to its first: the appeal is then recorded as undeliverable, so every
# signature accounts for every target). An action with no channel settings writes per
# signature. Existing appeals are left alone.
_APPEALS = """
INSERT INTO deliveries
    (dedup_key, kind, channel, signature_id, target_id, action_id, contact_id, status)
SELECT 'appeal:' || s.id || ':' || at.target_id || ':' || at.channel,
       'appeal', at.channel, s.id, at.target_id, at.action_id, contact.id, 'scheduled'
FROM signatures s
JOIN action_targets at ON at.action_id = s.action_id
LEFT JOIN action_channels ac ON ac.action_id = at.action_id AND ac.channel = at.channel
JOIN LATERAL (
    SELECT id FROM target_contacts
    WHERE target_id = at.target_id AND channel = at.channel
    ORDER BY status = 'ok' DESC, id
    LIMIT 1
) contact ON true
WHERE s.action_id = $1 AND s.status = 'confirmed'
  AND coalesce(ac.mode, 'per_signature') = 'per_signature'
"""

INSERT_APPEALS = f"""
{_APPEALS} AND s.id = $2
ON CONFLICT DO NOTHING
RETURNING target_id, channel
"""


async def insert_appeals(
    conn: Connection, signature_id: UUID, action_id: int
) -> list[tuple[int, str]]:
    """The appeals of one confirmed signature; returns the (target, channel) pairs made."""
    rows = await conn.fetch(INSERT_APPEALS, action_id, signature_id)
    return [(row["target_id"], row["channel"]) for row in rows]


# For a target added after people signed, or signatures made in bulk.
INSERT_MISSING_APPEALS = f"""
{_APPEALS}
ON CONFLICT DO NOTHING
"""


async def insert_missing_appeals(conn: Connection, action_id: int) -> int:
    """Every appeal the action's confirmed signatures lack; returns how many were made."""
    result = await conn.execute(INSERT_MISSING_APPEALS, action_id)
    return int(result.split()[-1])


@dataclass(frozen=True)
class AppealTarget:
    """Who an appeal goes to, and how they like to be written to."""

    target_id: int
    name: str
    title: str
    organisation: str
    preferred_locale: str
    salutations: dict[str, str]
    office_hours: dict[str, Any] | None
    time_zone: str
    address: str
    address_status: str
    action_id: int
    action_slug: str
    action_code: str
    default_locale: str
    reply_to: str
    case_id: int


SELECT_APPEAL_TARGET = """
SELECT t.id AS target_id, t.name, t.title, t.organisation, t.preferred_locale, t.salutations,
       t.office_hours, t.time_zone, c.address, c.status AS address_status,
       a.id AS action_id, a.slug AS action_slug, a.code AS action_code, a.default_locale,
       a.reply_to, a.case_id
FROM deliveries d
JOIN targets t ON t.id = d.target_id
JOIN target_contacts c ON c.id = d.contact_id
JOIN actions a ON a.id = d.action_id
WHERE d.id = $1
"""


async def get_appeal_target(conn: Connection, delivery_id: UUID) -> AppealTarget | None:
    row = await conn.fetchrow(SELECT_APPEAL_TARGET, delivery_id)
    return None if row is None else from_row(AppealTarget, row)


@dataclass(frozen=True)
class LetterText:
    locale: str
    subject: str
    body: str


# The model letter in the first of `locales` that has a published translation.
SELECT_LETTER = """
SELECT locale, letter_subject AS subject, letter_body AS body
FROM action_translations
WHERE action_id = $1 AND published AND locale = ANY($2::text[])
ORDER BY array_position($2::text[], locale)
LIMIT 1
"""


async def get_letter(conn: Connection, action_id: int, locales: list[str]) -> LetterText | None:
    row = await conn.fetchrow(SELECT_LETTER, action_id, locales)
    return None if row is None else from_row(LetterText, row)


# One digest per target and channel for each action writing in digests, for the last complete
# period (periods are aligned on multiples of their length since 1970, in UTC), when anyone
# signed in it. A second run in the same period makes nothing new.
INSERT_DUE_DIGESTS = """
INSERT INTO deliveries
    (dedup_key, kind, channel, target_id, action_id, contact_id, period_start, status)
SELECT 'digest:' || ac.action_id || ':' || at.target_id || ':' || ac.channel || ':'
           || extract(epoch FROM period.start)::bigint,
       'digest', ac.channel, at.target_id, ac.action_id, contact.id, period.start, 'scheduled'
FROM action_channels ac
JOIN actions a ON a.id = ac.action_id AND a.status IN ('open', 'closed')
CROSS JOIN LATERAL (
    SELECT to_timestamp(
               floor(extract(epoch FROM $1::timestamptz) / extract(epoch FROM ac.digest_every))
               * extract(epoch FROM ac.digest_every)
           ) - ac.digest_every AS start
) period
JOIN action_targets at ON at.action_id = ac.action_id AND at.channel = ac.channel
JOIN LATERAL (
    SELECT id FROM target_contacts
    WHERE target_id = at.target_id AND channel = at.channel
    ORDER BY status = 'ok' DESC, id
    LIMIT 1
) contact ON true
WHERE ac.mode = 'digest'
  AND EXISTS (SELECT 1 FROM signatures s
              WHERE s.action_id = ac.action_id AND s.status = 'confirmed'
                AND s.confirmed_at >= period.start
                AND s.confirmed_at < period.start + ac.digest_every)
ON CONFLICT DO NOTHING
RETURNING target_id, channel
"""


async def insert_due_digests(conn: Connection, now: datetime) -> list[tuple[int, str]]:
    """The (target, channel) pairs that got a digest."""
    return [(row["target_id"], row["channel"]) for row in await conn.fetch(INSERT_DUE_DIGESTS, now)]


@dataclass(frozen=True)
class DigestPeriod:
    start: datetime
    end: datetime
    csv: bool


SELECT_DIGEST_PERIOD = """
SELECT d.period_start AS start, d.period_start + ac.digest_every AS end,
       ac.digest_format = 'csv' AS csv
FROM deliveries d
JOIN action_channels ac ON ac.action_id = d.action_id AND ac.channel = d.channel
WHERE d.id = $1
"""


async def get_digest_period(conn: Connection, delivery_id: UUID) -> DigestPeriod | None:
    row = await conn.fetchrow(SELECT_DIGEST_PERIOD, delivery_id)
    return None if row is None else from_row(DigestPeriod, row)


# --- Versions of the letter (formats/versions.py) -----------------------------------------

# What choosing an appeal's versions needs to know of its official's other appeals on the same
# action and channel: the combination of the last one written to go alone (so the next can
# take another), and, since the start of the day ($2), how many written to go alone without a
# personal message carried each combination. Read through deliveries_released.
_OTHERS = """
FROM deliveries p
WHERE p.target_id = d.target_id AND p.channel = d.channel AND p.action_id = d.action_id
  AND p.kind = 'appeal' AND p.id <> d.id AND p.variant IS NOT NULL AND p.status <> 'folded'
  AND p.released_at IS NOT NULL
"""
SELECT_RECENT_VERSIONS = f"""
SELECT d.id AS delivery_id,
       (SELECT p.variant {_OTHERS} ORDER BY p.released_at DESC LIMIT 1) AS previous,
       (SELECT coalesce(jsonb_object_agg(same.variant, same.n), '{{}}')
        FROM (SELECT p.variant, count(*) AS n {_OTHERS}
                AND p.released_at >= $2 AND NOT p.personal
              GROUP BY p.variant) same) AS today
FROM deliveries d
WHERE d.id = ANY($1::uuid[])
"""


@dataclass(frozen=True)
class RecentVersions:
    previous: int | None  # the combination of the official's last appeal, if any
    today: dict[int, int]  # combination -> appeals without a personal message, since $2


async def list_recent_versions(
    conn: Connection, delivery_ids: list[UUID], day_start: datetime
) -> dict[UUID, RecentVersions]:
    rows = await conn.fetch(SELECT_RECENT_VERSIONS, delivery_ids, day_start)
    return {
        row["delivery_id"]: RecentVersions(
            row["previous"], {int(key): int(n) for key, n in row["today"].items()}
        )
        for row in rows
    }


# Fenced by the attempt, like every record of a claimed row (db/delivery/deliveries.py).
RECORD_VARIANTS = """
UPDATE deliveries d SET variant = chosen.variant, personal = chosen.personal
FROM unnest($1::uuid[], $2::int[], $3::int[], $4::bool[])
     AS chosen(id, attempt, variant, personal)
WHERE d.id = chosen.id AND d.status = 'sending' AND d.attempts = chosen.attempt
"""


async def record_variants(conn: Connection, chosen: list[tuple[UUID, int, int, bool]]) -> None:
    """(delivery, attempt, combination, with a personal message) of appeals about to be
    written."""
    if chosen:
        await conn.execute(RECORD_VARIANTS, *map(list, zip(*chosen, strict=True)))


FOLD_APPEALS = """
UPDATE deliveries d
SET status = 'folded', variant = folded.variant, personal = false, period_start = $4,
    lease_until = NULL,
    leased_by = NULL, last_error = NULL
FROM unnest($1::uuid[], $2::int[], $3::int[]) AS folded(id, attempt, variant)
WHERE d.id = folded.id AND d.status = 'sending' AND d.attempts = folded.attempt
RETURNING d.id
"""


async def fold_appeals(
    conn: Connection, folded: list[tuple[UUID, int, int]], day_start: datetime
) -> set[UUID]:
    """Hold (delivery, attempt, combination) appeals for the day's message of repeats;
    returns those recorded (a row another worker took meanwhile is left to it)."""
    if not folded:
        return set()
    rows = await conn.fetch(FOLD_APPEALS, *map(list, zip(*folded, strict=True)), day_start)
    return {row["id"] for row in rows}


# One message per official, action, channel and UTC day that had folded appeals, once the day
# is over, unless the action no longer writes to them. Days more than a week back were seen to
# long ago (and keep the scan short).
INSERT_DUE_REPEATS = """
INSERT INTO deliveries
    (dedup_key, kind, channel, target_id, action_id, contact_id, period_start, status)
SELECT DISTINCT ON (f.action_id, f.target_id, f.channel, f.period_start)
       'repeats:' || f.action_id || ':' || f.target_id || ':' || f.channel || ':'
           || extract(epoch FROM f.period_start)::bigint,
       'repeats', f.channel, f.target_id, f.action_id, f.contact_id, f.period_start, 'scheduled'
FROM deliveries f
JOIN actions a ON a.id = f.action_id AND a.status IN ('open', 'closed')
WHERE f.status = 'folded'
  AND f.period_start < $1 AND f.period_start >= $1 - interval '8 days'
  AND EXISTS (SELECT 1 FROM action_targets at  -- still an official the action writes to
              WHERE at.action_id = f.action_id AND at.target_id = f.target_id
                AND at.channel = f.channel)
ORDER BY f.action_id, f.target_id, f.channel, f.period_start, f.created_at DESC
ON CONFLICT DO NOTHING
RETURNING target_id, channel
"""


async def insert_due_repeats(conn: Connection, today: datetime) -> list[tuple[int, str]]:
    """The (target, channel) pairs that got the message of a day before `today` (its start)."""
    return [
        (row["target_id"], row["channel"]) for row in await conn.fetch(INSERT_DUE_REPEATS, today)
    ]


@dataclass(frozen=True)
class RepeatsDay:
    action_id: int
    target_id: int
    channel: str
    start: datetime


SELECT_REPEATS_DAY = """
SELECT action_id, target_id, channel, period_start AS start
FROM deliveries WHERE id = $1 AND kind = 'repeats'
"""


async def get_repeats_day(conn: Connection, delivery_id: UUID) -> RepeatsDay | None:
    row = await conn.fetchrow(SELECT_REPEATS_DAY, delivery_id)
    return None if row is None else from_row(RepeatsDay, row)


# --- Sent from the supporter's own mailbox (docs/letters.md) -------------------------------

# A signature's appeals by email on the action ($2), when it offers the supporter's own
# mailbox, while the relay still holds them for it (db/delivery/pacing.waits_for_supporter),
# or once the supporter sent them: the ones a mailto link may carry.
SELECT_OWN_MAILBOX_APPEALS = f"""
SELECT d.id
FROM deliveries d
JOIN actions a ON a.id = d.action_id
WHERE d.signature_id = $1 AND d.action_id = $2 AND d.kind = 'appeal' AND d.channel = 'email'
  AND ((d.status = 'scheduled' AND {waits_for_supporter("$3::timestamptz")}) OR d.by_supporter)
ORDER BY d.created_at, d.id
"""


async def list_own_mailbox_appeals(
    conn: Connection, signature_id: UUID, action_id: int, now: datetime
) -> list[UUID]:
    rows = await conn.fetch(SELECT_OWN_MAILBOX_APPEALS, signature_id, action_id, now)
    return [row["id"] for row in rows]


# The supporter sent it themselves (their BCC reached us): not sent again by the relay (one
# that may have gone, 'ambiguous', is not tried again either). One the relay has sent, or is
# sending, stays as it was, marked theirs too. One withdrawn, folded or failed is left alone.
MARK_SENT_BY_SUPPORTER = """
UPDATE deliveries d
SET by_supporter = true,
    status = CASE WHEN d.status IN ('scheduled', 'pending', 'retry', 'ambiguous') THEN 'sent'
                  ELSE d.status END,
    sent_at = coalesce(d.sent_at, $2)
FROM actions a
WHERE d.id = $1 AND a.id = d.action_id AND a.own_mailbox AND d.kind = 'appeal'
  AND d.channel = 'email' AND NOT d.by_supporter
  AND d.status NOT IN ('cancelled', 'folded', 'failed', 'bounced')
RETURNING d.id
"""


async def mark_sent_by_supporter(conn: Connection, delivery_id: UUID, at: datetime) -> bool:
    """False: no such appeal by email, or marked already (a BCC that arrived twice)."""
    return await conn.fetchval(MARK_SENT_BY_SUPPORTER, delivery_id, at) is not None
