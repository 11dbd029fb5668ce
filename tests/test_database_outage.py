"""When PostgreSQL goes away under a running app: a 503 with `Retry-After` in the reader's
language (never a 500), public pages from what the process already holds, one warning for the
whole outage, and the same process working again once the database is back.

The tests run a PostgreSQL of their own and stop it the hard way (`pg_ctl -m immediate`: no
goodbye to the clients, crash recovery on the next start), so no other test loses its database.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import asyncpg
import httpx
import markupsafe
import pytest
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from campaign_engine import i18n
from campaign_engine.app import create_app
from campaign_engine.db.migrate import migrate
from campaign_engine.db.pool import Pool, create_pool
from campaign_engine.dev.embedded import EmbeddedServers
from campaign_engine.drill.servers import StoppablePostgres
from campaign_engine.models.workspace import Role
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from campaign_engine.web.errors import ERRORS, RETRY_AFTER_SECONDS
from campaign_engine.web.last_good import LastGoodPages
from tests.conftest import TEST_SEALER, TEST_SECRET, http_client, make_settings
from tests.factories import email_key, make_action, unique_email
from tests.smtp import RecordingHandler, SmtpTestServer
from tests.staff import signed_in
from tests.test_queue_outage import LoggedWorker, until

# A battery: `make test` leaves it to `make test-slow` and CI.
pytestmark = pytest.mark.slow

UNREACHABLE = "database unreachable: "
REACHABLE = "database reachable again after "


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoppablePostgres]:
    servers = EmbeddedServers()
    data = tmp_path_factory.mktemp("outage") / "pg"
    yield StoppablePostgres.embedded(servers, data)
    servers.stop()


@pytest.fixture(scope="module")
async def database_url(postgres: StoppablePostgres) -> str:
    conn = await asyncpg.connect(postgres.url)
    await conn.execute("CREATE DATABASE outage")
    await conn.close()
    url = postgres.url.replace("/postgres?", "/outage?")
    conn = await asyncpg.connect(url)
    await migrate(conn)
    await conn.close()
    return url


@pytest.fixture(scope="module")
def outage_settings(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return make_settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DATA_DIR=str(tmp_path_factory.mktemp("outage-data")),
        # Many signatures from one address in a minute: not what these tests are about.
        SIGNATURES_PER_CLIENT="0",
        CLIENT_BURST_PER_ACTION="0",
        CLIENT_HOURLY_PER_ACTION="0",
    )


@pytest.fixture(scope="module")
async def own_pool(database_url: str) -> AsyncIterator[Pool]:
    """For making actions and counting rows; it lives through the outages too."""
    pool = await create_pool(database_url, sealer=TEST_SEALER)
    yield pool
    await pool.close()


@pytest.fixture
async def app(outage_settings: Settings, postgres: StoppablePostgres) -> AsyncIterator[ASGIApp]:
    """A fresh app (so a fresh memory of pages and of outages) for each test, on a running
    database even if the test before failed while it was stopped."""
    await asyncio.to_thread(postgres.start)
    async with LifespanManager(create_app(outage_settings)) as manager:
        yield manager.app


def outage_lines(caplog: pytest.LogCaptureFixture, since: int = 0) -> list[str]:
    return [r.getMessage() for r in caplog.records[since:] if r.levelno >= logging.WARNING]


def translated(settings: Settings, tag: str, message: str) -> str:
    """`message` as the app shows it to a reader of `tag`, escaped as in a page."""
    with i18n.Catalogues(settings.locales_dir).activate(tag):
        return str(markupsafe.escape(i18n.gettext(message)))


async def sign(client: httpx.AsyncClient, slug: str, email: str, locale: str = "fr") -> int:
    form = {"name": "Amina Diallo", "email": email, "country": "SN"}
    response = await client.post(f"/{locale}/actions/{slug}/sign", data=form)
    return response.status_code


async def signed_emails(pool: Pool, slug: str, emails: list[str]) -> set[str]:
    """Which of `emails` have a signature on the action."""
    keys = {email_key(email): email for email in emails}
    rows = await pool.fetch(
        """SELECT su.email_key FROM signatures s
           JOIN actions a ON a.id = s.action_id JOIN supporters su ON su.id = s.supporter_id
           WHERE a.slug = $1 AND su.email_key = ANY($2::bytea[])""",
        slug,
        list(keys),
    )
    return {keys[row["email_key"]] for row in rows}


def assert_unavailable(response: httpx.Response, settings: Settings, tag: str, code: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["cache-control"] == "no-store"
    if response.headers["content-type"].startswith("application/json"):
        error = response.json()["error"]
        assert error["code"] == "unavailable"
        with i18n.Catalogues(settings.locales_dir).activate(tag):
            assert error["message"] == i18n.gettext(ERRORS[code].message)
    else:
        assert f'<html lang="{tag}" dir="{i18n.text_direction(tag)}">' in response.text
        assert translated(settings, tag, ERRORS[code].title) in response.text
        assert translated(settings, tag, ERRORS[code].message) in response.text


async def test_an_outage_is_a_503_in_the_readers_language_and_the_app_recovers(
    app: ASGIApp,
    own_pool: Pool,
    postgres: StoppablePostgres,
    outage_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen, unseen = await make_action(own_pool), await make_action(own_pool)
    campaigner = await signed_in(app, own_pool, Role.CAMPAIGNER)
    client = http_client(app)
    async with client, campaigner.client:
        # What readers saw before: kept by the process, each page as last answered.
        before = {
            path: await client.get(path)
            for path in (
                f"/fr/actions/{seen}",
                f"/api/v1/actions/{seen}/count",
                "/ar/",
                f"/es/cases/case-{seen}",
            )
        }
        assert {response.status_code for response in before.values()} == {200}
        assert (await campaigner.client.get("/admin")).status_code == 200

        await asyncio.to_thread(postgres.stop)
        start = len(caplog.records)

        signer = unique_email("amina")
        form = await client.post(
            f"/fr/actions/{seen}/sign",
            data={"name": "Amina Diallo", "email": signer, "country": "SN"},
        )
        assert_unavailable(form, outage_settings, "fr", "unavailable_signature")
        api = await client.post(
            f"/api/v1/actions/{seen}/signatures",
            json={"name": "Amina Diallo", "email": unique_email(), "country": "SN"},
            headers={"Accept-Language": "ar"},
        )
        assert_unavailable(api, outage_settings, "ar", "unavailable_signature")
        never_seen = await client.get(f"/ar/actions/{unseen}")
        assert_unavailable(never_seen, outage_settings, "ar", "unavailable")
        count = await client.get(f"/api/v1/actions/{unseen}/count?locale=fr")
        assert_unavailable(count, outage_settings, "fr", "unavailable")
        link = Tokens(TEST_SECRET).confirmation_token(uuid.uuid4())
        confirming = await client.get(f"/confirm/{link}", headers={"Accept-Language": "es"})
        assert_unavailable(confirming, outage_settings, "es", "unavailable_confirmation")
        privacy = await client.post("/ru/privacy", data={"email": unique_email()})
        assert_unavailable(privacy, outage_settings, "ru", "unavailable_unsaved")
        workspace = await campaigner.client.get("/admin", headers={"Accept-Language": "fr"})
        assert_unavailable(workspace, outage_settings, "fr", "unavailable")
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        assert ready.json()["checks"]["postgresql"] is False

        for path, earlier in before.items():
            remembered = await client.get(path)
            assert remembered.status_code == 200, path
            assert remembered.content == earlier.content
            assert remembered.headers["cache-control"] == earlier.headers["cache-control"]
            assert remembered.headers.get("content-language") == earlier.headers.get(
                "content-language"
            )
            assert int(remembered.headers["age"]) >= 0
            assert "retry-after" not in remembered.headers
        # A page that carries a query string is never kept: it may hold anything.
        assert (await client.get(f"/fr/actions/{seen}?source=mail")).status_code == 503

        during = outage_lines(caplog, start)
        assert len(during) == 1, during
        assert during[0].startswith(UNREACHABLE)
        assert not any(record.exc_info for record in caplog.records[start:])
        assert "amina" not in caplog.text.lower()

        await asyncio.to_thread(postgres.start)
        restart = len(caplog.records)
        assert await sign(client, seen, signer) == 303
        assert await signed_emails(own_pool, seen, [signer]) == {signer}
        assert (await client.get(f"/ar/actions/{unseen}")).status_code == 200
        assert (await campaigner.client.get("/admin")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
        after = outage_lines(caplog, restart)
        assert len(after) == 1, after
        assert after[0].startswith(REACHABLE)


async def test_every_signature_answered_303_has_its_row_through_a_flapping_database(
    app: ASGIApp, own_pool: Pool, postgres: StoppablePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    """Signatures sent while the database stops, while it is down and once it is back: a
    303 always means a row, and every answer is a 303 or a 503 (never a 500); each outage
    is said once, and its end once."""
    slug = await make_action(own_pool)
    answers: dict[str, int] = {}

    async def signing(emails: list[str], *, then_stop_after: int | None = None) -> None:
        """Sign with each address at once; with `then_stop_after`, stop the database as soon
        as that many have been answered, while the others are on their way."""
        answered = asyncio.Event()

        async def one(email: str) -> None:
            answers[email] = await sign(client, slug, email)
            if len(answers) >= threshold:
                answered.set()

        async def stopper() -> None:
            await answered.wait()
            await asyncio.to_thread(postgres.stop)

        threshold = len(answers) + (then_stop_after or 0)
        stopping = [stopper()] if then_stop_after is not None else []
        await asyncio.gather(*(one(email) for email in emails), *stopping)

    def batch(size: int) -> list[str]:
        return [f"flap.{uuid.uuid4().hex[:10]}@example.org" for _ in range(size)]

    start = len(caplog.records)
    async with http_client(app) as client:
        for _round in range(3):
            await signing(batch(5))
            # The stop lands among these: before, during or after a transaction.
            await signing(batch(30), then_stop_after=5)
            await signing(batch(5))
            await asyncio.to_thread(postgres.start)
        await signing(batch(5))

    assert set(answers.values()) == {303, 503}
    accepted = {email for email, status in answers.items() if status == 303}
    kept = await signed_emails(own_pool, slug, list(answers))
    assert accepted <= kept, "a supporter was told their signature was taken, and it was not"
    # The other way round cannot be promised: a COMMIT the server made as it died has no
    # answer, so some 503s (which say "may not have been saved") do have their row.
    lines = outage_lines(caplog, start)
    assert all(line.startswith((UNREACHABLE, REACHABLE)) for line in lines), lines
    assert [line.startswith(UNREACHABLE) for line in lines] == [True, False] * (len(lines) // 2)
    assert len(lines) >= 6


class CuttingProxy:
    """A TCP door to the PostgreSQL socket that can cut one connection just after the server
    has answered with a given message: the app reads that answer, then its connection dies."""

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.cut_after: bytes | None = None
        self.cuts = 0

    async def serve(self) -> asyncio.Server:
        return await asyncio.start_server(self._relay, "127.0.0.1", 0)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_unix_connection(self.socket)

        async def pipe(
            source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, watch: bool
        ) -> None:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
                if watch and self.cut_after is not None and self.cut_after in data:
                    self.cut_after, self.cuts = None, self.cuts + 1
                    break
            writer.close()
            upstream_writer.close()

        await asyncio.gather(
            pipe(reader, upstream_writer, watch=False),
            pipe(upstream_reader, writer, watch=True),
            return_exceptions=True,
        )


async def test_a_signature_committed_just_before_its_connection_dies_is_answered_303(
    postgres: StoppablePostgres, database_url: str, outage_settings: Settings, own_pool: Pool
) -> None:
    """The connection dies just after the COMMIT was answered, as the pool takes it back for
    the next borrower: the signature is saved, so the signer must hear so (it was a 500 once,
    and a 503 saying "may not have been saved" would be just as wrong)."""
    socket = database_url.split("host=", 1)[1] + "/.s.PGSQL.5432"
    proxy = CuttingProxy(socket)
    server = await proxy.serve()
    port = server.sockets[0].getsockname()[1]
    proxied = replace(
        outage_settings, database_url=f"postgresql://postgres@127.0.0.1:{port}/outage"
    )
    slug, signer = await make_action(own_pool), unique_email("cut")
    try:
        async with (
            LifespanManager(create_app(proxied)) as manager,
            http_client(manager.app) as client,
        ):
            # The server's answer to a COMMIT: its CommandComplete tag.
            proxy.cut_after = b"COMMIT\x00"
            assert await sign(client, slug, signer) == 303
            assert proxy.cuts == 1
            assert await signed_emails(own_pool, slug, [signer]) == {signer}
            # The pool opened a fresh connection for whoever came next.
            assert (await client.get(f"/en/actions/{slug}")).status_code == 200
    finally:
        server.close()
        await server.wait_closed()


def test_the_memory_of_pages_is_bounded_by_count_and_bytes() -> None:
    headers = ((b"cache-control", b"public, max-age=0, stale-if-error=600"),)
    pages = LastGoodPages(max_pages=3, max_bytes=10_000)
    for number in range(5):
        pages.remember(f"/en/actions/a{number}", headers, b"x" * 1000, 600)
    assert len(pages) == 3
    assert pages.size == 3000
    get = {"type": "http", "method": "GET", "query_string": b""}
    assert pages.recall({**get, "path": "/en/actions/a0"}) is None, "the oldest went first"
    assert pages.recall({**get, "path": "/en/actions/a4"}) is not None
    for number in range(3):
        pages.remember(f"/fr/actions/b{number}", headers, b"y" * 4000, 600)
    assert pages.size <= 10_000
    assert len(pages) == 2


def test_a_page_is_recalled_only_as_long_as_its_stale_if_error_allows() -> None:
    now = [1000.0]
    pages = LastGoodPages(clock=lambda: now[0])
    pages.remember("/en/", ((b"cache-control", b"public, stale-if-error=600"),), b"page", 600)
    scope = {"type": "http", "method": "GET", "query_string": b"", "path": "/en/"}
    now[0] += 600
    recalled = pages.recall(scope)
    assert recalled is not None
    assert recalled.headers["age"] == "600"
    now[0] += 1
    assert pages.recall(scope) is None


async def test_a_worker_rides_out_the_database_going_away_and_says_so_twice(
    app: ASGIApp,
    postgres: StoppablePostgres,
    outage_settings: Settings,
    own_pool: Pool,
    smtp: RecordingHandler,
    smtp_server: SmtpTestServer,
    tmp_path: Path,
) -> None:
    """`campaign-engine worker` while PostgreSQL is stopped: its crons (the pacer runs every
    second) and its presence fail every round, and it says so once, without a traceback; once
    the database is back it sends again, without a restart, and says that once too."""
    worker = LoggedWorker(replace(outage_settings, smtp_url=smtp_server.url), tmp_path / "w.log")
    slug = await make_action(own_pool)
    before, after = unique_email("before"), unique_email("after")
    worker.start()
    try:
        async with http_client(app) as client:
            assert await sign(client, slug, before) == 303
            assert await until(lambda: smtp.to(before)), "the worker sends"
            await asyncio.to_thread(postgres.stop)
            await asyncio.sleep(8)  # eight pacer rounds, a presence beat each second
            assert worker.alive()
            await asyncio.to_thread(postgres.start)
            assert await until(lambda: worker.lines_with(REACHABLE)), "it says it is back"

            async def signed_after() -> bool:
                return await sign(client, slug, after) == 303

            assert await until(signed_after, seconds=30)
            assert await until(lambda: smtp.to(after)), "and sends again, not restarted"
        assert worker.alive()
    finally:
        worker.stop()
    assert len(worker.lines_with(UNREACHABLE)) == 1, worker.log()
    assert len(worker.lines_with(REACHABLE)) == 1, worker.log()
    assert "Traceback" not in worker.log()
