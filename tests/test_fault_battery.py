"""The fault battery: a fan-out of a thousand appeals survives a worker killed at random moments
ten times over, a wiped Redis, and an SMTP server that refuses, drops and hangs up.

The worker runs as the production command, in a process of its own, so `kill -9` is real.
Waiting out a 60-second lease is not: after a kill the test moves the dead worker's leases
and the wake-ups it swallowed into the past, as the clock would, and lets the restarted
worker's sweeper find them.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from campaign_engine.db.pool import Pool
from campaign_engine.settings import Settings
from tests.conftest import TEST_DATA_KEY, Drain
from tests.factories import add_target, make_action, make_confirmed_signatures
from tests.smtp import TAKE_AND_HANG_UP, RecordingHandler
from workers.main import SEND_SLOTS

# A battery: `make test` leaves it to `make test-slow` and CI.
pytestmark = pytest.mark.slow

FAN_OUT = 1000
KILLS = 10


async def fan_out(pool: Pool, size: int) -> tuple[str, str]:
    """`size` appeals to one official, released (the pacer's part is tested elsewhere)."""
    slug = await make_action(pool)
    target_id, official = await add_target(pool, slug)
    await make_confirmed_signatures(pool, slug, size)
    await pool.execute(
        """UPDATE deliveries SET status = 'pending', released_at = now(), next_attempt_at = now()
           WHERE target_id = $1 AND status = 'scheduled'""",
        target_id,
    )
    return slug, official


class WorkerProcess:
    """`campaign-engine worker`, against the test's servers."""

    def __init__(self, settings: Settings) -> None:
        self.environ = {
            **os.environ,
            "ENVIRONMENT": "test",
            "DATABASE_URL": settings.database_url or "",
            "REDIS_URL": settings.redis_url or "",
            "SMTP_URL": settings.smtp_url or "",
            "SECRET_KEY": settings.secret_key,
            "DATA_KEYS": TEST_DATA_KEY,
            "EMAIL_FROM": settings.email_from,
            "PUBLIC_BASE_URL": settings.public_base_url,
            "LOG_LEVEL": "WARNING",
            "SAME_APPEALS_PER_DAY": str(settings.same_appeals_per_day),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "campaign_engine", "worker"],
            env=self.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[WorkerProcess]:
    process = WorkerProcess(settings)
    yield process
    process.stop()


async def let_time_pass(pool: Pool, slug: str) -> None:
    """A minute later: dead workers' leases have run out, lost wake-ups are overdue."""
    await pool.execute(
        """UPDATE deliveries d
           SET lease_until = d.lease_until - interval '2 minutes',
               next_attempt_at = d.next_attempt_at - interval '2 minutes'
           FROM actions a
           WHERE a.id = d.action_id AND a.slug = $1
             AND d.status IN ('pending', 'sending', 'retry', 'ambiguous')""",
        slug,
    )


async def wait_until_sent(pool: Pool, slug: str, expected: int, seconds: float = 60) -> int:
    sent = 0
    for _ in range(int(seconds * 10)):
        sent = await pool.fetchval(
            """SELECT count(*) FROM deliveries d JOIN actions a ON a.id = d.action_id
               WHERE a.slug = $1 AND d.status = 'sent'""",
            slug,
        )
        if sent >= expected:
            return int(sent)
        await asyncio.sleep(0.1)
    return int(sent)


def copies_by_message_id(smtp: RecordingHandler, official: str) -> Counter[str]:
    return Counter(str(message["Message-ID"]) for message in smtp.to(official))


async def test_a_worker_killed_ten_times_loses_nothing_and_duplicates_nothing(
    pool: Pool, smtp: RecordingHandler, worker: WorkerProcess
) -> None:
    slug, official = await fan_out(pool, FAN_OUT)
    rng = random.Random(2026)
    for _ in range(KILLS):
        worker.start()
        await asyncio.sleep(rng.uniform(0.3, 1.5))
        worker.kill()
        await let_time_pass(pool, slug)
    worker.start()
    sent = await wait_until_sent(pool, slug, FAN_OUT)
    worker.stop()

    copies = copies_by_message_id(smtp, official)
    assert sent == FAN_OUT, "0 lost"
    assert len(copies) == FAN_OUT, "every delivery arrived, each under its one Message-ID"
    raw_resends = sum(n - 1 for n in copies.values())
    # A kill catches the sends in flight (one per sending slot) and those that ended while
    # the last record was being written; everything before is recorded.
    assert raw_resends <= KILLS * 2 * SEND_SLOTS
    print(f"kill -9 x{KILLS}: {FAN_OUT} delivered, {raw_resends} raw resends (same Message-ID)")  # noqa: T201


async def test_a_wiped_redis_costs_latency_only(
    pool: Pool, smtp: RecordingHandler, worker: WorkerProcess, redis_client: redis.asyncio.Redis
) -> None:
    slug, official = await fan_out(pool, FAN_OUT)
    worker.start()
    await wait_until_sent(pool, slug, FAN_OUT // 4)
    await redis_client.flushall()
    await let_time_pass(pool, slug)
    sent = await wait_until_sent(pool, slug, FAN_OUT)  # the sweeper runs every 15 s
    worker.stop()
    assert sent == FAN_OUT
    assert len(copies_by_message_id(smtp, official)) == FAN_OUT


async def test_an_smtp_server_that_refuses_drops_and_hangs_up(
    pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug, official = await fan_out(pool, 200)
    rng = random.Random(7)
    faults = ["451 4.3.0 Try later"] * 10 + ["421 4.7.0 Busy"] * 10 + ["554 5.7.1 Refused"] * 2
    faults += [TAKE_AND_HANG_UP] * 10
    smtp.script.extend(rng.sample(faults + ["accept"] * 168, 200))
    await let_time_pass(pool, slug)  # their wake-ups were never rung: the sweeper finds them
    for _ in range(5):
        await drain()
    statuses = Counter(
        row["status"]
        for row in await pool.fetch(
            """SELECT d.status FROM deliveries d JOIN actions a ON a.id = d.action_id
               WHERE a.slug = $1""",
            slug,
        )
    )
    assert statuses == {"sent": 198, "failed": 2}, "only the two refused for good are lost"
    copies = copies_by_message_id(smtp, official)
    assert len(copies) == 198
    assert sum(n - 1 for n in copies.values()) == 10, "one raw resend per hang-up after DATA"
