"""The SMTP server gone (its process killed: connections refused, or cut mid-message) while
confirmations flow, and back on the same port.

Signing goes on; each confirmation that meets the outage waits in the outbox with its backoff
(30 s, then 1 min, … each jittered) and goes once the server is back. A message cut off during
DATA may have been kept by the server: it is sent again under its Message-ID, a raw resend.
Recovery is from the server's return to the last confirmation of the backlog arriving: the
backoff, waited out for real.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from campaign_engine.drill.signing import Signed, Stage, backlog, sign_through, signing_result
from campaign_engine.drill.stack import DrillStack
from campaign_engine.drill.tally import FaultResult

# The backoff after a failed attempt is 15 to 30 s, then 30 to 60 s, then 1 to 2 min.
CONFIRMATION_WITHIN = 180.0


@dataclass
class Timeline:
    stopped_at: float = 0.0
    back_at: float = 0.0


def run_smtp(rate: int, before: int, outage: int, after: int) -> FaultResult:
    with DrillStack() as stack:
        result = asyncio.run(_smtp(stack, rate, before, outage, after))
        stack.keep_logs = not result.passed
    return result


async def _smtp(stack: DrillStack, rate: int, before: int, outage: int, after: int) -> FaultResult:
    async def fault(stage: Stage) -> Timeline:
        return await _stop_smtp(stage, before, outage, after)

    signed, timeline = await sign_through(stack, rate, fault, CONFIRMATION_WITHIN)
    return _result(signed, timeline, outage)


async def _stop_smtp(stage: Stage, before: int, outage: int, after: int) -> Timeline:
    timeline = Timeline()
    await asyncio.sleep(before)
    timeline.stopped_at = time.time()
    await asyncio.to_thread(stage.stack.sink.stop)
    await asyncio.sleep(outage)
    await asyncio.to_thread(stage.stack.sink.start)
    timeline.back_at = time.time()
    await asyncio.sleep(after)
    stage.done.set()
    return timeline


def _result(signed: Signed, timeline: Timeline, outage: int) -> FaultResult:
    waiting, drained = backlog(signed, timeline.back_at)
    recovery = "not drained" if drained is None else f"{drained:.1f} s"
    result = signing_result(
        f"smtp down {outage} s", signed, f"{recovery} (server back to backlog sent)"
    )
    result.notes.append(
        f"backlog: {waiting} confirmations waiting when the server came back"
        + ("" if drained is None else f", the last sent {drained:.1f} s later")
    )
    return result.judge()
