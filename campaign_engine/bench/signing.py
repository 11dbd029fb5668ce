"""The signing benchmark: the signing path under a fixed arrival rate, on a stack of its own.

It starts the web app (`serve`, N processes) and a `worker`, each in a process of its own. It
sends signatures to the JSON API at a constant rate for a fixed time, whether or not earlier
ones have been answered (an open loop: a slow server cannot slow the load down and hide its
own queueing), and measures each latency from the moment the request was due. Then it checks
the database: every accepted signature must be stored, and every confirmation email sent.

Nothing here asserts a speed; it prints figures, and exits non-zero only when something was
lost or refused.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from campaign_engine.bench.stack import SLUG, BenchStack, prepare, wait_until_ready
from campaign_engine.dev.mailbox import free_port

SIGNATURE_PATH = f"/api/v1/actions/{SLUG}/signatures"
COUNT_SIGNATURES = """
SELECT count(*) FROM signatures s JOIN actions a ON a.id = s.action_id WHERE a.slug = $1
"""
COUNT_SENT = """
SELECT count(*) FROM deliveries d
JOIN signatures s ON s.id = d.signature_id JOIN actions a ON a.id = s.action_id
WHERE a.slug = $1 AND d.status = 'sent'
"""


@dataclass
class Results:
    offered: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def accepted(self) -> int:
        return self.statuses[202]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def run_signing(rate: int, duration: int, web_processes: int) -> int:
    with BenchStack() as stack:
        asyncio.run(_prepare(stack))
        port = free_port()
        stack.start("serve", "--port", str(port), "--workers", str(web_processes))
        stack.start("worker")
        return asyncio.run(
            _measure(f"http://127.0.0.1:{port}", stack, rate, duration, web_processes)
        )


async def _prepare(stack: BenchStack) -> None:
    pool = await stack.pool()
    try:
        await prepare(pool)
    finally:
        await pool.close()


async def _measure(base: str, stack: BenchStack, rate: int, duration: int, web: int) -> int:
    await wait_until_ready(base)
    results = await _load(base, rate, duration)
    pool = await stack.pool()
    try:
        stored = int(await pool.fetchval(COUNT_SIGNATURES, SLUG))
        drain_started = time.perf_counter()
        sent = int(await pool.fetchval(COUNT_SENT, SLUG))
        while sent < stored and time.perf_counter() - drain_started < 120:
            await asyncio.sleep(0.25)
            sent = int(await pool.fetchval(COUNT_SENT, SLUG))
        drained = time.perf_counter() - drain_started
    finally:
        await pool.close()
    _report(results, rate, duration, web, stored, sent, drained)
    return 0 if stored == results.accepted == results.offered and sent == stored else 1


async def _load(base: str, rate: int, duration: int) -> Results:
    results = Results()
    connector = aiohttp.TCPConnector(limit=512)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        tasks = []
        for n in range(rate * duration):
            due = started + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_sign(session, n, due, results)))
        await asyncio.gather(*tasks)
        results.elapsed_s = time.perf_counter() - started
    return results


async def _sign(session: aiohttp.ClientSession, n: int, due: float, results: Results) -> None:
    results.offered += 1
    body = {
        "name": f"Bench Signer {n}",
        "email": f"bench.{n}.{uuid.uuid4().hex[:8]}@example.org",
        "country": "GB",
        "locale": "en",
    }
    try:
        # Each signer from an address of their own (the app believes loopback's
        # X-Forwarded-For), so every signature runs the per-client checks as in production.
        forwarded = {"X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
        async with session.post(SIGNATURE_PATH, json=body, headers=forwarded) as response:
            await response.read()
            results.statuses[response.status] += 1
    except (aiohttp.ClientError, TimeoutError) as error:
        results.failures[type(error).__name__] += 1
        return
    # From when the request was due, not when it left: queueing in the client counts too.
    results.latencies_ms.append((time.perf_counter() - due) * 1000)


def _report(
    results: Results, rate: int, duration: int, web: int, stored: int, sent: int, drained: float
) -> None:
    errors = sum(results.failures.values()) + sum(
        n for status, n in results.statuses.items() if status != 202
    )
    lines = [
        f"campaign-engine bench: POST {SIGNATURE_PATH}, open loop at {rate}/s for {duration} s",
        f"  stack        {web} web process(es), 1 worker, embedded PostgreSQL and Valkey, "
        f"{os.cpu_count()} CPUs shared with this load generator",
        f"  offered      {results.offered} signatures, {results.offered / results.elapsed_s:.1f}/s",
        f"  accepted     {results.accepted} (202), {results.accepted / results.elapsed_s:.1f}/s, "
        f"ratio {results.accepted / max(results.offered, 1):.3f}",
        f"  errors       {errors} {dict(results.statuses) | dict(results.failures)}",
        f"  latency      p50 {results.percentile(50):.1f} ms   p90 {results.percentile(90):.1f} ms"
        f"   p99 {results.percentile(99):.1f} ms   max {max(results.latencies_ms, default=0):.1f}"
        f" ms   mean {statistics.fmean(results.latencies_ms or [0]):.1f} ms",
        f"  stored       {stored} signature rows for {results.accepted} accepted: "
        + ("equal" if stored == results.accepted else "NOT EQUAL"),
        f"  emails       {sent} of {stored} confirmations sent; outbox drained "
        f"{drained:.1f} s after the last request",
    ]
    print("\n".join(lines), flush=True)
