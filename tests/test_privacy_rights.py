"""A supporter's rights, end to end (reliability.md P2, P3, P7): a canary supporter signs with
every field, confirms, is written to about the case; then downloads their data through the
link in our email (every field they gave is in it) and erases it: nothing of them is left in
any PostgreSQL row, in Redis or in the logs, their signature no longer counts and nothing more
goes to them. A campaigner answers the same requests in the workspace. Retention anonymises
actions closed long enough ago, keeps the counts, and a second run changes nothing."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio

from campaign_engine.db.pool import Pool
from campaign_engine.domain.privacy.rights import apply_retention
from tests.clock import FakeClock
from tests.conftest import Drain
from tests.factories import add_target, confirmation_path, counted, email_key, make_action
from tests.smtp import RecordingHandler
from tests.staff import Campaigner

NOT_THE_PRODUCT = {"mail.log", "httpx"}  # the test's own SMTP server and HTTP client


def canary() -> dict[str, str]:
    tag = datetime.now(UTC).strftime("%H%M%S%f")
    return {
        "name": f"Canary Songbird {tag}",
        "email": f"canary.{tag}@example.org",
        "country": "FR",
        # In a range France gives to mobiles: not every +336 number is one (+33639… is not).
        "phone": f"+33612{tag[-6:]}",
        "comment": f"Canary message {tag}",
        "consent_updates": "yes",
    }


def privacy_path(text: str) -> str:
    found = re.search(r"http://testserver(/privacy/[^\s\"<]+)", text)
    assert found is not None, "no privacy link in the email"
    return found.group(1)


async def everything_in_postgres(pool: Pool) -> str:
    """Every row of every table of ours, as text: where a trace would be."""
    tables = await pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    parts: list[str] = []
    for table in tables:
        name = table["tablename"]
        rows = await pool.fetch(f'SELECT t::text AS row FROM "{name}" t')
        parts.extend(row["row"] for row in rows)
    return "\n".join(parts)


async def everything_in_redis(client: redis.asyncio.Redis) -> str:
    parts: list[str] = []
    async for key in client.scan_iter(count=1000):
        parts.append(repr(key))
        kind = (await client.type(key)).decode()
        read = {
            "string": ("GET",),
            "zset": ("ZRANGE", 0, -1),
            "hash": ("HGETALL",),
            "list": ("LRANGE", 0, -1),
            "set": ("SMEMBERS",),
        }.get(kind)
        if read:
            raw: Any = client  # redis-py leaves execute_command untyped
            parts.append(repr(await raw.execute_command(read[0], key, *read[1:])))
    return "\n".join(parts)


async def test_a_canary_downloads_then_erases_their_data_and_leaves_no_trace(
    client: httpx.AsyncClient,
    pool: Pool,
    redis_client: redis.asyncio.Redis,
    smtp: RecordingHandler,
    drain: Drain,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    slug = await make_action(pool)
    await add_target(pool, slug)
    bird = canary()
    signed = await client.post(f"/en/actions/{slug}/sign", data=bird)
    assert signed.status_code == 303
    await drain()
    (mail,) = smtp.to(bird["email"])
    html = mail.get_body(("html",))
    assert html is not None
    title = re.search(r"<title>(.*?)</title>", html.get_content(), re.S)
    assert title is not None
    assert "privacy" not in title.group(1), "the link is in the body, not the title"
    assert (await client.get(confirmation_path(mail))).status_code in (200, 303)
    await drain()
    before = (await client.get(f"/api/v1/actions/{slug}/count")).json()["confirmed"]

    # The link at the foot of the email: a page, a download, an erasure.
    text = mail.get_body(("plain",))
    assert text is not None
    link = privacy_path(text.get_content())
    page = await client.get(link)
    assert page.status_code == 200
    assert "Erase my data" in page.text
    assert "when you signed 1 urgent action." in page.text
    download = await client.get(f"{link}/data.json")
    assert download.headers["content-disposition"].startswith("attachment")
    data = download.json()
    assert data["supporter"]["email"] == bird["email"]
    (signature,) = data["signatures"]
    for field in ("name", "phone", "comment", "country"):
        assert signature[field] == bird[field], field
    assert signature["action_slug"] == slug
    assert signature["status"] == "confirmed"
    assert [c["scope"] for c in data["consents"]] == ["updates"]
    assert {m["kind"] for m in data["messages"]} == {"confirmation"}

    # A GET never erases (mail scanners follow links); the POST does, once.
    assert (await client.get(f"{link}/erase")).status_code in (404, 405)
    erased = await client.post(f"{link}/erase")
    assert erased.status_code == 200
    assert "Your data is erased" in erased.text
    assert (await client.post(f"{link}/erase")).status_code == 200, "a second click is harmless"
    assert (await client.get(f"{link}/data.json")).status_code == 404

    assert await counted(client, slug, before - 1) == before - 1, "erased: no longer counted"
    await drain()

    token = link.removeprefix("/privacy/")
    traces = [bird["email"], bird["name"], bird["phone"], bird["comment"], token]
    rows = await everything_in_postgres(pool)
    keys = await everything_in_redis(redis_client)
    logs = "\n".join(r.getMessage() for r in caplog.records if r.name not in NOT_THE_PRODUCT)
    for trace in traces:
        assert trace not in rows, f"{trace} left in PostgreSQL"
        assert trace.lower() not in rows.lower()
        assert trace not in keys, f"{trace} left in Redis"
        assert trace not in logs, f"{trace} in the logs"
    assert await pool.fetchval("SELECT count(*) FROM erasures") >= 1


async def test_a_campaigner_finds_exports_and_erases_a_supporter(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    slug = await make_action(pool)
    bird = canary()
    await client.post(f"/en/actions/{slug}/sign", data=bird)

    nobody = await campaigner.post("/admin/supporters/find", {"email": "nobody@example.org"})
    assert 'id="nobody"' in nobody.text
    found = await campaigner.post("/admin/supporters/find", {"email": bird["email"].upper()})
    assert found.status_code == 200
    assert bird["email"] not in str(found.url), "the address never goes into a URL"
    supporter_path = re.search(r'href="(/admin/supporters/[0-9a-f-]{36})/data.json"', found.text)
    assert supporter_path is not None
    export = await campaigner.client.get(f"{supporter_path.group(1)}/data.json")
    held = json.loads(export.text)
    assert held["signatures"][0]["name"] == bird["name"]
    # The page counts what the download holds, without opening any of it.
    for figure in ("signatures", "consents", "messages"):
        assert f'<dd id="figure-{figure}">{len(held[figure])}</dd>' in found.text
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM audit_log WHERE verb = 'supporter.exported' AND staff_id = $1",
            campaigner.staff.id,
        )
        >= 1
    )

    erased = await campaigner.post(f"{supporter_path.group(1)}/erase")
    assert erased.status_code == 200
    assert "Erased, with 1 signature." in erased.text
    again = await campaigner.post(f"{supporter_path.group(1)}/erase")
    assert again.status_code == 404
    # The confirmation that had not gone yet never goes.
    await drain()
    assert smtp.to(bird["email"]) == []
    detail = await pool.fetchval(
        """SELECT detail::text FROM audit_log WHERE verb = 'supporter.erased'
           ORDER BY id DESC LIMIT 1"""
    )
    assert bird["email"] not in detail


async def test_retention_anonymises_closed_actions_keeps_counts_and_runs_once(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    old, recent = await make_action(pool), await make_action(pool)
    birds = [canary() for _ in range(3)]
    for bird in birds:
        for slug in (old, recent) if bird is birds[0] else (old,):
            await client.post(f"/en/actions/{slug}/sign", data=bird)
    await drain()
    # The drain also sends what earlier tests left in the outbox: only the birds' links.
    for message in [m for bird in birds for m in smtp.to(bird["email"])]:
        await client.get(confirmation_path(message))
    long_ago = datetime.now(UTC) - timedelta(days=400)
    await pool.execute(
        "UPDATE actions SET status = 'closed', closed_at = $2 WHERE slug = $1", old, long_ago
    )
    counts = {
        s: (await client.get(f"/api/v1/actions/{s}/count")).json()["confirmed"]
        for s in (old, recent)
    }
    assert counts == {old: 3, recent: 1}

    clock = FakeClock()
    first = await apply_retention(pool, clock, timedelta(days=180))
    assert first.signatures >= 3
    assert first.supporters_deleted >= 2, "the two who signed only the old action are gone"
    kept = await pool.fetch(
        """SELECT s.supporter_id, s.status, s.country, s.anonymised_at,
                  (SELECT count(*) FROM signer_details d WHERE d.signature_id = s.id) AS details
           FROM signatures s JOIN actions a ON a.id = s.action_id WHERE a.slug = $1""",
        old,
    )
    assert all(r["supporter_id"] is None and r["details"] == 0 for r in kept)
    assert {r["status"] for r in kept} == {"confirmed"}, "statuses and countries stay"
    assert {r["country"] for r in kept} == {"FR"}
    after = {
        s: (await client.get(f"/api/v1/actions/{s}/count")).json()["confirmed"]
        for s in (old, recent)
    }
    assert after == counts, "aggregates are kept"
    # The supporter who also signed the open action stays, with that signature whole.
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM supporters WHERE email_key = $1", email_key(birds[0]["email"])
        )
        == 1
    )
    rows = await everything_in_postgres(pool)
    assert birds[1]["email"] not in rows
    assert birds[1]["name"] not in rows

    second = await apply_retention(pool, clock, timedelta(days=180))
    assert (second.actions, second.signatures, second.supporters_deleted) == (0, 0, 0)


async def test_client_keys_are_forgotten_after_the_abuse_window(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    await client.post(f"/en/actions/{slug}/sign", data=canary())
    await pool.execute(
        """UPDATE signatures SET created_at = now() - interval '31 days'
           WHERE action_id = (SELECT id FROM actions WHERE slug = $1)""",
        slug,
    )
    run = await apply_retention(pool, FakeClock(), timedelta(days=180))
    assert run.client_keys_forgotten >= 1
    assert (
        await pool.fetchval(
            """SELECT count(*) FROM signatures s JOIN actions a ON a.id = s.action_id
           WHERE a.slug = $1 AND s.client_key IS NOT NULL""",
            slug,
        )
        == 0
    )


async def test_a_fresh_link_goes_to_the_address_we_hold_and_tells_nobody_else(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    bird = canary()
    await client.post(f"/en/actions/{slug}/sign", data=bird)
    await drain()
    smtp.reset()

    form = await client.get("/fr/privacy")
    assert form.status_code == 200
    assert 'action="/fr/privacy"' in form.text
    known = await client.post("/fr/privacy", data={"email": bird["email"].upper()})
    unknown = await client.post("/fr/privacy", data={"email": "nobody.at.all@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text, "the page says the same whoever asks"
    assert (await client.post("/fr/privacy", data={"email": "not-an-address"})).status_code == 422
    await drain()

    (mail,) = smtp.to(bird["email"])
    assert mail["Content-Language"] == "en", "in the supporter's language, not the form's"
    assert smtp.to("nobody.at.all@example.org") == []
    text = mail.get_body(("plain",))
    assert text is not None
    page = await client.get(privacy_path(text.get_content()))
    assert "Erase my data" in page.text

    for _again in range(4):
        await client.post("/en/privacy", data={"email": bird["email"]})
    await drain()
    assert len(smtp.to(bird["email"])) == 3, "three links a day at most"
