"""The worker through a PostgreSQL outage: a job or cron that finds the database unreachable
ends quietly and is tried at its next round (the rows it needed are still in PostgreSQL, and
the sweeper and the dead-worker reclaim find them again), with one warning when the outage
begins and one when a job next succeeds (db/outage.py). Without this, arq would log a
traceback for every failed run: the pacer alone runs every second.

A failure that is not an outage is raised as before: arq logs it, a bug is a bug.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from arq.typing import WorkerCoroutine

from campaign_engine.db.outage import DatabaseOutage, database_unreachable

R = TypeVar("R")
OUTAGE = "database_outage"  # the process's one DatabaseOutage, kept in arq's shared context


def outage_of(ctx: dict[str, Any]) -> DatabaseOutage:
    found: DatabaseOutage = ctx.setdefault(OUTAGE, DatabaseOutage())
    return found


async def _answered() -> bool:
    return True  # the job that just ended used the database


def through_outages(job: Callable[..., Awaitable[R]]) -> WorkerCoroutine:
    """`job`, answering None instead of raising when the database is out of reach."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> R | None:
        outage = outage_of(ctx)
        try:
            result = await job(ctx, *args, **kwargs)
        except Exception as error:
            cause = database_unreachable(error)
            if cause is None:
                raise
            outage.began(cause)
            return None
        await outage.check(_answered)
        return result

    return cast(WorkerCoroutine, run)
