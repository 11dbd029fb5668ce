"""The proof of work: off by default, asked for while something trends on an action (or
always, if the campaigner says so); solved by the supporter's own browser against our own
server; a signature without a fresh, unused, solved one is kept and suspected, never refused,
and its answer is the same."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import Browser, async_playwright, expect
from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.security.proof_of_work import DIFFICULTY, leading_zero_bits, solve, solves
from tests.conftest import Drain, http_client
from tests.factories import confirmation_path, email_key, make_action, page_once, unique_email
from tests.smtp import RecordingHandler
from tests.staff import Campaigner
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS


def test_a_solution_has_the_leading_zero_bits_asked_for() -> None:
    assert leading_zero_bits(bytes([0, 0, 0b00010000])) == 19
    nonce = solve("a-challenge", 12)
    assert solves("a-challenge", nonce, 12)
    assert not solves("another-challenge", nonce, 30)
    assert not solves("a-challenge", "-1", 0), "digits only"
    assert not solves("a-challenge", "1" * 21, 0), "and not too many"


async def asking(pool: Pool, mode: str = "on") -> str:
    slug = await make_action(pool, locales=("en",))
    await pool.execute("UPDATE actions SET proof_of_work = $2 WHERE slug = $1", slug, mode)
    return slug


def form(**extra: str) -> dict[str, str]:
    return {"name": "Ana", "email": unique_email(), "country": "MX", **extra}


async def solved(client: httpx.AsyncClient) -> dict[str, str]:
    fresh = (await client.get("/proof-of-work")).json()
    assert fresh["difficulty"] == DIFFICULTY
    return {"pow_challenge": fresh["challenge"], "pow_nonce": solve(fresh["challenge"])}


async def suspicion_of(pool: Pool, email: str) -> str | None:
    found: str | None = await pool.fetchval(
        """SELECT s.suspicion FROM signatures s JOIN supporters p ON p.id = s.supporter_id
           WHERE p.email_key = $1""",
        email_key(email),
    )
    return found


async def test_without_a_solved_proof_a_signature_is_suspected_and_answered_alike(
    asgi_app: ASGIApp, client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await asking(pool)
    page = await client.get(f"/en/actions/{slug}")
    assert 'data-proof-of-work="/proof-of-work"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert (await client.get("/proof-of-work")).headers["cache-control"] == "no-store"

    proof = await solved(client)
    good, bare, reused, forged = form(**proof), form(), form(**proof), form()
    forged.update(pow_challenge="made-up", pow_nonce=proof["pow_nonce"])
    answers = []
    for n, fields in enumerate((good, bare, reused, forged)):
        async with http_client(asgi_app, f"192.0.2.{60 + n}") as signer:
            answers.append(await signer.post(f"/en/actions/{slug}/sign", data=fields))
    assert len({(a.status_code, a.headers["location"]) for a in answers}) == 1
    assert await suspicion_of(pool, good["email"]) is None
    for fields in (bare, reused, forged):
        assert await suspicion_of(pool, fields["email"]) == "proof_of_work"


async def test_a_signer_without_the_proof_gets_through_with_one_deliberate_step(
    asgi_app: ASGIApp,
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
) -> None:
    """A browser without JavaScript cannot solve the proof: its signature is suspected, yet
    still gets its confirmation, whose link shows a page with one button instead of
    confirming (no link scanner or lazy robot presses it); the press confirms and counts. A
    client flooding the action gets no such email."""
    slug = await asking(pool)
    no_script = form()
    async with http_client(asgi_app, "192.0.2.70") as signer:
        assert (await signer.post(f"/en/actions/{slug}/sign", data=no_script)).status_code == 303
    flood = [form() for _ in range(12)]
    async with http_client(asgi_app, "192.0.2.71") as robot:
        for fields in flood:
            await robot.post(f"/en/actions/{slug}/sign", data=fields)
    await drain()
    assert await suspicion_of(pool, no_script["email"]) == "proof_of_work"
    (mail,) = smtp.to(no_script["email"])
    link = confirmation_path(mail)
    step = await client.get(link)
    assert step.status_code == 200
    assert f'action="{link}"' in step.text
    assert await confirmed(pool, slug) == 0, "a GET of the link confirms nothing"
    pressed = await client.post(link)
    assert pressed.status_code == 303
    assert pressed.headers["location"] == f"/en/actions/{slug}/thanks"
    assert await confirmed(pool, slug) == 1
    assert await suspicion_of(pool, no_script["email"]) is None
    emailed = sum(1 for fields in flood if smtp.to(fields["email"]))
    assert emailed <= 10, "past the client's burst limit, no email"


async def test_signing_again_without_a_script_sends_the_one_more_step_link_again(
    asgi_app: ASGIApp, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    """Its first email lost, a signer without JavaScript signs again, still without the
    proof: the link comes again (after the hour that keeps repeats apart), still asking for
    the press."""
    slug = await asking(pool)
    no_script = form()
    async with http_client(asgi_app, "192.0.2.72") as signer:
        await signer.post(f"/en/actions/{slug}/sign", data=no_script)
        await drain()
        assert len(smtp.to(no_script["email"])) == 1
        await pool.execute(
            """UPDATE deliveries SET created_at = created_at - interval '2 hours'
               WHERE signature_id IN (SELECT s.id FROM signatures s
                                      JOIN actions a ON a.id = s.action_id WHERE a.slug = $1)""",
            slug,
        )
        await signer.post(f"/en/actions/{slug}/sign", data=no_script)
        await drain()
    assert len(smtp.to(no_script["email"])) == 2
    assert await suspicion_of(pool, no_script["email"]) == "proof_of_work"


async def confirmed(pool: Pool, slug: str) -> int:
    count: int = await pool.fetchval(
        """SELECT count(*) FROM signatures s JOIN actions a ON a.id = s.action_id
           WHERE a.slug = $1 AND s.status = 'confirmed'""",
        slug,
    )
    return count


async def test_by_default_it_is_asked_for_only_while_something_trends(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await asking(pool, "auto")
    assert "data-proof-of-work" not in (await client.get(f"/en/actions/{slug}")).text
    quiet = form()
    await client.post(f"/en/actions/{slug}/sign", data=quiet)
    assert await suspicion_of(pool, quiet["email"]) is None

    await pool.execute(
        """INSERT INTO abuse_alerts (action_id, kind, subject, signatures, first_seen, last_seen)
           SELECT id, 'domain', 'catchall.example', 500, $2, $2 FROM actions WHERE slug = $1""",
        slug,
        datetime.now(UTC),
    )
    page = f"/en/actions/{slug}"
    asked = await page_once(client, page, lambda answer: "data-proof" in answer.text)
    assert "data-proof-of-work" in asked.text
    during = form()
    await client.post(f"/en/actions/{slug}/sign", data=during)
    assert await suspicion_of(pool, during["email"]) == "proof_of_work"

    await pool.execute("UPDATE actions SET proof_of_work = 'off' WHERE slug = $1", slug)
    quiet_again = await page_once(client, page, lambda answer: "data-proof" not in answer.text)
    assert "data-proof-of-work" not in quiet_again.text


async def test_a_campaigner_switches_it_on_for_an_action(
    client: httpx.AsyncClient, pool: Pool, campaigner: Campaigner
) -> None:
    slug = await make_action(pool, locales=("en",))
    edit = await campaigner.client.get(f"/admin/actions/{slug}/edit")
    assert 'name="proof_of_work" value="auto" checked' in edit.text
    deadline = re.search(r'name="deadline" type="datetime-local" value="([^"]*)"', edit.text)
    saved = await campaigner.post(
        f"/admin/actions/{slug}/edit",
        {
            "deadline": deadline.group(1) if deadline else "",
            "time_zone": "UTC",
            "goal": "100",
            "reply_to": "relay",
            "proof_of_work": "on",
        },
    )
    assert saved.status_code == 303
    assert await pool.fetchval("SELECT proof_of_work FROM actions WHERE slug = $1", slug) == "on"
    wrong = await campaigner.post(f"/admin/actions/{slug}/edit", {"proof_of_work": "sometimes"})
    assert wrong.status_code == 422
    assert "Choose when the form asks for a proof of work." in wrong.text


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: `apt-get install chromium` to run browser tests")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.mark.browser
async def test_a_browser_solves_it_and_signs_unsuspected(
    browser: Browser, live_app: str, pool: Pool
) -> None:
    slug = await asking(pool)
    email = unique_email("browser")
    page = await browser.new_page()
    await page.goto(f"{live_app}/en/actions/{slug}")
    await page.get_by_label("Your name").fill("Li Wei")
    await page.get_by_label("Your email address").fill(email)
    await page.get_by_label("Your country").select_option("CN")
    await page.get_by_role("button", name="Sign").click()
    await expect(page).to_have_url(re.compile(r"/check-email$"), timeout=30_000)
    assert await suspicion_of(pool, email) is None, "solved in the browser, checked by us"
    await page.close()
