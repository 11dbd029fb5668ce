"""The channels this database knows: one row each, added by the channel's migration."""

from __future__ import annotations

from campaign_engine.db.pool import Connection

SELECT_CHANNELS = "SELECT name FROM channels ORDER BY name"


async def list_channels(conn: Connection) -> list[str]:
    return [row["name"] for row in await conn.fetch(SELECT_CHANNELS)]
