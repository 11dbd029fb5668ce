"""Urgent actions as the public site, the API and the workspace read them."""

from __future__ import annotations

from collections.abc import Sequence

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.db.signing.abuse import CONCENTRATED
from campaign_engine.models.campaigns import (
    ActionCard,
    ActionCount,
    ActionPage,
    ActionRef,
    ActionStatus,
    FeedEntry,
    WorkspaceAction,
)

# An action's confirmed signatures: the sum of its count shards (see add_confirmed).
CONFIRMED = "(SELECT coalesce(sum(confirmed), 0)::bigint FROM action_counts WHERE action_id = a.id)"

# Statuses the public can see: a draft or a scheduled action does not exist yet for them.
PUBLIC_STATUSES = ("open", "closed", "archived", "removed")

# An open action whose deadline has passed is closed, even before the cron that records it
# (workers/schedules.py) has run: nobody signs after the deadline.
STATUS = "CASE WHEN a.status = 'open' AND a.deadline <= now() THEN 'closed' ELSE a.status END"

# The form asks for a proof of work when the action says so, or (by default) while a wave
# trends on it: an alert seen within the hour whose kind made up a good share of the hour
# (db/signing/abuse.py, CONCENTRATED). A surge of many people trends too, but asks nothing.
PROOF_OF_WORK = f"""(a.proof_of_work = 'on' OR (a.proof_of_work = 'auto' AND EXISTS (
    SELECT 1 FROM abuse_alerts l WHERE l.action_id = a.id
    AND l.last_seen > now() - interval '1 hour' AND l.share >= {CONCENTRATED})))"""

SELECT_ACTION_REFS = f"""
SELECT a.id, a.slug, {STATUS} AS status, a.default_locale, {PROOF_OF_WORK} AS proof_of_work
FROM actions a
WHERE a.slug = ANY($1::text[]) AND a.status = ANY($2::text[])
"""


async def get_public_action_ref(conn: Connection, slug: str) -> ActionRef | None:
    return (await get_public_action_refs(conn, [slug])).get(slug)


async def get_public_action_refs(conn: Connection, slugs: Sequence[str]) -> dict[str, ActionRef]:
    """The public actions among `slugs`, by slug (a batch of signatures reads them at once)."""
    rows = await conn.fetch(SELECT_ACTION_REFS, list(slugs), PUBLIC_STATUSES)
    return {
        row["slug"]: ActionRef(
            row["id"],
            row["slug"],
            ActionStatus(row["status"]),
            row["default_locale"],
            row["proof_of_work"],
        )
        for row in rows
    }


def action_page_sql(*, public: bool, where: str) -> str:
    """An action's page, in the language $2 when it has one, else in the action's own. The
    public page reads published languages only, sees a passed deadline as closed, and may ask
    for a proof of work; a preview (db/campaigns/action_editing.py) reads whatever is written,
    in the status the action has, and its form (which cannot be sent) never asks."""
    published = "AND published" if public else ""
    status = STATUS if public else "a.status"
    proof_of_work = PROOF_OF_WORK if public else "false"
    return f"""
SELECT a.id, a.slug, a.code, {status} AS status, a.deadline, a.goal, a.default_locale,
       ARRAY(SELECT locale FROM action_translations
             WHERE action_id = a.id AND published ORDER BY locale) AS published_locales,
       {CONFIRMED} AS confirmed,
       t.locale, t.title, t.summary, t.body, t.letter_subject, t.letter_body, t.share_text,
       c.slug AS case_slug, ct.locale AS case_locale, ct.title AS case_title,
       ct.person AS case_person, ct.summary AS case_summary, {proof_of_work} AS proof_of_work,
       a.asks_solidarity
FROM actions a
JOIN cases c ON c.id = a.case_id
JOIN LATERAL (
    SELECT * FROM action_translations
    WHERE action_id = a.id {published} AND locale IN ($2, a.default_locale)
    ORDER BY locale = $2 DESC
    LIMIT 1
) t ON true
JOIN LATERAL (
    SELECT * FROM case_translations
    WHERE case_id = c.id AND locale IN ($2, a.default_locale, c.default_locale)
    ORDER BY locale = $2 DESC, locale = a.default_locale DESC
    LIMIT 1
) ct ON true
WHERE {where}
"""


