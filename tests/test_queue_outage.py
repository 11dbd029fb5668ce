"""The queue's outages (docs/operations.md, "When Valkey is down"): a worker rides out a
Valkey killed and started again, or one that hangs (accepts connections, never answers),
sending from PostgreSQL meanwhile; the web keeps signing at a bounded cost, loses no wake-up,
and uses Valkey again once it is back, without a restart.

Each test runs a Valkey of its own on a Unix socket, so the session's shared one is never
touched. The worker runs as the production command in a process of its own
(tests/test_fault_battery.py), with its log in a file: an outage must be said there once, and
its end once.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from uuid import UUID

import httpx
import pytest
import redis
from asgi_lifespan import LifespanManager

from campaign_engine import jobs
from campaign_engine.app import create_app
from campaign_engine.db.pool import Pool
from campaign_engine.domain.delivery.deliveries import SWEEP_GRACE
from campaign_engine.drill.servers import KillableValkey
from campaign_engine.security.proof_of_work import solve
from campaign_engine.settings import Settings
from tests.conftest import http_client
from tests.factories import email_key, make_action, unique_email
from tests.smtp import STALL, RecordingHandler
from tests.test_fault_battery import WorkerProcess, copies_by_message_id, fan_out, wait_until_sent

# A battery: `make test` leaves it to `make test-slow` and CI.
pytestmark = pytest.mark.slow

OUTAGE = "queue unreachable since"
RECOVERY = "queue reachable again"
# What a request may take while Valkey is gone or hung, however it fails: generous, since
# the machine is shared; without a bound on reads, a hung Valkey held a request forever.
ANSWER_WITHIN = 20.0
APPEALS = 1500


@pytest.fixture
def valkey() -> Iterator[KillableValkey]:
    """A private Valkey, not started: each test says when it runs."""
    server = KillableValkey()
    yield server
    server.stop()


class LoggedWorker(WorkerProcess):
    """`campaign-engine worker` at LOG_LEVEL=INFO, its log kept in a file."""

    def __init__(self, settings: Settings, log: Path) -> None:
        super().__init__(settings)
        self.environ["LOG_LEVEL"] = "INFO"
        self.log_path = log

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "campaign_engine", "worker"],
                env=self.environ,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def lines_with(self, text: str) -> list[str]:
        return [line for line in self.log().splitlines() if text in line]


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


@pytest.fixture
async def app_on(settings: Settings, valkey: KillableValkey) -> AsyncIterator[httpx.AsyncClient]:
    """The app, started against the private Valkey whether that answers or not."""
    app = create_app(replace(settings, redis_url=valkey.url))
    async with LifespanManager(app) as manager, http_client(manager.app) as client:
        yield client


async def sign_form(client: httpx.AsyncClient, slug: str, email: str, **extra: str) -> int:
    async with asyncio.timeout(ANSWER_WITHIN):
        response = await client.post(
            f"/en/actions/{slug}/sign",
            data={"name": "Ana", "email": email, "country": "MX", **extra},
        )
    return response.status_code


async def sign_api(client: httpx.AsyncClient, slug: str, email: str) -> int:
    async with asyncio.timeout(ANSWER_WITHIN):
        response = await client.post(
            f"/api/v1/actions/{slug}/signatures",
            json={"name": "Amina", "email": email, "country": "NG"},
        )
    return response.status_code


async def confirmation_delivery(pool: Pool, email: str) -> UUID | None:
    """The confirmation email's outbox row of the one signature made with `email`."""
    found: UUID | None = await pool.fetchval(
        """SELECT d.id FROM deliveries d
           JOIN signatures s ON s.id = d.signature_id
           JOIN supporters p ON p.id = s.supporter_id
           WHERE p.email_key = $1""",
        email_key(email),
    )
    return found


async def until(condition: object, seconds: float = 60) -> bool:
    """Polls `condition` (a callable, sync or async) until it holds or `seconds` pass."""
    assert callable(condition)
    for _ in range(int(seconds * 5)):
        held = condition()
        if asyncio.iscoroutine(held):
            held = await held
        if held:
            return True
        await asyncio.sleep(0.2)
    return False


def received(smtp: RecordingHandler, addresses: list[str]) -> bool:
    return all(smtp.to(address) for address in addresses)


def copies(smtp: RecordingHandler, addresses: list[str]) -> Counter[str]:
    """How many times each Message-ID arrived, over the messages to `addresses`."""
    return Counter(
        str(message["Message-ID"]) for address in addresses for message in smtp.to(address)
    )


async def redis_answers(client: httpx.AsyncClient) -> bool:
    checks: dict[str, bool] = (await client.get("/readyz")).json()["checks"]
    return checks["redis"]


