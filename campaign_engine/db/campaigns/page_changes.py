"""Notices that something the public pages show has changed (migration 0024's triggers send
one at the commit of any such change), heard on a connection of its own."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

CHANNEL = "public_pages"


async def listen(
    dsn: str, on_change: Callable[[], None], on_lost: Callable[[], None]
) -> asyncpg.Connection[asyncpg.Record]:
    """A connection that calls `on_change` at each notice and `on_lost` when it closes."""
    conn: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(dsn)
    try:
        conn.add_termination_listener(lambda _conn: on_lost())
        await conn.add_listener(CHANNEL, lambda *_notice: on_change())
    except BaseException:
        # Connected, then refused LISTEN (PostgreSQL stopping or starting): the connection
        # is ours to end, or the collector finds it open (a ResourceWarning, an open socket).
        conn.terminate()
        raise
    return conn
