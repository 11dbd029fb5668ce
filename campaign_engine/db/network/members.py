"""Members of the Urgent Action Network and their preferences. No personal column: the
address a member is reached at stays in `supporters` (db/personal/)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from campaign_engine.db.pool import Connection
from campaign_engine.models.delivery import DeliveryKind
from campaign_engine.models.network import (
    Frequency,
    Membership,
    MemberStatus,
    Preferences,
    TextsStatus,
)

# A request to join. A pending or departed member's request takes the newer preferences and
# wording, and starts again as pending; an active member's row is left as it is (their
# preferences change only through their own link). A departed member's leaving stays on the
# record until they say yes again (the network's months count it).
REQUEST_MEMBERSHIP = """
INSERT INTO members (supporter_id, status, locale, languages, countries, themes, frequency,
                     weekly_cap, regions, consent_text_id, asked_at)
VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (supporter_id) DO UPDATE
    SET status = 'pending', locale = EXCLUDED.locale, languages = EXCLUDED.languages,
        countries = EXCLUDED.countries, themes = EXCLUDED.themes, regions = EXCLUDED.regions,
        frequency = EXCLUDED.frequency, weekly_cap = EXCLUDED.weekly_cap,
        consent_text_id = EXCLUDED.consent_text_id, asked_at = EXCLUDED.asked_at
    WHERE members.status <> 'active'
"""


async def request_membership(
    conn: Connection,
    supporter_id: UUID,
    locale: str,
    preferences: Preferences,
    consent_text_id: int,
    now: datetime,
) -> None:
    await conn.execute(
        REQUEST_MEMBERSHIP,
        supporter_id,
        locale,
        *_preference_columns(preferences),
        consent_text_id,
        now,
    )


# (The consent is found through its supporter's index: this runs with every confirmation.)
# A signer who ticked the network's box on the signing form joins when their signature is
# confirmed: the confirmation proved the address, so no second email, and the consent given
# with the signature counts from then on. A new member reads the language they signed in and
# hears of every alert; a pending or departed one keeps the choices they had made; an active
# one changes nothing.
JOIN_ON_CONFIRMATION = """
INSERT INTO members (supporter_id, status, locale, languages, consent_text_id, asked_at,
                     joined_at)
SELECT s.supporter_id, 'active', s.locale, ARRAY[s.locale], r.consent_text_id, s.created_at,
       now()
FROM signatures s
JOIN consent_records r ON r.supporter_id = s.supporter_id AND r.signature_id = s.id
    AND r.scope = 'network' AND r.granted
WHERE s.id = $1 AND s.supporter_id IS NOT NULL
ON CONFLICT (supporter_id) DO UPDATE
    SET status = 'active', joined_at = now(), left_at = NULL,
        consent_text_id = EXCLUDED.consent_text_id
    WHERE members.status <> 'active'
"""


async def join_on_confirmation(conn: Connection, signature_id: UUID) -> None:
    await conn.execute(JOIN_ON_CONFIRMATION, signature_id)


SELECT_MEMBERSHIP = """
SELECT status, locale, languages, countries, themes, frequency, weekly_cap, regions, asked_at,
       joined_at, texts
FROM members WHERE supporter_id = $1
"""


async def get_membership(conn: Connection, supporter_id: UUID) -> Membership | None:
    row = await conn.fetchrow(SELECT_MEMBERSHIP, supporter_id)
    return None if row is None else _membership(row)


# Saying yes through the link: the consent is recorded in the same transaction
# (domain/network/membership.py), with the wording kept since the request.
ACTIVATE_MEMBER = """
UPDATE members SET status = 'active', joined_at = $2, left_at = NULL
WHERE supporter_id = $1 AND status = 'pending'
RETURNING consent_text_id
"""


async def activate_member(conn: Connection, supporter_id: UUID, now: datetime) -> int | None:
    """The wording they agreed to, or None when they were not pending (a second click)."""
    text_id: int | None = await conn.fetchval(ACTIVATE_MEMBER, supporter_id, now)
    return text_id


UPDATE_PREFERENCES = """
UPDATE members
SET languages = $2, countries = $3, themes = $4, frequency = $5, weekly_cap = $6, regions = $7
WHERE supporter_id = $1 AND status <> 'left'
"""


async def update_preferences(
    conn: Connection, supporter_id: UUID, preferences: Preferences
) -> bool:
    """False when there is no member to change (never joined, or left)."""
    done = await conn.execute(UPDATE_PREFERENCES, supporter_id, *_preference_columns(preferences))
    return done != "UPDATE 0"


LEAVE_NETWORK = """
WITH before AS (
    SELECT status FROM members WHERE supporter_id = $1 AND status <> 'left' FOR UPDATE
)
UPDATE members m SET status = 'left', left_at = $2
FROM before WHERE m.supporter_id = $1
RETURNING before.status = 'active' AS was_active, m.consent_text_id
"""


async def leave_network(
    conn: Connection, supporter_id: UUID, now: datetime
) -> tuple[bool, int] | None:
    """(whether they were an active member, their wording), or None if there was no one to
    take out (never joined, or left already)."""
    row = await conn.fetchrow(LEAVE_NETWORK, supporter_id, now)
    return None if row is None else (row["was_active"], row["consent_text_id"])


COUNT_RECENT_JOIN_EMAILS = """
SELECT count(*) FROM deliveries
WHERE kind = 'network_join' AND supporter_id = $1 AND created_at > now() - $2::interval
"""


async def count_recent_join_emails(conn: Connection, supporter_id: UUID, window: timedelta) -> int:
    count: int = await conn.fetchval(COUNT_RECENT_JOIN_EMAILS, supporter_id, window)
    return count


INSERT_JOIN_EMAIL = f"""
INSERT INTO deliveries (dedup_key, kind, channel, supporter_id)
VALUES ('network_join:' || $1::uuid::text || ':' || $2::text, '{DeliveryKind.NETWORK_JOIN}',
        'email', $1)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""


