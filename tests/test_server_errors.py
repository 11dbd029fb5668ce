"""When something breaks on our side, the reader still gets a proper page, and the logs get
the traceback without anyone's personal data."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from campaign_engine.app import create_app
from campaign_engine.settings import Settings
from tests.conftest import http_client, make_settings, with_database

pytestmark = pytest.mark.expects_server_error


@pytest.fixture
async def unmigrated_client(
    server_urls: tuple[str, str], settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a database nobody migrated: every query fails."""
    admin = await asyncpg.connect(server_urls[0])
    name = f"unmigrated_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    broken = make_settings(
        DATABASE_URL=with_database(server_urls[0], name),
        REDIS_URL=server_urls[1],
        SMTP_URL=settings.smtp_url or "",
        DATA_DIR=str(settings.data_dir),
    )
    try:
        async with (
            LifespanManager(create_app(broken)) as manager,
            http_client(manager.app) as client,
        ):
            yield client
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def test_a_server_error_is_a_page_in_the_readers_language(
    unmigrated_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await unmigrated_client.get("/fr/actions/demo")
    assert response.status_code == 500
    assert '<html lang="fr" dir="ltr">' in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    assert response.headers["permissions-policy"].startswith("accelerometer=()")

    api = await unmigrated_client.post(
        "/api/v1/actions/demo/signatures",
        json={"name": "Canary Name", "email": "canary@example.org", "country": "FR"},
        headers={"Accept-Language": "ar"},
    )
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "server_error"
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert "UndefinedTableError" in logged
    assert "canary" not in logged.lower()
