"""Valkey killed under signing load and started again, empty, on the same socket.

The web keeps taking signatures (their wake-ups are lost with the queue); the worker keeps
sending, from PostgreSQL (its sweeper finds the rows), and goes back to the queue once Valkey
answers. Recovery is from Valkey's restart to the worker's saying it uses the queue again;
the worker's log, at INFO, shows the jobs it then takes from the queue.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from campaign_engine.drill.signing import (
    Signed,
    Stage,
    backlog,
    first_confirmations,
    sign_through,
    signing_result,
)
from campaign_engine.drill.stack import DrillStack
from campaign_engine.drill.tally import FaultResult, seconds

# What the worker says when the queue answers again (workers/supervisor.py).
BACK_ON_THE_QUEUE = "queue reachable again"
QUEUE_JOB = ":send_deliveries"  # arq's line for each job it runs, at INFO
# While Valkey is away, the worker's sweeper finds a confirmation's row within 30 s of its
# signature (SWEEP_GRACE, and a round every 15 s): a longer outage must see some sent.
SWEPT_WITHIN = 30
CONFIRMATION_WITHIN = 90.0


@dataclass
class Timeline:
    killed_at: float = 0.0
    back_at: float = 0.0  # Valkey answers again
    worker_back_at: float | None = None  # the worker said it uses the queue again
    web_back_at: float | None = None  # the web's /readyz says Valkey is reachable


def run_valkey(rate: int, before: int, outage: int, after: int) -> FaultResult:
    with DrillStack() as stack:
        result = asyncio.run(_valkey(stack, rate, before, outage, after))
        stack.keep_logs = not result.passed
    return result


async def _valkey(
    stack: DrillStack, rate: int, before: int, outage: int, after: int
) -> FaultResult:
    async def fault(stage: Stage) -> Timeline:
        return await _kill_valkey(stage, before, outage, after)

    signed, timeline = await sign_through(
        stack, rate, fault, CONFIRMATION_WITHIN, worker_log_level="INFO"
    )
    return _result(signed, timeline, outage)


async def _kill_valkey(stage: Stage, before: int, outage: int, after: int) -> Timeline:
    timeline = Timeline()
    await asyncio.sleep(before)
    timeline.killed_at = time.time()
    stage.stack.valkey.kill()
    await asyncio.sleep(outage)
    await asyncio.to_thread(stage.stack.valkey.start)
    timeline.back_at = time.time()
    ends = time.monotonic() + after
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < ends:
            if timeline.worker_back_at is None and BACK_ON_THE_QUEUE in stage.worker.output():
                timeline.worker_back_at = time.time()
            if timeline.web_back_at is None and await _web_reaches_valkey(session, stage.base):
                timeline.web_back_at = time.time()
            await asyncio.sleep(0.1)
    stage.done.set()
    return timeline


async def _web_reaches_valkey(session: aiohttp.ClientSession, base: str) -> bool:
    try:
        async with session.get(f"{base}/readyz") as response:
            checks: dict[str, bool] = (await response.json())["checks"]
            return checks.get("redis", False)
    except (aiohttp.ClientError, KeyError, ValueError):
        return False


def _result(signed: Signed, timeline: Timeline, outage: int) -> FaultResult:
    from_the_queue = _jobs_after(signed.worker_log, BACK_ON_THE_QUEUE)
    during = sum(1 for m in signed.sunk if timeline.killed_at <= m.at < timeline.back_at)
    first = first_confirmations(signed)
    made_during = [
        answer
        for answer in signed.accepted
        if timeline.killed_at <= answer.sent_at < timeline.back_at
    ]
    delays = [
        first[answer.email] - answer.answered_at
        for answer in made_during
        if first.get(answer.email, timeline.back_at) < timeline.back_at
    ]
    waiting, drained = backlog(signed, timeline.back_at)
    worker_back = _after(timeline.worker_back_at, timeline.back_at)
    result = signing_result(
        f"valkey killed {outage} s",
        signed,
        f"{worker_back} (restart to worker on the queue)",
    )
    result.notes += [
        f"while Valkey was away: {during} confirmation emails sent (from PostgreSQL); of the "
        f"{len(made_during)} signatures made then, {len(delays)} confirmed before it was back, "
        f"{seconds(delays)} after their signature (the sweeper: within 30 s)",
        f"after: the web used Valkey again {_after(timeline.web_back_at, timeline.back_at)} "
        f"after its restart; the worker ran {from_the_queue} jobs from the queue; "
        f"{waiting} confirmations were waiting, "
        + ("the last sent" if drained is not None else "NOT ALL SENT")
        + (f" {drained:.1f} s after the restart" if drained is not None else ""),
    ]
    if not during and outage > SWEPT_WITHIN:
        result.failures.append("the worker sent nothing while Valkey was away")
    if timeline.worker_back_at is None or not from_the_queue:
        result.failures.append("the worker did not use the queue again")
    return result.judge()


def _jobs_after(log: str, line: str) -> int:
    _before, found, rest = log.partition(line)
    return sum(1 for text in rest.splitlines() if QUEUE_JOB in text and "→" in text) if found else 0


def _after(moment: float | None, since: float) -> str:
    return "never" if moment is None else f"{moment - since:.1f} s"
