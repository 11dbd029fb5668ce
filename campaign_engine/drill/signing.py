"""Signing through a fault: the web app (`serve`) and a `worker` on a stack of their own,
signatures offered at a constant rate while a fault's script runs beside them, then the
count: every answer, every row kept, every confirmation email the sink took."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from campaign_engine.bench.sink import Sunk
from campaign_engine.bench.stack import prepare, wait_until_ready
from campaign_engine.db.personal import subjects
from campaign_engine.dev.mailbox import free_port
from campaign_engine.drill.load import Answer, sign_until
from campaign_engine.drill.stack import Command, DrillStack, until
from campaign_engine.drill.tally import FaultResult, count_confirmations

T = TypeVar("T")
REGISTERED = "SELECT count(*) FROM workers WHERE pid = $1"


@dataclass(frozen=True)
class Stage:
    """What a fault's script works with, while signatures arrive until it sets `done`."""

    stack: DrillStack
    base: str
    worker: Command
    done: asyncio.Event


@dataclass(frozen=True)
class Signed:
    answers: list[Answer]
    sunk: list[Sunk]
    kept: set[str]  # the addresses whose signature has its row
    confirmed: bool  # every signer kept or answered 2xx had a confirmation within the wait
    worker_log: str

    @property
    def accepted(self) -> list[Answer]:
        return [answer for answer in self.answers if accepted(answer)]


def accepted(answer: Answer) -> bool:
    return answer.status is not None and 200 <= answer.status < 300


async def sign_through(
    stack: DrillStack,
    rate: int,
    fault: Callable[[Stage], Awaitable[T]],
    wait: float,
    worker_log_level: str = "WARNING",
) -> tuple[Signed, T]:
    """Signatures at `rate` a second while `fault` runs, then up to `wait` seconds for the
    confirmation email of every one accepted or kept."""
    pool = await stack.pool()
    try:
        await prepare(pool)
    finally:
        await pool.close()
    port = free_port()
    stack.command("serve", "--port", str(port)).start()
    worker = stack.command("worker", log_level=worker_log_level)
    worker.start()
    base = f"http://127.0.0.1:{port}"
    await wait_until_ready(base)
    await _registered(stack, worker)
    stage = Stage(stack, base, worker, asyncio.Event())
    answers, timeline = await asyncio.gather(sign_until(base, rate, stage.done), fault(stage))
    kept = await _kept(stack, [answer.email for answer in answers])
    wanted = kept | {answer.email for answer in answers if accepted(answer)}

    async def all_confirmed() -> bool:
        return wanted <= {to for message in stack.sink.messages() for to in message.recipients}

    confirmed = await until(all_confirmed, wait)
    signed = Signed(answers, stack.sink.messages(), kept, confirmed, worker.output())
    return signed, timeline


async def _registered(stack: DrillStack, worker: Command) -> None:
    """Until the worker has registered (it is up, and sending)."""
    assert worker.process is not None
    pid = worker.process.pid
    pool = await stack.pool()
    try:

        async def registered() -> bool:
            return bool(await pool.fetchval(REGISTERED, pid))

        if not await until(registered, 60, every=0.2):
            raise TimeoutError("the worker did not start")
    finally:
        await pool.close()


async def _kept(stack: DrillStack, emails: list[str]) -> set[str]:
    """The addresses (all lower case, so canonical) whose signature is in the database."""
    pool = await stack.pool()
    kept = set()
    try:
        async with pool.acquire() as conn:
            for email in emails:
                supporter = await subjects.find_supporter(conn, email)
                if supporter is None:
                    continue
                held = await subjects.count_supporter_data(conn, supporter)
                if held is not None and held.signatures:
                    kept.add(email)
    finally:
        await pool.close()
    return kept


def signing_result(
    fault: str, signed: Signed, recovery: str, *, outage_503: bool = False
) -> FaultResult:
    """The row of a fault under signing load. A 503 is right only with `outage_503` (the
    database away) and with its Retry-After; any other 5xx, or no answer, is a failure."""
    count, _first = count_confirmations(
        [answer.email for answer in signed.accepted], signed.kept, signed.sunk
    )
    statuses = Counter(answer.status for answer in signed.answers if answer.status is not None)
    failures = Counter(answer.failure for answer in signed.answers if answer.failure)
    unavailable = [answer for answer in signed.answers if answer.status == 503]
    refused_kept = sum(
        1 for answer in signed.answers if not accepted(answer) and answer.email in signed.kept
    )
    result = FaultResult(
        fault=fault,
        tried=len(signed.answers),
        sent=count.sent,
        lost=count.lost,
        duplicated=count.duplicated,
        resends=count.resends,
        recovery=recovery,
        status_500=sum(n for status, n in statuses.items() if status >= 500 and status != 503),
        status_503=len(unavailable),
        no_answer=sum(failures.values()),
        notes=[
            "answers: "
            + ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))
            + "".join(f", {n} x {failure}" for failure, n in sorted(failures.items())),
            f"rows: {len(signed.kept)} signatures kept; {refused_kept} of them answered other "
            f"than 2xx (kept all the same); confirmations: {count.sent} received"
            + ("" if signed.confirmed else ", SOME NEVER CAME"),
            f"latency: {_latencies(signed.answers)}",
        ],
    )
    others = {status: n for status, n in statuses.items() if status < 200 or 300 <= status < 500}
    if others:
        result.failures.append(f"answered {others}")
    if unavailable and not outage_503:
        result.failures.append(f"{len(unavailable)} answered 503")
    elif without := sum(1 for answer in unavailable if answer.retry_after is None):
        result.failures.append(f"{without} answered 503 without Retry-After")
    return result


def _latencies(answers: list[Answer]) -> str:
    ordered = sorted(answer.answered_at - answer.sent_at for answer in answers)
    if not ordered:
        return "-"

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    return f"p50 {at(0.5):.0f} ms, p99 {at(0.99):.0f} ms, max {ordered[-1] * 1000:.0f} ms"


def first_confirmations(signed: Signed) -> dict[str, float]:
    """When each signer's first confirmation email reached the sink (the epoch)."""
    return count_confirmations([], signed.kept, signed.sunk)[1]


def backlog(signed: Signed, since: float) -> tuple[int, float | None]:
    """The 2xx signatures whose confirmation had not arrived by `since` (the epoch), and how
    long after `since` the last of them arrived; None if some never did."""
    first = first_confirmations(signed)
    waiting = [
        answer.email
        for answer in signed.accepted
        if answer.sent_at < since and first.get(answer.email, float("inf")) >= since
    ]
    if any(email not in first for email in waiting):
        return len(waiting), None
    return len(waiting), max((first[email] - since for email in waiting), default=0.0)
