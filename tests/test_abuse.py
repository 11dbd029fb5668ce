"""Abuse, as reliability.md's battery asks (B1–B4): a flooding client is counted only within
its limits, and every answer is the same whatever we thought of the signature; the hidden
field and disposable domains mark, never refuse; a victim's address gets five emails however
often it is used; a replayed bot wave trends, and invalidation takes all of it and nothing
else, with exact recounts."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
from email.message import EmailMessage

import httpx
import pytest
import redis.asyncio
from starlette.types import ASGIApp

from campaign_engine import jobs
from campaign_engine.clock import SystemClock
from campaign_engine.db.pool import Pool
from campaign_engine.domain.signing.abuse import ClientLimits
from campaign_engine.domain.signing.signatures import (
    EMAILS_PER_ADDRESS_PER_DAY,
    SignatureBatches,
    sign_action,
)
from campaign_engine.domain.signing.trends import spot_trends
from campaign_engine.jobs import JobQueue
from campaign_engine.models.signing import SignatureRequest
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from tests.conftest import TEST_SEALER, TEST_SECRET, Drain, http_client
from tests.factories import confirmation_path, make_action, signature_request, unique_email
from tests.smtp import RecordingHandler
from tests.staff import Campaigner

# Signatures keep their domain only as keyed hashes: the wave's, to find its rows.
WAVE_DOMAIN_KEY = TEST_SEALER.domain_keys("catchall-wave.example")[0]

# Headers that may differ between two identical answers: when they were made.
VARYING = {"date"}


def answer(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    """What a signer (or a robot) can observe of an answer."""
    headers = {k: v for k, v in response.headers.items() if k.lower() not in VARYING}
    return response.status_code, headers, response.content


def form(email: str, **extra: str) -> dict[str, str]:
    return {"name": "Ana Signer", "email": email, "country": "MX", **extra}


async def sign_from(
    app: ASGIApp, address: str, slug: str, email: str, **extra: str
) -> httpx.Response:
    async with http_client(app, address) as client:
        return await client.post(f"/en/actions/{slug}/sign", data=form(email, **extra))


async def suspicions(pool: Pool, slug: str) -> dict[str | None, int]:
    rows = await pool.fetch(
        """SELECT s.suspicion, count(*) AS n FROM signatures s JOIN actions a ON a.id = s.action_id
           WHERE a.slug = $1 GROUP BY s.suspicion""",
        slug,
    )
    return {row["suspicion"]: row["n"] for row in rows}


async def public_count(client: httpx.AsyncClient, slug: str) -> int:
    count: int = (await client.get(f"/api/v1/actions/{slug}/count")).json()["confirmed"]
    return count


def mail_to(smtp: RecordingHandler, addresses: list[str]) -> list[EmailMessage]:
    """What reached these addresses (a drain also sends what other tests left waiting)."""
    return [message for address in addresses for message in smtp.to(address)]


async def confirm_all_mail(client: httpx.AsyncClient, messages: list[EmailMessage]) -> int:
    """Click every confirmation link in `messages`, as a robot would."""
    clicked = 0
    for message in messages:
        if "/confirm/" in (message.get_body(("plain",)) or message).as_string():
            response = await client.get(confirmation_path(message))
            assert response.status_code in (200, 303)
            clicked += 1
    return clicked


async def test_one_client_flooding_an_action_is_counted_within_its_limits(
    asgi_app: ASGIApp,
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    settings: Settings,
) -> None:
    """B1: 1,000 signatures from one address on one action, as fast as it can send them. Only
    the burst limit's worth get a confirmation email; the rest are kept, suspected; all 1,000
    answers are byte-identical; the count holds only what was confirmed."""
    slug = await make_action(pool)
    emails = [unique_email() for _ in range(1000)]
    async with http_client(asgi_app, "203.0.113.50") as flooder:
        answers = [
            answer(await flooder.post(f"/en/actions/{slug}/sign", data=form(email)))
            for email in emails
        ]
    assert len(set(map(repr, answers))) == 1, "every answer is the same"
    assert answers[0][0] == 303

    limit = settings.client_burst_per_action
    assert await suspicions(pool, slug) == {None: limit, "client_rate": 1000 - limit}
    await drain()
    mail = mail_to(smtp, emails)
    assert len(mail) == limit, "suspected signatures get no email"
    assert await confirm_all_mail(client, mail) == limit
    assert await public_count(client, slug) == limit <= settings.client_hourly_per_action

    # Somebody else, elsewhere, signs as usual.
    response = await sign_from(asgi_app, "198.51.100.9", slug, unique_email("neighbour"))
    assert answer(response) == answers[0]
    assert (await suspicions(pool, slug))[None] == limit + 1


async def a_minute_passes(pool: Pool, slug: str) -> None:
    """Move an action's signatures a minute into the past: the limits count from the
    database's clock, and a test cannot wait minutes."""
    await pool.execute(
        """UPDATE signatures SET created_at = created_at - interval '1 minute'
           WHERE action_id = (SELECT id FROM actions WHERE slug = $1)""",
        slug,
    )


