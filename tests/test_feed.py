"""The Atom feed of open actions, one per language (RFC 4287), read as a feed reader reads it:
sections, partners and members' readers follow new urgent actions without email."""

from __future__ import annotations

import feedparser
import httpx
import pytest

from campaign_engine.db.pool import Pool
from campaign_engine.i18n import LOCALES
from tests.factories import make_action


@pytest.mark.parametrize("locale", LOCALES)
async def test_each_language_has_a_valid_feed_of_its_open_actions(
    client: httpx.AsyncClient, pool: Pool, locale: str
) -> None:
    open_here = await make_action(pool, locales=(locale,))
    elsewhere = await make_action(pool, locales=("en",) if locale != "en" else ("fr",))
    closed = await make_action(pool, status="closed", locales=(locale,))

    answer = await client.get(f"/{locale}/actions.atom")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.language == locale
    links = [entry.link for entry in feed.entries]
    assert f"http://testserver/{locale}/actions/{open_here}" in links
    assert not any(elsewhere in link or closed in link for link in links)
    entry = next(e for e in feed.entries if e.link.endswith(open_here))
    assert entry.id == entry.link
    assert entry.title.startswith(f"UA {open_here}: ")
    assert entry.updated_parsed is not None

    home = await client.get(f"/{locale}/")
    assert (
        f'type="application/atom+xml" href="http://testserver/{locale}/actions.atom"' in home.text
    )


async def test_a_title_cannot_break_the_feed(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool, locales=("en",))
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE action_translations SET title = $2 WHERE action_id ="
            " (SELECT id FROM actions WHERE slug = $1)",
            slug,
            '</title><script>alert(1)</script> & "quotes" ]]>',
        )
    feed = feedparser.parse((await client.get("/en/actions.atom")).content)
    assert not feed.bozo
    entry = next(e for e in feed.entries if e.link.endswith(slug))
    assert entry.title == f'UA {slug}: </title><script>alert(1)</script> & "quotes" ]]>'
