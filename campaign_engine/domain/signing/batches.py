"""Batches (group commit): what arrives while others are written waits, and goes in together.

Written one by one, each of a surge's signatures costs PostgreSQL a transaction, a commit and
a handful of statements (a millisecond of its CPU, on the web's cores). Gathered, a batch of
them costs one of each. Nobody waits for a timer: something that arrives while nothing is
being written starts a batch at once (alone, when the site is quiet); what arrives meanwhile
waits for that batch to end and goes into the next, together, up to `most`. A second batch
is written beside the first only once `most` wait (up to `at_once` at a time). Each caller
returns only once its batch has committed: acknowledged means stored.

Two things that must not share a batch (their `keys` meet) go into successive ones, and a
thing whose key a batch being written holds waits for that batch to end. A batch
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
        # The batches being written, each with the keys it holds: a thing that shares one
        # waits for that batch to end rather than queue behind it inside PostgreSQL.
        self._writing: dict[asyncio.Task[None], set[Hashable]] = {}

    async def join(self, thing: T) -> None:
        """Return once `thing` is written; raise what writing it raised. A caller that goes
        away before its batch is taken takes its thing with it."""
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting = (thing, written)
        self._waiting.append(waiting)
        self._start()
        try:
            await written
        except asyncio.CancelledError:
            if waiting in self._waiting:
                self._waiting.remove(waiting)
            raise

    def _start(self) -> None:
        # A second batch only once a full one waits: started whenever a slot was free, most
        # batches would be of one, each its own transaction.
        while self._waiting and (
            not self._writing
            or (len(self._writing) < self._at_once and len(self._waiting) >= self._most)
        ):
            batch, keys = self._take()
            if not batch:  # all that waits shares a key with a batch being written
                return
            task = asyncio.create_task(self._run(batch))
            self._writing[task] = keys
            task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._writing.pop(task, None)
        self._start()

    def _take(self) -> tuple[list[tuple[T, asyncio.Future[None]]], set[Hashable]]:
        taken: list[tuple[T, asyncio.Future[None]]] = []
        left: list[tuple[T, asyncio.Future[None]]] = []
        busy: set[Hashable] = set().union(*self._writing.values())
        held: set[Hashable] = set()
        for waiting in self._waiting:
            keys = set(self._keys(waiting[0]))
            if len(taken) < self._most and not keys & (held | busy):
                taken.append(waiting)
                held |= keys
            else:
                left.append(waiting)
        self._waiting = left
        return taken, held

    async def _run(self, batch: list[tuple[T, asyncio.Future[None]]]) -> None:
        try:
            await self._write_settling(batch)
        finally:
            # Whatever went wrong above (a cancellation midway, a bug), nobody is left waiting.
            for _, written in batch:
                if not written.done():
                    written.cancel()

    async def _write_settling(self, batch: list[tuple[T, asyncio.Future[None]]]) -> None:
        try:
            outcomes = await self._write([thing for thing, _ in batch])
        except Exception as failure:
            if len(batch) == 1 or database_unreachable(failure) is not None:
                for _, written in batch:
                    _settle(written, failure)
                return
            for alone in batch:
                await self._write_settling([alone])
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