async def insert_join_email(
    conn: Connection, supporter_id: UUID, asked_at: datetime
) -> UUID | None:
    """The joining email for the request made at `asked_at`, or None if it exists already."""
    key = asked_at.isoformat()
    delivery_id: UUID | None = await conn.fetchval(INSERT_JOIN_EMAIL, supporter_id, key)
    return delivery_id


def _preference_columns(
    preferences: Preferences,
) -> tuple[list[str], list[str], list[str], str, int | None, list[str]]:
    return (
        list(preferences.languages),
        list(preferences.countries),
        list(preferences.themes),
        preferences.frequency.value,
        preferences.weekly_cap,
        list(preferences.regions),
    )


def _membership(row: asyncpg.Record) -> Membership:
    return Membership(
        status=MemberStatus(row["status"]),
        locale=row["locale"],
        preferences=Preferences(
            languages=tuple(row["languages"]),
            countries=tuple(row["countries"]),
            themes=tuple(row["themes"]),
            frequency=Frequency(row["frequency"]),
            weekly_cap=row["weekly_cap"],
            regions=tuple(row["regions"]),
        ),
        asked_at=row["asked_at"],
        joined_at=row["joined_at"],
        texts=TextsStatus(row["texts"]),
    )


COUNT_MEMBERS = """
SELECT count(*) FILTER (WHERE status = 'active') AS active,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'left') AS left,
       count(*) FILTER (WHERE status = 'active' AND joined_at > $1) AS joined_since
FROM members
"""


async def count_members(conn: Connection, since: datetime) -> tuple[int, int, int, int]:
    """(active, pending, left, joined since `since` and still active)."""
    row = await conn.fetchrow(COUNT_MEMBERS, since)
    assert row is not None
    return row["active"], row["pending"], row["left"], row["joined_since"]


# Active members tallied by one of their choices: `$1` names it. A list left empty ("all of
# them") is tallied under ''.
TALLY_ACTIVE = {
    "first_language": "SELECT languages[1] AS key, count(*) AS members FROM members"
    " WHERE status = 'active' GROUP BY 1 ORDER BY 2 DESC, 1",
    "frequency": "SELECT frequency AS key, count(*) AS members FROM members"
    " WHERE status = 'active' GROUP BY 1 ORDER BY 2 DESC, 1",
    "country": "SELECT coalesce(c, '') AS key, count(*) AS members FROM members"
    " LEFT JOIN LATERAL unnest(nullif(countries, '{}')) c ON true"
    " WHERE status = 'active' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
    "region": "SELECT coalesce(r, '') AS key, count(*) AS members FROM members"
    " LEFT JOIN LATERAL unnest(nullif(regions, '{}')) r ON true"
    " WHERE status = 'active' GROUP BY 1 ORDER BY 2 DESC, 1",
    "theme": "SELECT coalesce(t, '') AS key, count(*) AS members FROM members"
    " LEFT JOIN LATERAL unnest(nullif(themes, '{}')) t ON true"
    " WHERE status = 'active' GROUP BY 1 ORDER BY 2 DESC, 1",
    # Every member is alerted by email; some by text too, once their number said YES.
    "channel": "SELECT 'email' AS key, count(*) AS members FROM members WHERE status = 'active'"
    " UNION ALL SELECT 'sms', count(*) FROM members WHERE status = 'active' AND texts = 'active'",
}


async def tally_active(conn: Connection, by: str) -> tuple[tuple[str, int], ...]:
    """Active members by `by` (a key of TALLY_ACTIVE), largest first."""
    return tuple((row["key"], row["members"]) for row in await conn.fetch(TALLY_ACTIVE[by]))
