"""Public pages held in each web process (web/page_cache.py) never outlive a change: an edit,
a publication, a new translation and a takedown reach the next request of the process that
made them, and every other process hears of them from PostgreSQL. "Another process" here is a
second app on the same database whose page clock stands still, so that only a notice (never
a page growing old) can make it let go of a page."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from campaign_engine.app import create_app
from campaign_engine.db.pool import Pool
from campaign_engine.settings import Settings
from campaign_engine.web.page_cache import PageCache
from tests.conftest import http_client
from tests.editor import WORDS, create_action, open_action
from tests.factories import count, make_action, page_once
from tests.staff import Campaigner


@pytest.fixture(scope="module")
async def elsewhere(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another web process: its pages grow no older, so only a notice changes them."""
    frozen = PageCache(clock=lambda: 0.0)
    async with LifespanManager(create_app(settings, pages=frozen)) as manager:
        for _ in range(100):  # until its listener is connected
            if frozen.watching:
                break
            await asyncio.sleep(0.05)
        assert frozen.watching
        async with http_client(manager.app) as client:
            yield client


async def test_an_edit_reaches_the_next_request_here_and_every_process_at_once(
    campaigner: Campaigner, client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, pool: Pool
) -> None:
    slug, _code, _id = await create_action(campaigner, pool)
    await open_action(campaigner, slug)
    path = f"/en/actions/{slug}"
    for reader in (client, elsewhere):
        assert WORDS["title"] in (await reader.get(path)).text
        assert WORDS["title"] in (await reader.get(path)).text  # now held

    edited = await campaigner.post(
        f"/admin/actions/{slug}/translations/en", {**WORDS, "title": "Free Ana García today"}
    )
    assert edited.status_code == 303
    assert "Free Ana García today" in (await client.get(path)).text, "the next request, here"
    there = await page_once(elsewhere, path, lambda page: "Free Ana García today" in page.text)
    assert "Free Ana García today" in there.text


async def test_a_new_translation_and_a_takedown_reach_every_process(
    campaigner: Campaigner, client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, pool: Pool
) -> None:
    slug, code, _id = await create_action(campaigner, pool)
    await open_action(campaigner, slug)
    french = f"/fr/actions/{slug}"
    assert "Free Ana García" in (await elsewhere.get(french)).text  # the English, held
    words = {**WORDS, "title": "Libérez Ana García"}
    await campaigner.post(f"/admin/actions/{slug}/translations/fr", words)
    published = await campaigner.post(f"/admin/actions/{slug}/translations/fr/publish")
    assert published.status_code == 303
    assert "Libérez Ana García" in (await client.get(french)).text
    there = await page_once(elsewhere, french, lambda page: "Libérez Ana García" in page.text)
    assert "Libérez Ana García" in there.text

    await campaigner.post(f"/admin/actions/{slug}/close")
    await campaigner.post(f"/admin/actions/{slug}/archive")
    removed = await campaigner.post(
        f"/admin/actions/{slug}/remove", {"confirm_code": code, "reason": "Safety of the family"}
    )
    assert removed.status_code == 303
    assert (await client.get(french)).status_code == 410, "the next request, from a warm cache"
    gone = await page_once(elsewhere, french, lambda page: page.status_code == 410)
    assert gone.status_code == 410
    assert (await elsewhere.get(french)).status_code == 410, "a takedown is never held"


async def test_the_count_never_goes_backwards_and_catches_up_within_a_second(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    action_id = await pool.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
    seen = []
    for _ in range(12):
        await pool.execute(
            "INSERT INTO action_counts (action_id, shard, confirmed) VALUES ($1, 0, 1) "
            "ON CONFLICT (action_id, shard) DO UPDATE SET confirmed = action_counts.confirmed + 1",
            action_id,
        )
        seen.append(await count(client, slug))
        await asyncio.sleep(0.1)
    assert seen == sorted(seen), "never backwards"
    await asyncio.sleep(1.05)
    assert await count(client, slug) == 12, "a second behind at most"


async def test_a_held_page_has_a_strong_etag_a_304_and_gzip(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    path = f"/ar/actions/{slug}"
    first = await client.get(path, headers={"Accept-Encoding": "identity"})
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith('W/"')
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    packed = await client.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "accept-encoding"
    assert packed.text == first.text, "the same page, unpacked"
    raw = await client.get(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in raw.headers
    assert raw.content == first.content
    assert len(gzip.compress(first.content)) < len(first.content) / 3

    head = await client.head(path, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(first.content))
    assert head.headers["content-security-policy"], "the page's own headers come with it"


async def test_nothing_personal_or_tagged_is_held(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    tagged = await client.get(f"/en/actions/{slug}?source=newsletter")
    assert "etag" not in tagged.headers, "a query string may carry anything: never held"
    assert 'value="newsletter"' in tagged.text
    assert tagged.headers["content-encoding"] == "gzip", "compressed all the same"
    plain = await client.get(f"/en/actions/{slug}")
    assert 'value="newsletter"' not in plain.text
    check_email = await client.get(f"/en/actions/{slug}/check-email")
    assert check_email.status_code == 200
    assert "etag" in check_email.headers, "a page the same for everyone is held"
    missing = await client.get(f"/en/actions/{slug}-nothing")
    assert missing.status_code == 404
    assert "etag" not in missing.headers
