"""Followers of a case: who asked for its news without signing, and whether they said yes
(domain/campaigns/following.py). No personal column: the address stays in `supporters`."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from campaign_engine.db.pool import Connection
from campaign_engine.models.delivery import DeliveryKind

# A request to follow. A pending or departed follower's request starts again as pending; an
# active follower's row is left as it is.
REQUEST_FOLLOW = """
INSERT INTO case_followers (case_id, supporter_id, status, locale, consent_text_id, asked_at)
VALUES ($1, $2, 'pending', $3, $4, $5)
ON CONFLICT (case_id, supporter_id) DO UPDATE
    SET status = 'pending', locale = EXCLUDED.locale,
        consent_text_id = EXCLUDED.consent_text_id, asked_at = EXCLUDED.asked_at, left_at = NULL
    WHERE case_followers.status <> 'active'
RETURNING status
"""


async def request_follow(
    conn: Connection, case_id: int, supporter_id: UUID, locale: str, text_id: int, now: datetime
) -> bool:
    """False when they follow the case already (nothing changed)."""
    return (
        await conn.fetchval(REQUEST_FOLLOW, case_id, supporter_id, locale, text_id, now) is not None
    )


COUNT_RECENT_FOLLOW_EMAILS = f"""
SELECT count(*) FROM deliveries
WHERE kind = '{DeliveryKind.FOLLOW_CASE}' AND supporter_id = $1
  AND created_at > now() - $2::interval
"""


async def count_recent_follow_emails(
    conn: Connection, supporter_id: UUID, window: timedelta
) -> int:
    count: int = await conn.fetchval(COUNT_RECENT_FOLLOW_EMAILS, supporter_id, window)
    return count


INSERT_FOLLOW_EMAIL = f"""
INSERT INTO deliveries (dedup_key, kind, channel, supporter_id, case_id)
VALUES ('{DeliveryKind.FOLLOW_CASE}:' || $1::bigint || ':' || $2::uuid || ':' || $3::text,
        '{DeliveryKind.FOLLOW_CASE}', 'email', $2, $1)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""


async def insert_follow_email(
    conn: Connection, case_id: int, supporter_id: UUID, asked_at: datetime
) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        INSERT_FOLLOW_EMAIL, case_id, supporter_id, asked_at.isoformat()
    )
    return found


SELECT_FOLLOW_STATUS = """
SELECT status FROM case_followers WHERE case_id = $1 AND supporter_id = $2
"""


async def get_follow_status(conn: Connection, case_id: int, supporter_id: UUID) -> str | None:
    status: str | None = await conn.fetchval(SELECT_FOLLOW_STATUS, case_id, supporter_id)
    return status


ACTIVATE_FOLLOW = """
UPDATE case_followers SET status = 'active', joined_at = $3
WHERE case_id = $1 AND supporter_id = $2 AND status = 'pending'
RETURNING consent_text_id
"""


async def activate_follow(
    conn: Connection, case_id: int, supporter_id: UUID, now: datetime
) -> int | None:
    """The wording they agreed to; None when they were not pending (a second press)."""
    text_id: int | None = await conn.fetchval(ACTIVATE_FOLLOW, case_id, supporter_id, now)
    return text_id


STOP_FOLLOWING = """
WITH before AS (
    SELECT status FROM case_followers
    WHERE case_id = $1 AND supporter_id = $2 AND status <> 'left'
    FOR UPDATE
)
UPDATE case_followers f SET status = 'left', left_at = $3
FROM before WHERE f.case_id = $1 AND f.supporter_id = $2
RETURNING before.status = 'active' AS was_active, f.consent_text_id
"""


async def stop_following(
    conn: Connection, case_id: int, supporter_id: UUID, now: datetime
) -> tuple[bool, int] | None:
    """(whether they were following, their wording); None if there was nothing to stop."""
    row = await conn.fetchrow(STOP_FOLLOWING, case_id, supporter_id, now)
    return None if row is None else (row["was_active"], row["consent_text_id"])


SELECT_FOLLOWED_CASES = """
SELECT c.slug, f.status, f.locale, f.asked_at, f.joined_at, f.left_at
FROM case_followers f JOIN cases c ON c.id = f.case_id
WHERE f.supporter_id = $1
ORDER BY f.asked_at
"""


async def list_followed_cases(conn: Connection, supporter_id: UUID) -> list[dict[str, object]]:
    """What a supporter follows, for their own export."""
    return [dict(row) for row in await conn.fetch(SELECT_FOLLOWED_CASES, supporter_id)]