SELECT_ACTION_PAGE = action_page_sql(
    public=True, where="a.slug = $1 AND a.status = ANY($3::text[])"
)


async def get_action_page(conn: Connection, slug: str, locale: str) -> ActionPage | None:
    row = await conn.fetchrow(SELECT_ACTION_PAGE, slug, locale, PUBLIC_STATUSES)
    if row is None:
        return None
    return from_row(
        ActionPage,
        row,
        status=ActionStatus(row["status"]),
        published_locales=tuple(row["published_locales"]),
    )


# The index of a language lists the open actions published in that language.
SELECT_OPEN_ACTION_CARDS = f"""
SELECT a.slug, a.code, a.status, a.deadline, a.goal, t.locale, t.title, t.summary,
       {CONFIRMED} AS confirmed
FROM actions a
JOIN action_translations t ON t.action_id = a.id AND t.locale = $1 AND t.published
WHERE a.status = 'open' AND (a.deadline IS NULL OR a.deadline > now())
ORDER BY a.deadline ASC NULLS LAST, a.id DESC
"""


async def list_open_action_cards(conn: Connection, locale: str) -> list[ActionCard]:
    return [
        from_row(ActionCard, row, status=ActionStatus(row["status"]))
        for row in await conn.fetch(SELECT_OPEN_ACTION_CARDS, locale)
    ]


# The feed of a language: its open actions, the latest changed first (a feed reader shows the
# newest on top), at most FEED_ENTRIES of them.
SELECT_FEED_ENTRIES = """
SELECT a.slug, a.code, a.deadline, t.title, t.summary,
       greatest(a.updated_at, t.updated_at) AS updated_at
FROM actions a
JOIN action_translations t ON t.action_id = a.id AND t.locale = $1 AND t.published
WHERE a.status = 'open' AND (a.deadline IS NULL OR a.deadline > now())
ORDER BY updated_at DESC, a.id DESC
LIMIT $2
"""


async def list_feed_entries(conn: Connection, locale: str, most: int) -> list[FeedEntry]:
    return [from_row(FeedEntry, row) for row in await conn.fetch(SELECT_FEED_ENTRIES, locale, most)]


SELECT_COUNT = f"""
SELECT {STATUS} AS status, a.goal,
       {CONFIRMED} AS confirmed
FROM actions a
WHERE a.slug = $1 AND a.status = ANY($2::text[])
"""


async def get_count(conn: Connection, slug: str) -> ActionCount | None:
    row = await conn.fetchrow(SELECT_COUNT, slug, PUBLIC_STATUSES)
    if row is None:
        return None
    return ActionCount(ActionStatus(row["status"]), int(row["confirmed"]), int(row["goal"]))


# Sixteen shards spread a surge of confirmations over sixteen rows.
COUNT_SHARDS = 16

ADD_CONFIRMED = """
INSERT INTO action_counts (action_id, shard, confirmed) VALUES ($1, $2, 1)
ON CONFLICT (action_id, shard) DO UPDATE SET confirmed = action_counts.confirmed + 1
"""


async def add_confirmed(conn: Connection, action_id: int, shard: int) -> None:
    await conn.execute(ADD_CONFIRMED, action_id, shard % COUNT_SHARDS)


# Every shard row made first, so the lock below holds them all: a confirmation that would
# make one instead waits here until it is in, and then its signature is in the recount.
MAKE_COUNT_SHARDS = """
INSERT INTO action_counts (action_id, shard) SELECT $1, generate_series(0, $2 - 1)
ON CONFLICT (action_id, shard) DO NOTHING
"""


async def make_count_shards(conn: Connection, action_id: int) -> None:
    await conn.execute(MAKE_COUNT_SHARDS, action_id, COUNT_SHARDS)


