"""PostgreSQL stopped the hard way (`pg_ctl -m immediate`: every connection dropped without a
word, crash recovery on the next start) under signing load, and started again.

While it is away every signature is answered 503 with Retry-After (docs/operations.md): those
are expected, and counted apart from 500s, which fail the drill. A signature answered 503 may
have been saved all the same (its COMMIT was in flight): it is reported, not held against
anyone. Lost is a 2xx with no row behind it, or no confirmation email. Recovery is from the
moment PostgreSQL takes connections again to the first 202 answered after it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from campaign_engine.drill.signing import Signed, Stage, accepted, sign_through, signing_result
from campaign_engine.drill.stack import DrillStack
from campaign_engine.drill.tally import FaultResult

CONFIRMATION_WITHIN = 90.0


@dataclass
class Timeline:
    stopped_at: float = 0.0
    started_at: float = 0.0  # asked to start
    ready_at: float = 0.0  # takes connections


def run_postgres(rate: int, before: int, outage: int, after: int) -> FaultResult:
    with DrillStack() as stack:
        result = asyncio.run(_postgres(stack, rate, before, outage, after))
        stack.keep_logs = not result.passed
    return result


async def _postgres(
    stack: DrillStack, rate: int, before: int, outage: int, after: int
) -> FaultResult:
    async def fault(stage: Stage) -> Timeline:
        return await _stop_postgres(stage, before, outage, after)

    signed, timeline = await sign_through(stack, rate, fault, CONFIRMATION_WITHIN)
    return _result(signed, timeline, outage)


async def _stop_postgres(stage: Stage, before: int, outage: int, after: int) -> Timeline:
    postgres = stage.stack.postgres
    assert postgres is not None
    timeline = Timeline()
    await asyncio.sleep(before)
    timeline.stopped_at = time.time()
    await asyncio.to_thread(postgres.stop)
    await asyncio.sleep(outage)
    timeline.started_at = time.time()
    await asyncio.to_thread(postgres.start)
    timeline.ready_at = time.time()
    await asyncio.sleep(after)
    stage.done.set()
    return timeline


def _result(signed: Signed, timeline: Timeline, outage: int) -> FaultResult:
    back = [
        answer.answered_at
        for answer in signed.answers
        if accepted(answer) and answer.answered_at >= timeline.ready_at
    ]
    recovery = f"{min(back) - timeline.ready_at:.2f} s" if back else "never"
    result = signing_result(
        f"postgres stopped {outage} s",
        signed,
        f"{recovery} (PostgreSQL up to first 202)",
        outage_503=True,
    )
    unavailable = [answer for answer in signed.answers if answer.status == 503]
    late = sum(1 for answer in unavailable if answer.sent_at >= timeline.ready_at)
    result.notes += [
        f"PostgreSQL: away {timeline.ready_at - timeline.stopped_at:.1f} s in all "
        f"(its start, with crash recovery, took {timeline.ready_at - timeline.started_at:.1f} s); "
        f"{len(unavailable)} answered 503, "
        f"{sum(1 for answer in unavailable if answer.retry_after)} with Retry-After, "
        f"{late} of them sent after it was up again",
    ]
    if not back:
        result.failures.append("no signature was accepted after PostgreSQL came back")
    return result.judge()