async def test_a_worker_rides_out_a_valkey_restart(
    settings: Settings,
    pool: Pool,
    smtp: RecordingHandler,
    valkey: KillableValkey,
    worker_log: Path,
) -> None:
    valkey.start()
    worker = LoggedWorker(replace(settings, redis_url=valkey.url), worker_log)
    slug = await make_action(pool, locales=("en",))
    before, during, after = [unique_email()], [unique_email(), unique_email()], [unique_email()]
    app = create_app(replace(settings, redis_url=valkey.url))
    async with LifespanManager(app) as manager, http_client(manager.app) as client:
        worker.start()
        try:
            assert await sign_form(client, slug, before[0]) == 303
            assert await until(lambda: received(smtp, before)), "sent through the queue"

            valkey.kill()
            assert await sign_form(client, slug, during[0]) == 303
            assert await sign_api(client, slug, during[1]) == 202
            # Their wake-ups are lost with the queue: the worker's sweep of PostgreSQL finds
            # them once SWEEP_GRACE has passed (within 30 s), and sends them itself.
            assert await until(lambda: received(smtp, during)), "sent while Valkey is down"
            assert valkey.process is None
            assert worker.alive()

            valkey.start()  # the same socket, empty
            assert await until(lambda: worker.lines_with(RECOVERY)), worker.log()
            assert await until(lambda: redis_answers(client)), "the app uses Valkey again"
            assert await sign_form(client, slug, after[0]) == 303
            assert await until(lambda: received(smtp, after), seconds=20)
            delivery = await confirmation_delivery(pool, after[0])
            assert worker.lines_with(f"delivery:{delivery}:0:send_deliveries"), (
                "the new signature's wake-up travelled through the queue again"
            )
            assert worker.alive()
        finally:
            worker.stop()

    assert worker.process is not None
    assert worker.process.returncode == 0, "a clean stop"
    assert len(worker.lines_with(OUTAGE)) == 1, worker.log()
    assert "sending from PostgreSQL meanwhile" in worker.lines_with(OUTAGE)[0]
    assert len(worker.lines_with(RECOVERY)) == 1, worker.log()
    assert "Traceback" not in worker.log()
    everyone = before + during + after
    sent = copies(smtp, everyone)
    assert list(sent.values()) == [1] * len(everyone), "each sent, once"


async def test_a_worker_rides_out_a_valkey_that_hangs(
    settings: Settings,
    pool: Pool,
    smtp: RecordingHandler,
    valkey: KillableValkey,
    worker_log: Path,
) -> None:
    """A hung Valkey accepts connections and never answers: without a bound on reads the
    worker waited for it forever, sending nothing, and never said so."""
    valkey.start()
    worker = LoggedWorker(replace(settings, redis_url=valkey.url), worker_log)
    slug = await make_action(pool, locales=("en",))
    during, after = [unique_email(), unique_email()], [unique_email()]
    app = create_app(replace(settings, redis_url=valkey.url))
    async with LifespanManager(app) as manager, http_client(manager.app) as client:
        worker.start()
        try:
            assert await until(lambda: worker.lines_with("Starting worker"))
            valkey.freeze()
            assert await sign_form(client, slug, during[0]) == 303
            assert await sign_api(client, slug, during[1]) == 202
            assert await until(lambda: received(smtp, during)), "sent while Valkey hangs"
            assert worker.alive()

            valkey.thaw()
            assert await until(lambda: worker.lines_with(RECOVERY)), worker.log()
            assert await until(lambda: redis_answers(client))
            assert await sign_api(client, slug, after[0]) == 202
            assert await until(lambda: received(smtp, after), seconds=20)
            delivery = await confirmation_delivery(pool, after[0])
            assert worker.lines_with(f"delivery:{delivery}:0:send_deliveries")
        finally:
            worker.stop()

    assert len(worker.lines_with(OUTAGE)) == 1, worker.log()
    assert len(worker.lines_with(RECOVERY)) == 1, worker.log()
    assert "Traceback" not in worker.log()
    sent = copies(smtp, during + after)
    assert list(sent.values()) == [1] * 3, "each sent, once"


