"""The surge's confirmation emails, as a signer meets them: how long after signing each reached
the SMTP sink while the surge ran, and how fast one worker clears a backlog of them.

`bench surge` runs both after its rounds: the delays of every confirmation its rounds queued
(the worker sending beside the signing), then a backlog made on purpose (the worker stopped,
wrk signing for a run, a fresh worker started), timed from its first email to its last.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from campaign_engine.bench.sink import delivery_of
from campaign_engine.bench.stack import BenchStack

# When each confirmation was queued (its signature's transaction), by delivery id.
QUEUED = """
SELECT id, extract(epoch FROM created_at)::float8 AS queued
FROM deliveries WHERE kind = 'confirmation'
"""
WAITING = """
SELECT count(*) FROM deliveries
WHERE kind = 'confirmation' AND status IN ('pending', 'sending', 'retry')
"""
DRAIN_AT_MOST_SECONDS = 600


@dataclass(frozen=True)
class Delays:
    """Seconds from signing to the sink, for every confirmation sent so far."""

    seconds: list[float]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


@dataclass(frozen=True)
class Drain:
    emails: int  # the backlog, sent after the first of it
    seconds: float  # from the fresh worker's first email to the backlog's last
    cpu_ms_per_email: float  # the worker's own CPU over that time

    @property
    def rate(self) -> float:
        return self.emails / max(self.seconds, 0.001)


def delays(stack: BenchStack) -> Delays:
    """Once every confirmation queued so far has been sent: each one's delay."""
    asyncio.run(_until_sent(stack))
    queued = asyncio.run(_queued(stack))
    sunk = stack.sink.messages()
    return Delays([m.at - queued[i] for m in sunk if (i := delivery_of(m.message_id)) in queued])


def drain(stack: BenchStack) -> tuple[int, Drain]:
    """With no worker running and confirmations waiting: start a worker and time it clearing
    them. Returns its process id too."""
    backlog = asyncio.run(_waiting(stack))
    before = stack.sink.received
    fresh = stack.start("worker")
    deadline = time.monotonic() + DRAIN_AT_MOST_SECONDS
    while stack.sink.received == before and time.monotonic() < deadline:
        time.sleep(0.005)
    # Timed from the first email, so the worker's start-up is not counted.
    started, cpu_before, first = time.monotonic(), _cpu_seconds(fresh), stack.sink.received
    while stack.sink.received - before < backlog and time.monotonic() < deadline:
        time.sleep(0.005)
    seconds, cpu = time.monotonic() - started, _cpu_seconds(fresh) - cpu_before
    emails = stack.sink.received - first
    return fresh, Drain(emails, seconds, 1000 * cpu / max(emails, 1))


async def _queued(stack: BenchStack) -> dict[str | None, float]:
    pool = await stack.pool()
    try:
        return {str(row["id"]): row["queued"] for row in await pool.fetch(QUEUED)}
    finally:
        await pool.close()


async def _waiting(stack: BenchStack) -> int:
    pool = await stack.pool()
    try:
        return int(await pool.fetchval(WAITING))
    finally:
        await pool.close()


async def _until_sent(stack: BenchStack) -> None:
    pool = await stack.pool()
    try:
        for _look in range(DRAIN_AT_MOST_SECONDS * 5):
            if not await pool.fetchval(WAITING):
                return
            await asyncio.sleep(0.2)
    finally:
        await pool.close()


def _cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def describe(under_surge: Delays, backlog: Drain) -> list[str]:
    return [
        f"  emails       under the surge, {len(under_surge.seconds)} confirmations from signing "
        f"to the sink: p50 {under_surge.percentile(50):.1f} s, p99 "
        f"{under_surge.percentile(99):.1f} s, max {max(under_surge.seconds, default=0):.1f} s, "
        f"mean {statistics.fmean(under_surge.seconds or [0]):.1f} s",
        f"  {'':<12} a backlog of {backlog.emails} sent by one fresh worker at "
        f"{backlog.rate:.0f}/s, {backlog.cpu_ms_per_email:.2f} ms of its CPU per email",
    ]
