"""An action's public count, recounted exactly (after an invalidation or an erasure)."""

from __future__ import annotations

from campaign_engine.db.campaigns import actions
from campaign_engine.db.pool import Connection


async def recount(conn: Connection, action_id: int) -> int:
    """Count the action's confirmed signatures again, from the signatures themselves; the new
    count. Call it after changing signatures (rows first, then the count, in the order a
    confirmation takes them): confirmations meanwhile wait, then add their one to it."""
    await actions.make_count_shards(conn, action_id)
    await actions.lock_counts(conn, action_id)
    return await actions.recount_confirmed(conn, action_id)