async def test_a_worker_rides_out_a_valkey_that_refuses_writes(
    settings: Settings,
    pool: Pool,
    smtp: RecordingHandler,
    valkey: KillableValkey,
    worker_log: Path,
) -> None:
    """Out of memory under `noeviction`, Valkey answers PING and refuses every write: the
    queue is down all the same, and stays down, said once, until writes are taken again."""
    valkey.start()
    worker = LoggedWorker(replace(settings, redis_url=valkey.url), worker_log)
    slug = await make_action(pool, locales=("en",))
    during, after = [unique_email()], [unique_email()]
    app = create_app(replace(settings, redis_url=valkey.url))
    with redis.Redis(unix_socket_path=str(valkey.socket)) as admin:
        async with LifespanManager(app) as manager, http_client(manager.app) as client:
            worker.start()
            try:
                assert await until(lambda: worker.lines_with("Starting worker"))
                admin.config_set("maxmemory", 1)
                assert await until(lambda: worker.lines_with(OUTAGE)), worker.log()
                assert await sign_api(client, slug, during[0]) == 202
                assert await until(lambda: received(smtp, during)), "sent from PostgreSQL"

                admin.config_set("maxmemory", 0)
                assert await until(lambda: worker.lines_with(RECOVERY)), worker.log()
                assert await until(lambda: redis_answers(client))
                assert await sign_api(client, slug, after[0]) == 202
                delivery = await confirmation_delivery(pool, after[0])
                job = f"delivery:{delivery}:0:send_deliveries"
                assert await until(lambda: worker.lines_with(job), seconds=20)
            finally:
                worker.stop()
    assert len(worker.lines_with(OUTAGE)) == 1, worker.log()
    assert "OutOfMemoryError" in worker.lines_with(OUTAGE)[0]
    assert len(worker.lines_with(RECOVERY)) == 1, worker.log()
    assert list(copies(smtp, during + after).values()) == [1, 1]


async def test_a_fan_out_in_flight_when_valkey_dies_is_sent_once(
    settings: Settings,
    pool: Pool,
    smtp: RecordingHandler,
    valkey: KillableValkey,
    worker_log: Path,
) -> None:
    """Fifteen jobs of a hundred appeals rung through the queue, one worker taking ten at a
    time; Valkey dies while sixteen sends sit in a slow mail server. The ten jobs in hand go
    on, and record in PostgreSQL (arq's own bookkeeping of them fails, and is let go); the
    five still in Valkey are lost with it, and the worker's sweep finds their rows. Every
    appeal arrives, each exactly once."""
    valkey.start()
    slug, official = await fan_out(pool, APPEALS)
    ids = [
        row["id"]
        for row in await pool.fetch(
            """SELECT d.id FROM deliveries d JOIN actions a ON a.id = d.action_id
           WHERE a.slug = $1 AND d.status = 'pending'""",
            slug,
        )
    ]
    smtp.script.extend(["accept"] * 100 + [STALL] * 16)  # STALL: five seconds, then taken
    connection = await jobs.connect(valkey.url)
    try:
        await jobs.JobQueue(connection).wake_deliveries(ids)
    finally:
        await connection.aclose()
    worker = LoggedWorker(replace(settings, redis_url=valkey.url), worker_log)
    worker.start()
    try:
        assert await wait_until_sent(pool, slug, 100) >= 100
        valkey.kill()
        assert await wait_until_sent(pool, slug, APPEALS, seconds=90) == APPEALS
        assert valkey.process is None
        assert worker.alive()
    finally:
        worker.stop()
    # The test server answers a stalled message and does not keep it: any second copy of one
    # would be kept, as would any second copy of the others.
    assert list(copies_by_message_id(smtp, official).values()) == [1] * (APPEALS - 16)
    assert len(worker.lines_with(OUTAGE)) == 1, worker.log()
    assert worker.lines_with("sweeper woke"), "the lost jobs' rows were found in PostgreSQL"
    assert "Traceback" not in worker.log()


@pytest.mark.parametrize("trouble", ["gone", "hung"])
async def test_a_worker_stops_cleanly_while_valkey_is_down(
    settings: Settings, valkey: KillableValkey, worker_log: Path, trouble: str
) -> None:
    """arq's own close says goodbye to Redis before it closes what the start-up opened; with
    Redis gone or hung, the worker still closes those and exits at once, and cleanly."""
    if trouble == "hung":
        valkey.start()
        valkey.freeze()
    worker = LoggedWorker(replace(settings, redis_url=valkey.url), worker_log)
    worker.start()
    try:
        assert await until(lambda: worker.lines_with(OUTAGE)), worker.log()
    finally:
        worker.stop()  # SIGTERM; a SIGKILL after 20 s would leave returncode -9
    assert worker.process is not None
    assert worker.process.returncode == 0, worker.log()
    assert "Traceback" not in worker.log()


async def make_overdue(pool: Pool, slug: str) -> None:
    """Let SWEEP_GRACE pass for the action's fresh rows, as the clock would (the first test
    waits it out for real)."""
    await pool.execute(
        """UPDATE deliveries d SET next_attempt_at = d.next_attempt_at - $2::interval
           FROM signatures s JOIN actions a ON a.id = s.action_id
           WHERE s.id = d.signature_id AND a.slug = $1 AND d.status = 'pending'""",
        slug,
        SWEEP_GRACE,
    )