async def flood_over_minutes(
    app: ASGIApp, pool: Pool, slug: str, per_minute: int, minutes: int
) -> list[tuple[int, dict[str, str], bytes]]:
    answers = []
    async with http_client(app, "203.0.113.60") as flooder:
        for _ in range(minutes):
            for _ in range(per_minute):
                response = await flooder.post(f"/en/actions/{slug}/sign", data=form(unique_email()))
                answers.append(answer(response))
            await a_minute_passes(pool, slug)
    return answers


async def test_a_flood_spread_over_five_minutes_is_counted_within_the_same_limits(
    asgi_app: ASGIApp, pool: Pool, settings: Settings
) -> None:
    """B1, as the brief words it: 1,000 signatures in five minutes. The first minute's burst
    is believed; after it the hour's limit is spent (every signature counts towards it,
    suspected or not), so the next four minutes add nobody."""
    slug = await make_action(pool)
    answers = await flood_over_minutes(asgi_app, pool, slug, per_minute=200, minutes=5)
    assert len(answers) == 1000
    assert len(set(map(repr, answers))) == 1, "every answer is the same"
    burst = settings.client_burst_per_action
    assert await suspicions(pool, slug) == {None: burst, "client_rate": 1000 - burst}


async def test_a_patient_client_under_the_burst_limit_meets_the_hourly_one(
    asgi_app: ASGIApp, pool: Pool, settings: Settings
) -> None:
    """Staying just under the minute's limit for seven minutes: believed up to the hour's."""
    slug = await make_action(pool)
    burst, hourly = settings.client_burst_per_action, settings.client_hourly_per_action
    minutes = hourly // burst + 1
    answers = await flood_over_minutes(asgi_app, pool, slug, per_minute=burst, minutes=minutes)
    assert len(set(map(repr, answers))) == 1
    assert await suspicions(pool, slug) == {None: hourly, "client_rate": burst * minutes - hourly}


