"""Connection pools, set up the same way for the web app, the worker and the tests."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from campaign_engine.security.sealing import Sealer

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
    queries that read or write personal data (db/personal/, db/workspace/staff.py)
    take them from their connection, so no caller can forget them and none can pass the wrong
    ones."""

    sealer: Sealer | None = None

    def get_reset_query(self) -> str:
        """Nothing to send as a borrower hands the connection back. asyncpg's default (unlock
        all, close all, unlisten, reset all) is a round trip per borrowing (5 % of a worker's
        time sending confirmations) to undo session state our borrowers never make: the
        session locks and LISTENs live on connections of their own, the migrations' lock is
        let go in a `finally` (tests/test_architecture.py keeps it so). An open transaction
        is still rolled back, by asyncpg, before this query would run."""
        return ""

    async def reset(self, *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Ready for the next borrower, as the pool takes it back (asyncpg's signature). With
        no reset query, only a borrower that left a transaction open makes this talk to the
        server (a ROLLBACK). If the server has gone by then, the connection is let go (the pool
        opens a fresh one when asked) and the borrower's own outcome stands: its error is not
        replaced by the connection's. A connection that dies just after a COMMIT was answered
        comes back closed, and asyncpg's pool lets it go without asking (a signer is told 303:
        tests/test_database_outage.py)."""
        try:
            await super().reset(timeout=timeout)
        except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError):
            if not self.is_closed():
                raise
            self.terminate()


class MissingDataKeys(Exception):
    """Personal data was touched through a connection opened without the data keys."""


def sealer_of(conn: Connection) -> Sealer:
    # A pool's proxy hands unknown attributes on to the connection it wraps.
    found = getattr(conn, "sealer", None)
    if not isinstance(found, Sealer):
        raise MissingDataKeys("open the connection with create_pool(..., sealer=...)")
    return found


class _FloorRetries(logging.Filter):
    """While PostgreSQL is down, asyncpg's pool tries to reopen its `min_size` connections
    after 1, 2, 4 … 60 seconds, and logs each failure as a warning with a traceback. The web
    app says an outage once, when it starts and when it ends (web/errors.py); these add only
    tracebacks, so they are left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to restore the pool connection floor")


logging.getLogger("asyncpg.pool").addFilter(_FloorRetries())


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
