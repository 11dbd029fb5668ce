"""Connection pools, set up the same way for the web app, the worker and the tests."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from campaign_engine.sealing import Sealer

# What a query function takes: a connection of its own, or one borrowed from a pool.
# (asyncpg's classes are generic only in its type stubs.)
if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
else:
    Connection = asyncpg.Connection | PoolConnectionProxy
    Pool = asyncpg.Pool


class SealingConnection(asyncpg.Connection):
    """A connection that holds the keys of the columns it seals, as it holds its password: the
    queries that read or write personal data (db/supporters.py, db/staff.py) take them from
    their connection, so no caller can forget them and none can pass the wrong ones."""

    sealer: Sealer | None = None


class MissingDataKeys(Exception):
    """Personal data was touched through a connection opened without the data keys."""


def sealer_of(conn: Connection) -> Sealer:
    # A pool's proxy hands unknown attributes on to the connection it wraps.
    found = getattr(conn, "sealer", None)
    if not isinstance(found, Sealer):
        raise MissingDataKeys("open the connection with create_pool(..., sealer=...)")
    return found


async def _prepare_connection(conn: Connection) -> None:
    # jsonb comes back as Python objects, not strings.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, sealer: Sealer, min_size: int = 1, max_size: int = 10) -> Pool:
    async def prepare(conn: Connection) -> None:
        await _prepare_connection(conn)
        conn.sealer = sealer  # type: ignore[union-attr]

    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        connection_class=SealingConnection,
        init=prepare,
        # A session setting, not a SET: the pool resets sessions between borrowers.
        server_settings={"timezone": "UTC"},
    )
    assert pool is not None
    return pool


T = TypeVar("T")


def from_row(shape: type[T], row: asyncpg.Record, **converted: Any) -> T:
    """A dataclass from a row whose columns are named like its fields; `converted` replaces
    the columns that need a type of their own (an enum, a tuple)."""
    return shape(**{**dict(row.items()), **converted})
