"""The worker killed with `kill -9` over and over during a fan-out of appeals by email and by
text to officials, and started again at once each time, while Twilio now and then keeps a
text and loses its answer.

No lease is moved: each restart takes back its dead predecessor's rows by itself (worker
presence, within seconds), and a text whose answer was lost is looked up at Twilio before
anything is sent again. Counted at the recipients' side: emails by Message-ID in the SMTP
sink, texts by sid at the Twilio stand-in, each against the outbox row that claims it.

One thing is hurried, after the last kill and unless `--real-backoff`: rows waiting out a
backoff (a lost answer; a text another row with the same words took) are made due at once
and rung for, as their own wake-up would at the end of the wait. A row that has been taken
back a few times waits minutes (the backoff doubles with each attempt), and the drill would
spend them doing nothing; the drill says how many rows it hurried.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from campaign_engine import jobs
from campaign_engine.bench.fanout import UNPACED_PER_HOUR
from campaign_engine.bench.stack import add_official, prepare
from campaign_engine.db.campaigns import authoring
from campaign_engine.db.delivery import appeals, pacing
from campaign_engine.db.personal import synthetic
from campaign_engine.db.pool import Pool
from campaign_engine.drill.stack import Command, DrillStack, until
from campaign_engine.drill.tally import FaultResult, Row, Text, count_emails, count_texts, seconds
from campaign_engine.drill.twilio_standin import ACCEPT, TAKE_AND_DROP, TwilioStandIn

# Each official gets one appeal from each signer: 50 texts to a number keep a look-up to one
# page, as at a real pace. The signers are the benchmark's, who share one name: every text to
# an official has the same words, the hardest case for the look-up.
SIGNERS = 50
# After a kill, what the dead worker had on the wire lands before the next count is taken;
# a new worker process needs far longer than this to start.
SETTLE_SECONDS = 0.25
# A restarted worker that sends nothing for this long is not recovering.
FIRST_SEND_WITHIN = 60.0

APPEALS = """
SELECT id::text, channel, status, provider_id FROM deliveries
WHERE action_id = $1 AND kind = 'appeal'
"""
UNFINISHED = """
SELECT count(*) FROM deliveries
WHERE action_id = $1 AND kind = 'appeal' AND status NOT IN ('sent', 'delivered', 'failed')
"""
WAITING_OUT_A_BACKOFF = """
UPDATE deliveries SET next_attempt_at = now()
WHERE action_id = $1 AND kind = 'appeal' AND status IN ('retry', 'ambiguous')
  AND next_attempt_at > now()