# Held until the recount commits: a confirmation meanwhile waits to add its one, and adds it
# to the fresh count (its signature, not yet committed, was not counted).
LOCK_COUNTS = "SELECT shard FROM action_counts WHERE action_id = $1 FOR UPDATE"


async def lock_counts(conn: Connection, action_id: int) -> None:
    """Lock the action's count shards (all made by make_count_shards), for a recount."""
    await conn.execute(LOCK_COUNTS, action_id)


# The exact count, from the signatures themselves, into shard 0; every other shard to 0.
RECOUNT_CONFIRMED = """
INSERT INTO action_counts (action_id, shard, confirmed)
SELECT $1, shard, CASE WHEN shard = 0 THEN (
    SELECT count(*) FROM signatures WHERE action_id = $1 AND status = 'confirmed'
) ELSE 0 END
FROM generate_series(0, $2 - 1) AS shard
ON CONFLICT (action_id, shard) DO UPDATE SET confirmed = excluded.confirmed
RETURNING confirmed
"""


async def recount_confirmed(conn: Connection, action_id: int) -> int:
    """Count an action's confirmed signatures again, and return it; call after lock_counts."""
    rows = await conn.fetch(RECOUNT_CONFIRMED, action_id, COUNT_SHARDS)
    return sum(row["confirmed"] for row in rows)


SELECT_DELIVERY_PAUSED = "SELECT delivery_paused FROM actions WHERE slug = $1"


async def get_delivery_state(conn: Connection, slug: str) -> bool | None:
    """Whether the action's deliveries are paused; None if there is no such action."""
    paused: bool | None = await conn.fetchval(SELECT_DELIVERY_PAUSED, slug)
    return paused


# Pausing holds everything not yet handed over: released appeals go back to waiting for their
# pacer, so resuming starts from an even pace instead of a burst.
PAUSE_DELIVERIES = """
WITH paused AS (
    UPDATE actions SET delivery_paused = true, updated_at = now() WHERE slug = $1 RETURNING id
)
UPDATE deliveries d
SET status = 'scheduled', released_at = NULL
FROM paused
WHERE d.action_id = paused.id AND d.kind IN ('appeal', 'digest')
  AND d.status IN ('pending', 'retry', 'ambiguous')
"""


async def pause_deliveries(conn: Connection, slug: str) -> None:
    await conn.execute(PAUSE_DELIVERIES, slug)


RESUME_DELIVERIES = """
UPDATE actions SET delivery_paused = false, updated_at = now() WHERE slug = $1 RETURNING id
"""


async def resume_deliveries(conn: Connection, slug: str) -> int | None:
    """The action's id, or None if there is no such action."""
    action_id: int | None = await conn.fetchval(RESUME_DELIVERIES, slug)
    return action_id


SELECT_WORKSPACE_ACTIONS = f"""
SELECT a.slug, a.code, a.status, a.deadline, a.goal, a.delivery_paused, t.locale, t.title,
       {CONFIRMED} AS confirmed,
       (SELECT count(*) FROM signatures s
        WHERE s.action_id = a.id AND s.status = 'pending') AS pending
FROM actions a
JOIN LATERAL (
    SELECT locale, title FROM action_translations
    WHERE action_id = a.id AND locale IN ($1, a.default_locale)
    ORDER BY locale = $1 DESC
    LIMIT 1
) t ON true
WHERE $2::text IS NULL OR a.status = $2
ORDER BY a.status = 'open' DESC, a.deadline ASC NULLS LAST, a.id DESC
"""


async def list_workspace_actions(
    conn: Connection, locale: str, status: ActionStatus | None = None
) -> list[WorkspaceAction]:
    """Every action, or those with one status."""
    return [
        from_row(WorkspaceAction, row, status=ActionStatus(row["status"]))
        for row in await conn.fetch(SELECT_WORKSPACE_ACTIONS, locale, status)
    ]
