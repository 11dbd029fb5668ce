"""Overload answers 503 at once: past its budget a web process refuses the next request with
`Retry-After`, in the reader's language, before reading it, and takes requests again as soon
as the ones in hand are done. Health checks and pages held in memory are never refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from asgi_lifespan import LifespanManager

from campaign_engine.app import create_app
from campaign_engine.db.pool import Pool
from campaign_engine.settings import Settings
from campaign_engine.web.page_cache import FRESH_FOR, PageCache
from tests.conftest import http_client
from tests.factories import make_action, unique_email


@pytest.fixture(scope="module")
async def slug(pool: Pool) -> str:
    """The action, made before the process below listens for changes: a notice of its own
    making, arriving just after its page was first held, would drop that page."""
    return await make_action(pool)


@pytest.fixture(scope="module")
async def tight(settings: Settings, slug: str) -> AsyncIterator[httpx.AsyncClient]:
    """A web process that works on two requests at a time."""
    pages = PageCache()
    app = create_app(replace(settings, max_in_flight=2), pages=pages)
    async with LifespanManager(app) as manager, http_client(manager.app) as client:
        for _ in range(100):  # until it holds pages: its listener is connected
            if pages.watching:
                break
            await asyncio.sleep(0.05)
        assert pages.watching
        yield client


async def held_signature(client: httpx.AsyncClient, slug: str, release: asyncio.Event) -> int:
    """A signature whose body arrives only once `release` is set: a request in hand."""

    async def body() -> AsyncIterator[bytes]:
        yield b"name=Slow+Signer&country=MX&email="
        await release.wait()
        yield unique_email("slow").encode()

    answer = await client.post(
        f"/es/actions/{slug}/sign",
        content=body(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return answer.status_code


async def test_past_its_budget_a_process_refuses_at_once_and_recovers(
    tight: httpx.AsyncClient, slug: str
) -> None:
    held_page = f"/es/actions/{slug}"
    assert (await tight.get(held_page)).status_code == 200  # now held in memory
    release = asyncio.Event()
    in_hand = [asyncio.create_task(held_signature(tight, slug, release)) for _ in range(2)]
    await asyncio.sleep(0.2)

    refused = await tight.post(
        f"/es/actions/{slug}/sign", data={"name": "Ana", "email": unique_email("ana")}
    )
    assert refused.status_code == 503
    assert 1 <= int(refused.headers["retry-after"]) <= 5
    assert '<html lang="es"' in refused.text
    assert "Vuelve a enviar tu firma, por favor" in refused.text, "what to do, in Spanish"
    # Refused before the layers that add them, with the headers every answer carries.
    assert refused.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in refused.headers["content-security-policy"]
    arabic = await tight.post(f"/ar/actions/{slug}/sign", data={"name": "Ana"})
    assert arabic.status_code == 503
    assert '<html lang="ar" dir="rtl"' in arabic.text, "each language its own refusal"
    widget = await tight.post(f"/es/embed/{slug}/sign", data={"name": "Ana"})
    assert widget.status_code == 503
    assert "x-frame-options" not in widget.headers, "the widget's refusal shows in its frame"
    assert "cross-origin-embedder-policy" in widget.headers
    api = await tight.get("/api/v1/actions")
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "unavailable"
    assert (await tight.get("/healthz")).status_code == 200, "health is never refused"
    assert (await tight.get(held_page)).status_code == 200, "held pages are never refused"
    await asyncio.sleep(FRESH_FOR)  # old enough to be rendered again: that render is refused
    again = await tight.get(held_page)
    assert again.status_code == 200, "the page as held, while it cannot be rendered again"

    release.set()
    assert await asyncio.gather(*in_hand) == [303, 303], "the requests in hand are answered"
    accepted = await tight.post(
        f"/es/actions/{slug}/sign",
        data={"name": "Ana", "email": unique_email("ana"), "country": "MX"},
    )
    assert accepted.status_code == 303, "taken again once the budget has room"