RETURNING id
"""
TAKEN_BACK = re.compile(r"took back (\d+) deliveries")


@dataclass(frozen=True)
class Options:
    emails: int
    texts: int
    kills: int
    lost_answers: float  # the share of sends whose answer Twilio loses, having kept the text
    gap: float  # a worker is killed within this many seconds of its first send
    drain: int  # seconds the last worker has to finish
    real_backoff: bool  # wait out backoffs after the kills instead of letting time pass
    seed: int


@dataclass
class Kills:
    """What the kill loop did."""

    done: int = 0
    mid_send: int = 0  # kills that came while appeals were still unsent
    recoveries: list[float] = field(default_factory=list)  # restart to first send, seconds
    stalled: bool = False  # a restart sent nothing within FIRST_SEND_WITHIN


@dataclass
class Finish:
    """How the last worker finished."""

    finished: bool = False
    seconds: float = 0.0
    hurried: int = 0  # rows made due at once
    unfinished: int = 0


def run_worker_kills(options: Options) -> FaultResult:
    with DrillStack(texts=True) as stack:
        result = asyncio.run(_worker_kills(stack, options))
        stack.keep_logs = not result.passed
    return result


async def _worker_kills(stack: DrillStack, options: Options) -> FaultResult:
    assert stack.twilio is not None
    twilio = stack.twilio
    rng = random.Random(options.seed)  # noqa: S311  # nosec B311 # when to kill, not a secret
    answers = [
        TAKE_AND_DROP if rng.random() < options.lost_answers else ACCEPT
        for _ in range(2 * options.texts)
    ]
    twilio.record.script.extend(answers)
    started = time.monotonic()
    pool = await stack.pool()
    try:
        action_id, targets = await _fan_out(pool, options.emails, options.texts)
        worker = stack.command("worker")
        worker.start()
        async with pool.acquire() as conn:
            for target_id, channel in targets:
                await pacing.wake_pacer(conn, target_id, channel)
        killed = await _kill_over_and_over(
            worker, _landed(stack, twilio), pool, action_id, options, rng
        )
        finish = await _finish(pool, action_id, stack.valkey.url, options)
        await asyncio.sleep(SETTLE_SECONDS)
        worker.stop()
        rows = [Row(**dict(row)) for row in await pool.fetch(APPEALS, action_id)]
    finally:
        await pool.close()
    lost_answers = answers[: len(answers) - len(twilio.record.script)].count(TAKE_AND_DROP)
    result = _result(stack, twilio, worker, rows, killed, lost_answers)
    result.notes += _finish_notes(finish, options, time.monotonic() - started)
    if killed.mid_send < options.kills:
        result.failures.append(f"only {killed.mid_send} of {options.kills} kills came mid-send")
    if killed.stalled:
        result.failures.append(f"a restarted worker sent nothing for {FIRST_SEND_WITHIN:.0f} s")
    return result.judge()


async def _fan_out(pool: Pool, emails: int, texts: int) -> tuple[int, list[tuple[int, str]]]:
    """The bench action, with officials by email and by text, and SIGNERS confirmed signers
    whose appeals to each are held for the pacers; returns the action and its (official,
    channel) pairs."""
    action_id = await prepare(pool)
    targets: list[tuple[int, str]] = []
    first_number = random.randrange(10**6)  # noqa: S311  # nosec B311 # a number, not a secret
    async with pool.acquire() as conn, conn.transaction():
        for channel, count in (("email", emails), ("sms", texts)):
            await authoring.set_action_channel(
                conn, action_id, channel, "per_signature", min_per_hour=UNPACED_PER_HOUR
            )
            for n in range(-(-count // SIGNERS)):
                name = f"drill-{channel}-{n}"
                address = (
                    f"{name}@example.org" if channel == "email" else f"+3364{first_number + n:07d}"
                )
                official = await add_official(
                    conn, action_id, name, channel=channel, address=address
                )
                targets.append((official, channel))
        await synthetic.insert_synthetic_signers(conn, action_id, SIGNERS, str(time.time_ns()))
        await appeals.insert_missing_appeals(conn, action_id)
    return action_id, targets


def _landed(stack: DrillStack, twilio: TwilioStandIn) -> Callable[[], int]:
    """How many messages have reached the sink and Twilio so far, resends included."""
    return lambda: stack.sink.received + len(twilio.record.all())


async def _kill_over_and_over(
    worker: Command,
    landed: Callable[[], int],
    pool: Pool,
    action_id: int,
    options: Options,
    rng: random.Random,
) -> Kills:
    """Each time the worker is sending (its first message after a start has landed), a random
    moment later: `kill -9`, and a new worker at once."""
    killed, baseline, restarted_at = Kills(), 0, None
    while killed.done < options.kills:
        first = await _first_send_after(landed, baseline)
        if first is None:
            killed.stalled = True
            break
        if restarted_at is not None:
            killed.recoveries.append(first - restarted_at)
        await asyncio.sleep(rng.uniform(0.0, options.gap))
        unfinished = await pool.fetchval(UNFINISHED, action_id)
        worker.kill()
        worker.start()
        restarted_at = time.monotonic()
        killed.done += 1
        killed.mid_send += unfinished > 0
        await asyncio.sleep(SETTLE_SECONDS)
        baseline = landed()
    return killed


async def _first_send_after(landed: Callable[[], int], baseline: int) -> float | None:
    deadline = time.monotonic() + FIRST_SEND_WITHIN
    while landed() <= baseline:
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.01)
    return time.monotonic()


async def _finish(pool: Pool, action_id: int, redis_url: str, options: Options) -> Finish:
    """Until every appeal is sent or failed, or `options.drain` seconds have passed."""
    finish, started = Finish(), time.monotonic()
    queue = jobs.JobQueue(await jobs.connect(redis_url))

    async def done() -> bool:
        if not options.real_backoff:
            due: list[UUID] = [
                row["id"] for row in await pool.fetch(WAITING_OUT_A_BACKOFF, action_id)
            ]
            finish.hurried += len(due)
            await queue.wake_deliveries(due)
        finish.unfinished = int(await pool.fetchval(UNFINISHED, action_id))
        return finish.unfinished == 0

    finish.finished = await until(done, options.drain)
    finish.seconds = time.monotonic() - started
    return finish


def _result(
    stack: DrillStack,
    twilio: TwilioStandIn,
    worker: Command,
    rows: list[Row],
    killed: Kills,
    lost_answers: int,
) -> FaultResult:
    mail = count_emails(rows, stack.sink.messages())
    sms = count_texts(rows, [Text(text.sid, text.to) for text in twilio.record.all()])
    emails, texts = (sum(row.channel == channel for row in rows) for channel in ("email", "sms"))
    taken_back = sum(int(n) for n in TAKEN_BACK.findall(worker.output()))
    return FaultResult(
        fault=f"worker kill -9 x{killed.done}",
        tried=len(rows),
        sent=mail.sent + sms.sent,
        lost=mail.lost + sms.lost,
        duplicated=mail.duplicated + sms.duplicated,
        resends=mail.resends,
        recovery=f"{seconds(killed.recoveries)} (restart to first send)",
        notes=[
            f"emails: {emails} appeals; {mail.sent} arrived under their own Message-ID, "
            f"{mail.resends} raw resends (same Message-ID), {mail.duplicated} that no delivery "
            "accounts for",
            f"texts: {texts} appeals, the same words to each official; {sms.sent} at Twilio, "
            f"each held by its own row, {sms.duplicated} that no row holds; Twilio lost "
            f"{lost_answers} answers; {twilio.record.lists_read} look-ups",
            f"kills: {killed.done}, {killed.mid_send} with appeals still unsent; "
            f"{taken_back} rows taken back from dead workers",
        ],
    )


def _finish_notes(finish: Finish, options: Options, elapsed: float) -> list[str]:
    hurried = (
        "every backoff waited out for real"
        if options.real_backoff
        else f"{finish.hurried} rows waiting out a backoff made due at once"
    )
    if not finish.finished:
        return [
            f"after the kills: {hurried}; NOT DONE after {options.drain} s: "
            f"{finish.unfinished} appeals unsent"
        ]
    return [
        f"after the kills: {hurried}; all done {finish.seconds:.0f} s after the last restart; "
        f"{elapsed:.0f} s in all"
    ]
