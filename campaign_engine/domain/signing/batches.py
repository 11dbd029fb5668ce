"""Batches (group commit): what arrives while others are written waits, and goes in together.

Written one by one, each of a surge's signatures costs PostgreSQL a transaction, a commit and
a handful of statements (a millisecond of its CPU, on the web's cores). Gathered, a batch of
them costs one of each. Nobody waits for a timer: something that arrives while nothing is
being written starts a batch at once (alone, when the site is quiet); what arrives meanwhile
waits for that batch to end and goes into the next, together, up to `most`. A second batch
is written beside the first only once `most` wait (up to `at_once` at a time). Each caller
returns only once its batch has committed: acknowledged means stored.

Two things that must not share a batch (their `keys` meet) go into successive ones. A batch
that fails with PostgreSQL out of reach fails for all its callers at once (each hears 503); one
that fails otherwise is written again one by one, so something that cannot be written fails
alone and the rest are kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Generic, TypeVar

from campaign_engine.db.outage import database_unreachable

T = TypeVar("T")

# Each writes one thing's outcome per thing: None when written, else what its caller raises.
Write = Callable[[list[T]], Awaitable[list[BaseException | None]]]


class Batches(Generic[T]):
    def __init__(
        self,
        write: Write[T],
        *,
        keys: Callable[[T], Iterable[Hashable]],
        most: int = 64,
        at_once: int = 2,
    ) -> None:
        self._write, self._keys = write, keys
        self._most, self._at_once = most, at_once
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._writing: set[asyncio.Task[None]] = set()

    async def join(self, thing: T) -> None:
        """Return once `thing` is written; raise what writing it raised."""
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((thing, written))
        self._start()
        await written

    def _start(self) -> None:
        # A second batch only once a full one waits: started whenever a slot was free, most
        # batches would be of one, each its own transaction.
        while self._waiting and (
            not self._writing
            or (len(self._writing) < self._at_once and len(self._waiting) >= self._most)
        ):
            task = asyncio.create_task(self._run(self._take()))
            self._writing.add(task)
            task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._writing.discard(task)
        self._start()

    def _take(self) -> list[tuple[T, asyncio.Future[None]]]:
        taken: list[tuple[T, asyncio.Future[None]]] = []
        left: list[tuple[T, asyncio.Future[None]]] = []
        held: set[Hashable] = set()
        for waiting in self._waiting:
            keys = set(self._keys(waiting[0]))
            if len(taken) < self._most and not keys & held:
                taken.append(waiting)
                held |= keys
            else:
                left.append(waiting)
        self._waiting = left
        return taken

    async def _run(self, batch: list[tuple[T, asyncio.Future[None]]]) -> None:
        try:
            outcomes = await self._write([thing for thing, _ in batch])
        except asyncio.CancelledError:
            for _, written in batch:
                written.cancel()
            raise
        except Exception as failure:
            if len(batch) == 1 or database_unreachable(failure) is not None:
                for _, written in batch:
                    _settle(written, failure)
                return
            for alone in batch:
                await self._run([alone])
            return
        for (_, written), outcome in zip(batch, outcomes, strict=True):
            _settle(written, outcome)


def _settle(written: asyncio.Future[None], outcome: BaseException | None) -> None:
    if written.done():  # its caller went away (the batch was written all the same)
        return
    if outcome is None:
        written.set_result(None)
    else:
        written.set_exception(outcome)