async def test_the_hidden_field_and_disposable_domains_mark_without_a_different_answer(
    asgi_app: ASGIApp, client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    """B4: a first signature, a repeat, a robot's form, a throwaway address and a flooder all
    get the same answer, from the site's form and from the JSON API."""
    slug = await make_action(pool)
    known, robot, api = unique_email("known"), unique_email("robot"), unique_email("api")
    throwaway = f"x{unique_email()[:8]}@mailinator.com"
    form_answers = [
        await sign_from(asgi_app, "192.0.2.1", slug, known),
        await sign_from(asgi_app, "192.0.2.2", slug, known),  # a repeat
        await sign_from(asgi_app, "192.0.2.3", slug, robot, website="http://spam"),
        await sign_from(asgi_app, "192.0.2.4", slug, throwaway),
        await sign_from(asgi_app, "192.0.2.5", slug, "someone@inbox.guerrillamail.com"),
    ]
    assert len({repr(answer(r)) for r in form_answers}) == 1
    assert await suspicions(pool, slug) == {None: 1, "honeypot": 1, "disposable_domain": 2}

    api_answers = []
    for email in (api, "robot@yopmail.com"):
        async with http_client(asgi_app, "192.0.2.9") as api_client:
            api_answers.append(
                await api_client.post(
                    f"/api/v1/actions/{slug}/signatures",
                    content=json.dumps(form(email)),
                    headers={"Content-Type": "application/json"},
                )
            )
    assert len({repr(answer(r)) for r in api_answers}) == 1
    assert api_answers[0].status_code == 202

    await drain()
    ours = [known, robot, throwaway, "someone@inbox.guerrillamail.com", api, "robot@yopmail.com"]
    assert len(mail_to(smtp, ours)) == 2, "one confirmation each for the two believed signers"
    assert sorted(address for address in ours if smtp.to(address)) == sorted([known, api])


async def test_a_victims_address_gets_five_emails_however_often_it_is_used(
    asgi_app: ASGIApp, client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    """B3: 200 signatures with one victim's address, spread over eight actions and 200 client
    addresses (so no client limit applies): five emails reach the victim."""
    victim = unique_email("victim")
    slugs = [await make_action(pool) for _ in range(8)]
    addresses = (f"203.0.113.{n}" for n in itertools.count(100))
    for slug in itertools.islice(itertools.cycle(slugs), 200):
        response = await sign_from(asgi_app, next(addresses), slug, victim)
        assert response.status_code == 303
    await drain()
    assert len(smtp.to(victim)) == EMAILS_PER_ADDRESS_PER_DAY == 5


@pytest.mark.slow
async def test_a_bot_wave_trends_and_invalidation_takes_all_of_it_and_nothing_else(
    asgi_app: ASGIApp,
    client: httpx.AsyncClient,
    pool: Pool,
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    """B2, the 2016 replay: 10,000 signatures from one catch-all domain over 200 addresses,
    confirmed by a robot that reads the catch-all's mail, mixed with 2,000 ordinary ones. The
    domain trends; the invalidation's preview counts exactly the 10,000; invalidating takes
    them all and none of the 2,000; the count is exact after it, and their waiting mail never
    goes."""
    slug = await make_action(pool)
    tokens = Tokens(TEST_SECRET)
    assert settings.redis_url is not None
    arq_redis = await jobs.connect(settings.redis_url)
    queue = JobQueue(arq_redis)
    limits = ClientLimits(settings.client_burst_per_action, settings.client_hourly_per_action)

    def request(email: str, address: str) -> SignatureRequest:
        return signature_request(email, country="GB", client_address=address)

    wave = [request(f"bot{n}@catchall-wave.example", f"10.66.{n % 200}.1") for n in range(10_000)]
    # People sign from their own addresses, a quarter with Gmail, the rest at many domains.
    people = [
        request(
            f"person{n}@{'gmail.com' if n % 4 == 0 else f'org{n % 150}.example'}",
            f"10.{n // 250}.{n % 250}.7",
        )
        for n in range(2_000)
    ]
    mixed = [r for pair in itertools.zip_longest(wave, people) for r in pair if r]
    await _sign_all(pool, queue, tokens, slug, mixed, limits)
    await _confirm_all_believed(pool, tokens, slug)
    believed_bots = await pool.fetchval(
        """SELECT count(*) FROM signatures s JOIN actions a ON a.id = s.action_id
           WHERE a.slug = $1 AND s.email_domain_keys[1] = $2 AND s.status = 'confirmed'""",
        slug,
        WAVE_DOMAIN_KEY,
    )
    # Each address sent 50; the burst limit lets 10 a minute through (more only if the wave
    # took over a minute here), and never more than the hour's limit.
    per_client = min(50, settings.client_hourly_per_action)
    assert 200 * settings.client_burst_per_action <= believed_bots <= 200 * per_client
    assert await public_count(client, slug) == 2_000 + believed_bots

    assert await spot_trends(pool, SystemClock()) >= 1
    asked = await client.get(f"/en/actions/{slug}")
    assert "data-proof-of-work" in asked.text, "a wave of few: the form asks for a proof"
    dashboard = await campaigner.client.get(f"/admin/actions/{slug}")
    assert 'id="abuse-alert"' in dashboard.text, "the dashboard warns of the trend"
    page = await campaigner.client.get(f"/admin/actions/{slug}/abuse")
    assert page.status_code == 200
    assert "catchall-wave.example" in page.text, "the trending domain is shown"
    assert "gmail.com" not in _trends_table(page.text), "a big provider never trends"

    preview = await campaigner.client.get(
        f"/admin/actions/{slug}/abuse/preview", params={"domain": "catchall-wave.example"}
    )
    assert preview.status_code == 200
    pending_bots = 10_000 - believed_bots
    assert f"{pending_bots:,} signatures awaiting confirmation and {believed_bots:,} confirmed" in (
        preview.text
    )

    # One more bot arrives between the preview and the click: the number no longer matches.
    await _sign_all(
        pool, queue, tokens, slug, [request("late@catchall-wave.example", "10.99.0.1")], limits
    )
    changed = await campaigner.post(
        f"/admin/actions/{slug}/abuse/invalidate",
        {"domain": "catchall-wave.example", "expected": "10000"},
    )
    assert changed.status_code == 409
    assert await public_count(client, slug) == 2_000 + believed_bots, "nothing was taken"

    done = await campaigner.post(
        f"/admin/actions/{slug}/abuse/invalidate",
        {"domain": "catchall-wave.example", "expected": "10001"},
    )
    assert done.status_code == 303
    assert await public_count(client, slug) == 2_000
    statuses = await pool.fetch(
        """SELECT s.email_domain_keys[1] = $2 AS bot, s.status, count(*) AS n
           FROM signatures s JOIN actions a ON a.id = s.action_id WHERE a.slug = $1
           GROUP BY 1, 2 ORDER BY 1, 2""",
        slug,
        WAVE_DOMAIN_KEY,
    )
    await arq_redis.aclose()
    assert [tuple(row) for row in statuses] == [
        (False, "confirmed", 2_000),
        (True, "invalidated", 10_001),
    ]
    detail = await pool.fetchval(
        """SELECT detail FROM audit_log WHERE verb = 'action.signatures_invalidated'
           ORDER BY id DESC LIMIT 1"""
    )
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert detail["signatures"] == 10_001
    assert detail["criteria"]["domain"] == "catchall-wave.example"

    # The robot's unclicked confirmations were cancelled: none of them goes out now.
    unsent = await pool.fetch(
        """SELECT d.status, count(*) AS n FROM deliveries d
           JOIN signatures s ON s.id = d.signature_id JOIN actions a ON a.id = s.action_id
           WHERE a.slug = $1 AND s.email_domain_keys[1] = $2 GROUP BY d.status""",
        slug,
        WAVE_DOMAIN_KEY,
    )
    assert [row["status"] for row in unsent] == ["cancelled"]
    await redis_client.flushdb()
    await drain()
    assert not any("catchall-wave" in to for r in smtp.received for to in r.envelope_to)


@pytest.mark.slow
async def test_a_real_surge_trends_but_asks_nothing_of_anyone_and_suspects_nobody(
    client: httpx.AsyncClient,
    pool: Pool,
    redis_client: redis.asyncio.Redis,
    settings: Settings,
) -> None:
    """The surge an alert brings, replayed: 10,000 people from 3,000 client addresses and 500
    email domains (a third at the big providers, five ISPs with about 150 each, the rest small), a
    fifth of them without JavaScript (no proof of work). The ISPs' domains trend, and the
    abuse page shows them; but together they are a sliver of the hour, not a wave, so the
    form never asks for a proof of work and not one of the 10,000 is suspected."""
    slug = await make_action(pool)
    tokens = Tokens(TEST_SECRET)
    assert settings.redis_url is not None
    arq_redis = await jobs.connect(settings.redis_url)
    queue = JobQueue(arq_redis)
    limits = ClientLimits(settings.client_burst_per_action, settings.client_hourly_per_action)
    common = ("gmail.com", "outlook.com", "yahoo.com")

    def domain(n: int) -> str:
        if n % 3 == 0:
            return common[n % 9 // 3]
        if n % 3 == 1 and n % 100 < 22:  # 150 people at each of five ISPs
            return f"isp{n % 5}.example"
        return f"org{n // 3 % 492}.example"

    def person(n: int) -> SignatureRequest:
        request = signature_request(
            f"person{n}@{domain(n)}",
            country="GB",
            client_address=f"10.{n % 3000 // 250}.{n % 250}.9",
        )
        # Four in five browsers run the form's script, and would solve a proof if asked.
        return dataclasses.replace(request, proof_of_work=n % 5 != 0)

    surge = [person(n) for n in range(10_000)]
    assert len({r.client_address for r in surge}) == 3_000
    assert len({r.email.split("@")[1] for r in surge}) == 500
    try:
        await _sign_all(pool, queue, tokens, slug, surge[:8_000], limits)
        assert await spot_trends(pool, SystemClock()) >= 5, "the ISPs trend"
        page = await client.get(f"/en/actions/{slug}")
        assert "data-proof-of-work" not in page.text, "a surge asks nothing of anyone"
        await _sign_all(pool, queue, tokens, slug, surge[8_000:], limits)
    finally:
        await arq_redis.aclose()
    suspected = await pool.fetchval(
        """SELECT count(*) FILTER (WHERE s.suspicion IS NOT NULL) FROM signatures s
           JOIN actions a ON a.id = s.action_id WHERE a.slug = $1""",
        slug,
    )
    assert suspected == 0


async def _sign_all(
    pool: Pool,
    queue: JobQueue,
    tokens: Tokens,
    slug: str,
    requests: list[SignatureRequest],
    limits: ClientLimits,
) -> None:
    """Sign as a wave does: many at once (eight at a time here, our two cores' worth)."""
    lanes = [requests[n::8] for n in range(8)]
    batches = SignatureBatches(pool, queue)

    async def lane(part: list[SignatureRequest]) -> None:
        for r in part:
            await sign_action(batches, tokens, slug, r, limits=limits)

    await asyncio.gather(*(lane(part) for part in lanes))


async def _confirm_all_believed(pool: Pool, tokens: Tokens, slug: str) -> None:
    """Every signature that was sent a confirmation clicks it (a catch-all's robot does)."""
    from campaign_engine.domain.signing.signatures import confirm_signature

    ids = await pool.fetch(
        """SELECT s.id FROM signatures s JOIN actions a ON a.id = s.action_id
           WHERE a.slug = $1 AND s.suspicion IS NULL""",
        slug,
    )
    for row in ids:
        await confirm_signature(pool, tokens, tokens.confirmation_token(row["id"]))


def _trends_table(page: str) -> str:
    start = page.find('id="trends-table"')
    return page[start : page.find("</table>", start)] if start >= 0 else ""


async def test_a_suspected_signer_who_signs_again_unsuspected_is_believed(
    asgi_app: ASGIApp, client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    """The form's hidden field was filled (an autofill gone wrong): no email. Signing again,
    properly, clears the suspicion and sends the link; signing again as a robot does not."""
    slug = await make_action(pool)
    person, robot = unique_email("person"), unique_email("robot")
    for email in (person, robot):
        await sign_from(asgi_app, "192.0.2.30", slug, email, website="filled")
    await drain()
    assert smtp.to(person) == smtp.to(robot) == []
    await sign_from(asgi_app, "192.0.2.31", slug, person)
    await sign_from(asgi_app, "192.0.2.32", slug, robot, website="filled again")
    await drain()
    assert len(smtp.to(person)) == 1
    assert smtp.to(robot) == []
    assert await suspicions(pool, slug) == {None: 1, "honeypot": 1}
