"""PostgreSQL out of reach: which exceptions say so, and the one line a process logs when an
outage begins and the one when it ends. The web answers an outage with a 503 (web/errors.py),
the worker's jobs wait for the next round (workers/outage.py); neither logs a traceback per
request or per job, since an outage is not a bug (docs/operations.md).
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator

import asyncpg

# An outage has a logger of its own: the web's error log is for bugs (tests fail on a record).
log = logging.getLogger("campaign_engine.outage")


# The server refuses connections, or drops the ones it had: shut down, restarting, in crash
# recovery, failing over, or full.
_UNREACHABLE = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, "connection exception"
    asyncpg.CannotConnectNowError,  # starting up, shutting down, in recovery
    asyncpg.AdminShutdownError,  # "terminating connection due to administrator command"
    asyncpg.CrashShutdownError,  # another server process crashed
    asyncpg.TooManyConnectionsError,
)
# asyncpg names a connection that closed under a query only in its message.
_CLOSED = re.compile(r"connection is closed")


def database_unreachable(error: BaseException) -> str | None:
    """The name of the exception that says PostgreSQL is unreachable, if `error` (or what it
    was raised from or during) is one; None for anything else, which is a bug.

    A broken connection often surfaces as a second error (a transaction's rollback on a
    closed connection), so the whole chain is read, and its deepest cause named.
    """
    found: BaseException | None = None
    for link in _chain(error):
        if isinstance(link, _UNREACHABLE):
            found = link
        elif isinstance(link, asyncpg.InterfaceError) and _CLOSED.search(str(link)):
            found = found or link
        elif isinstance(link, OSError) and _raised_in_asyncpg(link):
            # Refused, no such socket, reset, or timed out (TimeoutError is an OSError)
            # while asyncpg opened or used a connection.
            found = link
    return type(found).__name__ if found is not None else None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen and len(seen) < 20:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def _raised_in_asyncpg(error: BaseException) -> bool:
    return any(
        str(frame.f_globals.get("__name__", "")).startswith("asyncpg.")
        for frame, _line in traceback.walk_tb(error.__traceback__)
    )


class DatabaseOutage:
    """Whether this process finds PostgreSQL unreachable: said once when a request first
    meets it, and once when a request after it finds the database answering again. No
    traceback and nothing about the request: an outage is not a bug."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.since: float | None = None
        self._checking = False

    def began(self, cause: str) -> None:
        if self.since is None:
            self.since = self.clock()
            log.warning("database unreachable: %s", cause)

    async def check(self, answers: Callable[[], Awaitable[bool]]) -> None:
        """During an outage, ask whether the database answers again (one question at a time:
        a crowd of requests must not become a crowd of connection attempts)."""
        if self.since is None or self._checking:
            return
        self._checking = True
        try:
            if await answers() and self.since is not None:
                seconds = self.clock() - self.since
                self.since = None
                # At the outage's own level, so a log filtered to warnings shows its end too.
                log.warning("database reachable again after %.0f s", seconds)
        finally:
            self._checking = False
