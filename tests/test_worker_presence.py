"""A worker that starts takes back the rows its dead predecessor held within seconds, not a
lease later, and never the rows of a worker that lives (migration 0019, Presence).

Both holders are processes of their own (tests/holder.py): each registers as a worker and
claims rows in its name; one is killed with `kill -9` mid-send, the other lives on. Then
`campaign-engine worker` starts. Among the dead one's rows, two texts had reached Twilio and
one attempt was noted without its text going: the restarted worker looks each up before
sending, so every row's text reaches Twilio once.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from uuid import UUID

import pytest

from campaign_engine.db.pool import Pool
from campaign_engine.domain.delivery.deliveries import LEASE
from campaign_engine.settings import Settings
from tests.factories import add_target, make_action, make_confirmed_signatures
from tests.test_fault_battery import WorkerProcess
from tests.test_text_fault_battery import texting_worker
from tests.twilio import TwilioRecord, TwilioStandIn

# A battery: `make test` leaves it to `make test-slow` and CI.
pytestmark = pytest.mark.slow


class Holder:
    """tests/holder.py in a process of its own."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.environ = environ
        self.process: asyncio.subprocess.Process | None = None
        self.worker_id = ""

    async def hold(self, delivery_ids: list[UUID], *, sent: int = 0, noted: int = 0) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.holder",
            str(sent),
            str(noted),
            *[str(id_) for id_ in delivery_ids],
            env=self.environ,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = (await self.process.stdout.readline()).decode()
        assert line.startswith("holding "), "the holder claimed its rows"
        self.worker_id = line.split()[1]

    async def kill(self) -> None:
        """`kill -9`: its connection closes with it, and PostgreSQL frees its lock."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()


@pytest.fixture
async def worker(settings: Settings, twilio_server: TwilioStandIn) -> AsyncIterator[WorkerProcess]:
    process = texting_worker(settings, twilio_server)
    yield process
    process.stop()


@pytest.fixture
async def holders(worker: WorkerProcess) -> AsyncIterator[tuple[Holder, Holder]]:
    dead, live = Holder(worker.environ), Holder(worker.environ)
    yield dead, live
    await dead.kill()
    await live.kill()


async def appeals_by_text(pool: Pool, count: int) -> list[UUID]:
    """`count` appeals by text to one official, released; nobody rings for them."""
    slug = await make_action(pool)
    target_id, _phone = await add_target(pool, slug, channel="sms", preferred_locale="fr")
    await make_confirmed_signatures(pool, slug, count)
    rows = await pool.fetch(
        """UPDATE deliveries SET status = 'pending', released_at = now(), next_attempt_at = now()
           WHERE target_id = $1 AND status = 'scheduled' RETURNING id""",
        target_id,
    )
    return [row["id"] for row in rows]


async def all_sent(pool: Pool, ids: list[UUID]) -> bool:
    sent: int = await pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE id = ANY($1::uuid[]) AND status = 'sent'", ids
    )
    return sent == len(ids)


async def sent_before(pool: Pool, ids: list[UUID], lease_ends: float) -> bool:
    """Whether the rows are all sent a little before a lease that ends at `lease_ends` (on
    the monotonic clock) would have freed them: a margin of a tenth of a lease, so that a
    take-back through the lease itself can never pass for one through presence. Waits by
    the clock, not by a count of polls, which a busy machine would stretch."""
    deadline = lease_ends - LEASE.total_seconds() / 10
    while time.monotonic() < deadline:
        if await all_sent(pool, ids):
            return True
        await asyncio.sleep(0.1)
    return await all_sent(pool, ids)


async def test_a_restarted_worker_takes_back_a_dead_workers_rows_and_leaves_a_live_ones(
    pool: Pool,
    twilio: TwilioRecord,
    worker: WorkerProcess,
    holders: tuple[Holder, Holder],
) -> None:
    dead, live = holders
    ids = await appeals_by_text(pool, 9)
    dead_rows, live_rows = ids[:6], ids[6:]
    await live.hold(live_rows)
    await dead.hold(dead_rows, sent=2, noted=1)
    # A worker that only waited out the dead one's lease would send nothing before it ends.
    lease_ends = time.monotonic() + LEASE.total_seconds()
    assert len(twilio.all()) == 2
    await dead.kill()
    worker.start()
    killed = time.monotonic()
    sent = await sent_before(pool, dead_rows, lease_ends)
    took = time.monotonic() - killed
    assert sent, f"the dead worker's rows wait out the {LEASE} lease"
    # Its registration went in the same transaction as its rows; the live one's stays.
    registered = {str(row["id"]) for row in await pool.fetch("SELECT id FROM workers")}
    assert dead.worker_id not in registered
    assert live.worker_id in registered
    await asyncio.sleep(2)  # two more beats: a live worker's rows must still be left alone

    kept = await pool.fetch(
        "SELECT status, leased_by FROM deliveries WHERE id = ANY($1::uuid[])", live_rows
    )
    assert [(row["status"], str(row["leased_by"])) for row in kept] == [
        ("sending", live.worker_id)
    ] * len(live_rows)
    texts = Counter(str(text.status_callback).rpartition("d=")[2] for text in twilio.all())
    assert texts == {str(id_): 1 for id_ in dead_rows}, "each of the dead one's texts once"
    assert twilio.lists_read >= 3, "the two sent and the one noted were looked up first"
    print(f"the dead worker's rows were sent {took:.1f} s after it died")  # noqa: T201

    await live.kill()  # now that one dies too: its rows are taken back in turn
    await sent_before(pool, live_rows, time.monotonic() + LEASE.total_seconds())
    worker.stop()
    texts = Counter(str(text.status_callback).rpartition("d=")[2] for text in twilio.all())
    assert texts == {str(id_): 1 for id_ in ids}
