"""The fault battery for texts: 3,000 appeals by text to officials survive a worker killed
with `kill -9` at random moments mid-send, over and over, while Twilio now and then keeps a
text and loses its answer. Every delivery's text reaches Twilio exactly once.

The worker runs as the production command, in a process of its own, so the kills are real;
each restart takes back its dead predecessor's rows itself (worker presence, migration 0019)
within seconds, so the test never touches a lease. The one thing it does speed up is the
jittered backoff (15 s to an hour) after an answer Twilio lost: "time passes" for those rows.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from uuid import UUID

import pytest

from campaign_engine import jobs
from campaign_engine.db.pool import Pool
from campaign_engine.settings import Settings
from tests.factories import add_target, make_action, make_confirmed_signatures
from tests.test_fault_battery import WorkerProcess
from tests.twilio import (
    ACCEPT,
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TAKE_AND_DROP,
    TwilioRecord,
    TwilioStandIn,
)

# A battery: `make test` leaves it to `make test-slow` and CI.
pytestmark = pytest.mark.slow

OFFICIALS = 50  # sixty texts each: a look-up reads one short page, as it would at a real pace
TEXTS = 3000
KILLS = 22
# One send in a hundred: Twilio keeps the text, and the connection breaks before its answer.
LOST_ANSWERS = 0.01


def texting_worker(settings: Settings, twilio_server: TwilioStandIn) -> WorkerProcess:
    process = WorkerProcess(settings)
    process.environ.update(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM=SENDER,
        TWILIO_API_BASE=twilio_server.api_base,
    )
    return process


@pytest.fixture
async def worker(settings: Settings, twilio_server: TwilioStandIn) -> AsyncIterator[WorkerProcess]:
    process = texting_worker(settings, twilio_server)
    yield process
    process.stop()


async def texts_to_officials(pool: Pool, settings: Settings) -> tuple[str, set[str], list[UUID]]:
    """TEXTS appeals by text, one per signer and official, released and rung for; returns
    the action, the officials' numbers and the deliveries."""
    slug = await make_action(pool)
    officials = set()
    for _ in range(OFFICIALS):
        _target, number = await add_target(pool, slug, channel="sms", preferred_locale="fr")
        officials.add(number)
    await make_confirmed_signatures(pool, slug, TEXTS // OFFICIALS)
    rows = await pool.fetch(
        """UPDATE deliveries d SET status = 'pending', released_at = now(), next_attempt_at = now()
           FROM actions a
           WHERE a.id = d.action_id AND a.slug = $1 AND d.status = 'scheduled'
           RETURNING d.id""",
        slug,
    )
    ids = [row["id"] for row in rows]
    assert len(ids) == TEXTS
    assert settings.redis_url is not None
    redis = await jobs.connect(settings.redis_url)
    await jobs.JobQueue(redis).wake_deliveries(ids)
    await redis.aclose()
    return slug, officials, ids


async def until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def more_texts_than(twilio: TwilioRecord, count: int) -> Callable[[], bool]:
    return lambda: len(twilio.all()) > count


async def count_done(pool: Pool, slug: str) -> int:
    done: int = await pool.fetchval(
        """SELECT count(*) FROM deliveries d JOIN actions a ON a.id = d.action_id
           WHERE a.slug = $1 AND d.status IN ('sent', 'delivered')""",
        slug,
    )
    return done


async def let_backoff_pass(pool: Pool, settings: Settings, slug: str) -> None:
    """Rows waiting out a backoff after a lost answer are due now, and rung for, as their own
    wake-up would at the end of the wait. Leases are left alone."""
    rows = await pool.fetch(
        """UPDATE deliveries d SET next_attempt_at = now()
           FROM actions a
           WHERE a.id = d.action_id AND a.slug = $1
             AND d.status IN ('retry', 'ambiguous') AND d.next_attempt_at > now()
           RETURNING d.id""",
        slug,
    )
    if rows:
        assert settings.redis_url is not None
        redis = await jobs.connect(settings.redis_url)
        await jobs.JobQueue(redis).wake_deliveries([row["id"] for row in rows])
        await redis.aclose()


@pytest.mark.timeout(240)  # about 80 s here; the margin is for a busy machine
async def test_texts_to_officials_survive_kill_9_mid_send_without_loss_or_duplicate(
    pool: Pool, settings: Settings, twilio: TwilioRecord, worker: WorkerProcess
) -> None:
    started = time.monotonic()
    slug, officials, deliveries = await texts_to_officials(pool, settings)
    rng = random.Random(2026)
    answers = [TAKE_AND_DROP if rng.random() < LOST_ANSWERS else ACCEPT for _ in range(2 * TEXTS)]
    twilio.script.extend(answers)
    mid_send, idle, finished = 0, 0, 0
    for _ in range(KILLS):
        await asyncio.sleep(0.2)  # what the last one had in flight lands first
        # Rows whose answer was lost wait out a backoff: due now, so the next worker has work.
        await let_backoff_pass(pool, settings, slug)
        before = len(twilio.all())
        worker.start()
        # Killed once it is sending (a restart may first have to take back its predecessor's
        # rows: seconds), after a random number of texts rather than a random time, so that
        # however fast this machine sends, every kill lands with texts in flight and work left.
        in_this_life = rng.randint(1, TEXTS // (2 * KILLS))
        sending = await until(more_texts_than(twilio, before + in_this_life), seconds=30)
        sent_at_kill = len(twilio.all())
        worker.kill()
        idle += not sending
        finished += sent_at_kill >= TEXTS
        mid_send += sending and sent_at_kill < TEXTS
    worker.start()
    for _ in range(300):
        if await count_done(pool, slug) == TEXTS:
            break
        await let_backoff_pass(pool, settings, slug)
        await asyncio.sleep(0.5)
    worker.stop()

    texts = [text for text in twilio.all() if text.to in officials]
    by_delivery = Counter(str(text.status_callback).rpartition("d=")[2] for text in texts)
    rows = await pool.fetch(
        "SELECT id, status, provider_id FROM deliveries WHERE id = ANY($1::uuid[])", deliveries
    )
    lost = [row["id"] for row in rows if row["status"] not in ("sent", "delivered")]
    doubled = {delivery: n for delivery, n in by_delivery.items() if n > 1}
    assert lost == [], "0 lost"
    assert doubled == {}, "0 duplicates: each delivery's text reached Twilio once"
    assert set(by_delivery) == {str(d) for d in deliveries}
    sids = {text.sid for text in texts}
    assert {row["provider_id"] for row in rows} == sids, "each row holds its own text's sid"
    assert mid_send >= 20, f"kills mid-send: {idle} found nothing to send, {finished} came late"
    lost_answers = answers[: len(answers) - len(twilio.script)].count(TAKE_AND_DROP)
    print(  # noqa: T201
        f"kill -9 x{KILLS} ({mid_send} mid-send), {lost_answers} answers lost: {TEXTS} texts, "
        f"each once at Twilio; {twilio.lists_read} look-ups; {time.monotonic() - started:.0f} s"
    )
