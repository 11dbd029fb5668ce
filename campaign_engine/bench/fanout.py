"""The delivery benchmarks, on a stack of their own.

Fan-out: tens of thousands of confirmed signatures, each with an appeal held for one official
with no cap, released at once; `worker` processes send them into a fast SMTP sink. It prints
deliveries per second and checks that every appeal was sent, each exactly once into the sink
(more would be resends).

Pacing: an official capped at a rate, with more waiting than the rate lets through; after a
minute it compares the send times the outbox recorded with the configured rate.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from campaign_engine.bench.stack import BenchStack, add_official, prepare
from campaign_engine.db.campaigns import authoring
from campaign_engine.db.delivery import appeals
from campaign_engine.db.personal import synthetic
from campaign_engine.db.pool import Pool

COUNT_SENT = "SELECT count(*) FROM deliveries WHERE target_id = $1 AND status = 'sent'"
SENT_TIMES = """
SELECT sent_at FROM deliveries WHERE target_id = $1 AND sent_at IS NOT NULL ORDER BY sent_at
"""
WAKE = "UPDATE pacing SET next_run_at = now() WHERE target_id = $1"
# As fast as the machine goes: no cap, and a floor nobody reaches.
UNPACED_PER_HOUR = 10**8
ACCURACY = 0.05
HOUR = timedelta(hours=1)


async def _held_appeals(pool: Pool, action_id: int, count: int, floor_per_hour: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await authoring.set_action_channel(
            conn, action_id, "email", "per_signature", min_per_hour=floor_per_hour
        )
        await synthetic.insert_synthetic_signers(conn, action_id, count, str(time.time_ns()))
        await appeals.insert_missing_appeals(conn, action_id)


async def _wait(pool: Pool, target_id: int, expected: int, seconds: float) -> int:
    deadline = time.perf_counter() + seconds
    sent = 0
    while time.perf_counter() < deadline:
        sent = int(await pool.fetchval(COUNT_SENT, target_id))
        if sent >= expected:
            break
        await asyncio.sleep(0.1)
    return sent


def run_fanout(count: int, workers: int) -> int:
    with BenchStack() as stack:
        return asyncio.run(_fanout(stack, count, workers))


async def _fanout(stack: BenchStack, count: int, workers: int) -> int:
    pool = await stack.pool()
    try:
        action_id = await prepare(pool)
        async with pool.acquire() as conn, conn.transaction():
            target_id = await add_official(conn, action_id, "fanout-minister")
        await _held_appeals(pool, action_id, count, UNPACED_PER_HOUR)
        for _ in range(workers):
            stack.start("worker")
        await asyncio.sleep(3)  # the workers start
        started = time.perf_counter()
        await pool.execute(WAKE, target_id)
        sent = await _wait(pool, target_id, count, seconds=600)
        elapsed = time.perf_counter() - started
        await asyncio.sleep(0.5)  # the sink counts the last ones
    finally:
        await pool.close()
    received = stack.sink.received
    print(
        f"campaign-engine bench fanout: {count} appeals to one official, no cap, "
        f"{workers} worker process(es)\n"
        f"  sent         {sent} in {elapsed:.1f} s: {sent / elapsed:.0f} deliveries/s\n"
        f"  into sink    {received} messages ({received - sent} resends)\n"
        f"  verdict      "
        + ("all sent, each once" if sent == received == count else "LOST OR DOUBLED"),
        flush=True,
    )
    return 0 if sent == received == count else 1


def run_pacing(per_hour: int, seconds: int) -> int:
    with BenchStack() as stack:
        return asyncio.run(_pacing(stack, per_hour, seconds))


async def _pacing(stack: BenchStack, per_hour: int, seconds: int) -> int:
    pool = await stack.pool()
    try:
        action_id = await prepare(pool)
        async with pool.acquire() as conn, conn.transaction():
            target_id = await add_official(conn, action_id, "paced-minister", max_per_hour=per_hour)
        backlog = per_hour * seconds // 3600 * 2 + 10  # more than the cap lets through
        await _held_appeals(pool, action_id, backlog, per_hour)
        stack.start("worker")
        await asyncio.sleep(3)
        await pool.execute(WAKE, target_id)
        await asyncio.sleep(seconds)
        times: list[datetime] = [row["sent_at"] for row in await pool.fetch(SENT_TIMES, target_id)]
    finally:
        await pool.close()
    if len(times) < 2:
        print("campaign-engine bench pacing: fewer than two sends, nothing to measure")
        return 1
    span = (times[-1] - times[0]).total_seconds()
    achieved = (len(times) - 1) / span * 3600
    error = abs(achieved - per_hour) / per_hour
    busiest = max(sum(1 for t in times if start <= t < start + HOUR) for start in times)
    print(
        f"campaign-engine bench pacing: one official capped at {per_hour}/h, {backlog} waiting, "
        f"{seconds} s\n"
        f"  sent         {len(times)}, over {span:.1f} s\n"
        f"  rate         {achieved:.0f}/h against {per_hour}/h configured: "
        f"{error * 100:.1f}% off (target: within 5%)\n"
        f"  busiest hour {busiest} sends (cap {per_hour})",
        flush=True,
    )
    return 0 if error <= ACCURACY and busiest <= per_hour else 1