async def test_the_web_signs_while_valkey_is_gone_and_uses_it_again_once_back(
    settings: Settings,
    pool: Pool,
    smtp: RecordingHandler,
    valkey: KillableValkey,
    app_on: httpx.AsyncClient,
    worker_log: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The app starts with nothing at its Valkey address, signs (form and API), and keeps
    every row; a worker started meanwhile sends them from PostgreSQL."""
    slug = await make_action(pool, locales=("en",))
    signers = [unique_email(), unique_email()]
    assert await sign_form(app_on, slug, signers[0]) == 303
    assert await sign_api(app_on, slug, signers[1]) == 202
    for email in signers:
        assert await confirmation_delivery(pool, email) is not None, "the row and its delivery"
    ready = await app_on.get("/readyz")
    assert ready.json()["checks"] == {"postgresql": True, "migrations": True, "redis": False}
    assert ready.status_code == 200, "signatures are kept: no reason to leave the balancer"
    outages = [r for r in caplog.records if OUTAGE in r.getMessage()]
    assert [r.levelno for r in outages] == [logging.WARNING], "said once"

    worker = LoggedWorker(replace(settings, redis_url=valkey.url), worker_log)
    await make_overdue(pool, slug)
    worker.start()  # into the outage
    try:
        assert await until(lambda: received(smtp, signers)), worker.log()

        valkey.start()
        assert await until(lambda: redis_answers(app_on)), "the app uses Valkey again"
        late = unique_email()
        assert await sign_form(app_on, slug, late) == 303
        delivery = await confirmation_delivery(pool, late)
        assert await until(lambda: worker.lines_with(f"delivery:{delivery}:0:send_deliveries")), (
            "its wake-up went through the queue"
        )
        assert await until(lambda: received(smtp, [late]), seconds=20)
    finally:
        worker.stop()
    assert len(worker.lines_with(OUTAGE)) == 1
    sent = copies(smtp, [*signers, late])
    assert list(sent.values()) == [1] * 3, "each sent, once"


async def test_the_web_answers_in_bounded_time_while_valkey_hangs(
    pool: Pool, valkey: KillableValkey, caplog: pytest.LogCaptureFixture, settings: Settings
) -> None:
    """Each Redis call gives up after a bound, and once one has, the app does not wait on
    Redis again until a backed-off probe: ten signatures, one wait at most."""
    valkey.start()
    valkey.freeze()
    app = create_app(replace(settings, redis_url=valkey.url))
    slug = await make_action(pool, locales=("en",))
    signers = [unique_email() for _ in range(10)]
    async with LifespanManager(app) as manager, http_client(manager.app) as client:
        async with asyncio.timeout(2 * ANSWER_WITHIN):
            for n, email in enumerate(signers):
                sign = sign_form if n % 2 else sign_api
                assert await sign(client, slug, email) in (202, 303)
        valkey.thaw()
        assert await until(lambda: redis_answers(client), seconds=15)
    for email in signers:
        assert await confirmation_delivery(pool, email) is not None
    assert len([r for r in caplog.records if OUTAGE in r.getMessage()]) == 1


async def test_while_valkey_is_down_limits_are_off_and_a_proof_of_work_counts_once(
    pool: Pool, valkey: KillableValkey, settings: Settings
) -> None:
    """The two deliberate choices: the per-client limit lets everyone through (it sheds load;
    fraud is caught in PostgreSQL, docs/abuse.md), and a solved challenge is remembered in
    this process instead of Redis, so replaying it is still suspected."""
    app = create_app(replace(settings, redis_url=valkey.url, signatures_per_client=1))
    slug = await make_action(pool, locales=("en",))
    await pool.execute("UPDATE actions SET proof_of_work = 'on' WHERE slug = $1", slug)
    async with LifespanManager(app) as manager, http_client(manager.app, "192.0.2.77") as client:
        assert [await sign_api(client, slug, unique_email()) for _ in range(3)] == [202] * 3

        fresh = (await client.get("/proof-of-work")).json()["challenge"]
        proof = {"pow_challenge": fresh, "pow_nonce": solve(fresh)}
        first, replay = unique_email(), unique_email()
        assert await sign_form(client, slug, first, **proof) == 303
        assert await sign_form(client, slug, replay, **proof) == 303
        suspicions = [
            await pool.fetchval(
                """SELECT s.suspicion FROM signatures s JOIN supporters p
                   ON p.id = s.supporter_id WHERE p.email_key = $1""",
                email_key(email),
            )
            for email in (first, replay)
        ]
        assert suspicions == [None, "proof_of_work"]

        valkey.start()
        assert await until(lambda: redis_answers(client), seconds=15)
        answers = [await sign_api(client, slug, unique_email()) for _ in range(2)]
        assert answers == [202, 429], "back in Redis, the limit holds again"
