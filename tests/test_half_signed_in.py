"""Half signed in is hostile: every state between "nobody" and "verified" (a password given
and a code owed; an account owing a second factor; an invitation or a reset link) reaches
exactly the routes the table in docs/security.md gives it, and nothing else. Then the throttle:
guesses are slowed per (account, client), and the account's ceiling is out of one client's
reach, so ten wrong passwords from one place never lock the owner out from everywhere."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pyotp
import pytest
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from campaign_engine.app import create_app
from campaign_engine.clock import SystemClock
from campaign_engine.db.pool import Pool
from campaign_engine.db.workspace import staff as accounts
from campaign_engine.domain.errors import SignInRefused, TooManyAttempts
from campaign_engine.domain.workspace.guesses import CODES, PASSWORDS
from campaign_engine.domain.workspace.sign_in import NextStep, sign_in
from campaign_engine.domain.workspace.staff import Enrolment, LinkUse, accept_invitation
from campaign_engine.models.workspace import Role, Staff
from campaign_engine.security import second_factor
from campaign_engine.security.tokens import Tokens, new_session_token, token_hash
from campaign_engine.settings import Settings
from tests.clock import FakeClock
from tests.conftest import TEST_SECRET, http_client
from tests.staff import (
    PASSWORD,
    SESSION_COOKIE,
    Campaigner,
    audit_verbs,
    current_step,
    invite,
    sign_in_form,
    signed_in,
    unique_staff_email,
)
from tests.test_admin_routes import GUARDED, concrete, table

# The one row of the table for a session that has shown a password and owes a code.
CODE_OWED_MAY = {
    ("GET", "/admin/second-factor"),
    ("POST", "/admin/second-factor"),
    ("POST", "/admin/logout"),
}
_FIELD = re.compile(r'name="(csrf_token|enrolment)" value="([^"]+)"')
_SECRET_SHOWN = re.compile(r'<code class="secret-key"[^>]*>(.*?)</code>', re.S)


def fields(page: httpx.Response) -> dict[str, str]:
    return dict(_FIELD.findall(page.text))


def secret_on(page: httpx.Response) -> str:
    shown = _SECRET_SHOWN.search(page.text)
    assert shown is not None, "no second-factor key on the page"
    return re.sub(r"<[^>]+>|\s", "", shown.group(1))


async def stored_secret(pool: Pool, staff_id: int) -> str | None:
    async with pool.acquire() as conn:
        stored = await accounts.get_secrets(conn, staff_id)
    assert stored is not None
    return stored.totp_secret


def from_address(app: ASGIApp, address: str) -> httpx.AsyncClient:
    return http_client(app, client_address=address)


@pytest.fixture(scope="module")
async def owner(asgi_app: ASGIApp, pool: Pool) -> AsyncIterator[Campaigner]:
    member = await signed_in(asgi_app, pool, Role.OWNER)
    yield member
    await member.client.aclose()


@pytest.fixture(scope="module")
async def code_owed(asgi_app: ASGIApp, owner: Campaigner) -> AsyncIterator[httpx.AsyncClient]:
    """A thief who has the owner's password, and nothing else."""
    thief = from_address(asgi_app, "203.0.113.50")
    answer = await sign_in_form(thief, owner.staff.email, PASSWORD)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/admin/second-factor")
    yield thief
    await thief.aclose()


# The report that opened this: a password, then /admin/enrol with a secret of the thief's own.


async def test_a_stolen_password_cannot_put_the_thiefs_app_in_place_of_the_owners(
    asgi_app: ASGIApp, pool: Pool, owner: Campaigner, code_owed: httpx.AsyncClient
) -> None:
    before = await stored_secret(pool, owner.staff.id)
    page = await code_owed.get("/admin/enrol")
    assert page.status_code == 303
    assert page.headers["location"] == "/admin/second-factor"
    assert "secret-key" not in page.text, "no fresh secret is shown to a password alone"

    # Even holding a well-formed enrolment for a secret of its own, the thief is refused.
    tokens = Tokens(TEST_SECRET)
    thiefs_secret = second_factor.new_secret()
    session = code_owed.cookies[SESSION_COOKIE]
    refused = await code_owed.post(
        "/admin/enrol",
        data={
            "csrf_token": tokens.csrf_token(token_hash(session)),
            "enrolment": tokens.enrolment_token(owner.staff.id, thiefs_secret),
            "code": pyotp.TOTP(thiefs_secret).now(),
        },
    )
    assert refused.status_code == 403
    assert await stored_secret(pool, owner.staff.id) == before, "the owner's factor stands"
    assert (await owner.client.get("/admin")).status_code == 200, "the owner's session lives"
    for path in ("/admin/team", "/admin/api-keys", "/admin/supporters", "/admin"):
        answer = await code_owed.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/admin/second-factor"
    assert "staff.second_factor_replaced" not in await audit_verbs(pool, owner.staff.id)


def test_only_the_code_page_and_signing_out_accept_a_session_that_owes_a_code(
    settings: Settings,
) -> None:
    served = table(settings)
    accepting = {key for key, handler in served.items() if getattr(handler, "unverified", False)}
    assert accepting == CODE_OWED_MAY


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
async def test_a_session_that_owes_a_code_reaches_nothing_else(
    owner: Campaigner, code_owed: httpx.AsyncClient, method: str, path: str
) -> None:
    if (method, path) in CODE_OWED_MAY:
        return  # their own test below: signing out would end the shared session
    target = concrete(path, owner)
    if method == "GET":
        answer = await code_owed.get(target)
        assert answer.status_code == 303, f"{path}: {answer.status_code}"
        assert answer.headers["location"] == "/admin/second-factor"
    else:
        session = code_owed.cookies[SESSION_COOKIE]
        form = {"csrf_token": Tokens(TEST_SECRET).csrf_token(token_hash(session)), "role": "owner"}
        answer = await code_owed.post(target, data=form)
        assert answer.status_code == 403, f"{path}: {answer.status_code}"


async def test_a_session_that_owes_a_code_may_give_it_or_sign_out(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    async with from_address(asgi_app, "198.51.100.20") as laptop:
        await sign_in_form(laptop, admin.staff.email, PASSWORD)
        page = await laptop.get("/admin/second-factor")
        assert page.status_code == 200
        wrong = await laptop.post("/admin/second-factor", data={**fields(page), "code": "000000"})
        assert wrong.status_code == 401
        right = await laptop.post(
            "/admin/second-factor", data={**fields(page), "code": admin.code()}
        )
        assert right.status_code == 303
        assert (await laptop.get("/admin/team")).status_code == 200
    async with from_address(asgi_app, "198.51.100.21") as phone:
        await sign_in_form(phone, admin.staff.email, PASSWORD)
        page = await phone.get("/admin/second-factor")
        out = await phone.post("/admin/logout", data=fields(page))
        assert out.status_code == 303
        assert (
            (await phone.get("/admin/second-factor")).headers["location"].startswith("/admin/login")
        ), "signed out: back to the password"
    await admin.client.aclose()


# Accounts that owe a second factor, and the links that let them enrol one.


async def test_a_reset_second_factor_is_enrolled_through_the_link_never_the_password(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    owner = await signed_in(asgi_app, pool, Role.OWNER)
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    reset = await owner.post(f"/admin/team/{admin.staff.id}/second-factor/remove")
    assert reset.status_code == 200, "the link to pass on is shown at once"
    link = re.search(r'value="http://testserver(/admin/welcome/[^"]+)"', reset.text)
    assert link is not None
    assert (await admin.client.get("/admin")).status_code == 303, "their sessions ended"

    async with from_address(asgi_app, "198.51.100.30") as thief:
        refused = await sign_in_form(thief, admin.staff.email, PASSWORD)
        assert refused.status_code == 403
        assert SESSION_COOKIE not in thief.cookies, "no session, not even half a one"
        assert "new sign-in link" in refused.text
        assert (await thief.get("/admin/enrol")).headers["location"].startswith("/admin/login")

    async with from_address(asgi_app, "198.51.100.31") as colleague:
        welcome = await colleague.get(link.group(1))
        assert welcome.status_code == 200
        secret = secret_on(welcome)
        form = {**fields(welcome), "password": PASSWORD}
        no_code = await colleague.post(link.group(1), data=form)
        assert no_code.status_code == 422, "the link asks for the new factor's first code"
        code = pyotp.TOTP(secret).generate_otp(current_step())
        enrolled = await colleague.post(link.group(1), data={**form, "code": code})
        assert enrolled.status_code == 303
        assert (await colleague.get("/admin/team")).status_code == 200
    assert await stored_secret(pool, admin.staff.id) == secret
    verbs = await audit_verbs(pool, admin.staff.id)
    assert verbs.index("staff.second_factor_removed") < verbs.index("staff.link_issued")
    assert "staff.sign_in_needs_link" in verbs
    await owner.client.aclose()
    await admin.client.aclose()


async def test_a_role_that_needs_a_factor_comes_with_a_link_to_enrol_one(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    owner = await signed_in(asgi_app, pool, Role.OWNER)
    campaigner = await signed_in(asgi_app, pool, Role.CAMPAIGNER)
    promoted = await owner.post(f"/admin/team/{campaigner.staff.id}/role", {"role": "admin"})
    assert promoted.status_code == 200
    assert "/admin/welcome/" in promoted.text
    assert (await campaigner.client.get("/admin")).status_code == 303
    async with from_address(asgi_app, "198.51.100.40") as browser:
        assert (await sign_in_form(browser, campaigner.staff.email, PASSWORD)).status_code == 403
    await owner.client.aclose()
    await campaigner.client.aclose()


async def test_a_reset_link_for_an_account_with_a_factor_needs_its_code_and_slows_guesses(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    owner = await signed_in(asgi_app, pool, Role.OWNER)
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    issued = await owner.post(f"/admin/team/{admin.staff.id}/link")
    link = re.search(r'value="http://testserver(/admin/welcome/[^"]+)"', issued.text)
    assert link is not None
    async with from_address(asgi_app, "203.0.113.60") as finder:
        page = await finder.get(link.group(1))
        assert "secret-key" not in page.text, "a factor exists: its code, not a new one"
        form = {**fields(page), "password": "a leaked link and a guessed code"}
        answers = []
        for guess in ("000000", "111111", "222222", "333333"):
            answers.append(await finder.post(link.group(1), data={**form, "code": guess}))
        assert [a.status_code for a in answers[: CODES.free]] == [422] * CODES.free
        assert answers[CODES.free].status_code == 429
        assert int(answers[CODES.free].headers["retry-after"]) >= 1
    assert await stored_secret(pool, admin.staff.id) is not None
    async with from_address(asgi_app, "198.51.100.61") as colleague:
        page = await colleague.get(link.group(1))
        form = {**fields(page), "password": PASSWORD, "code": admin.code()}
        assert (await colleague.post(link.group(1), data=form)).status_code == 303, (
            "the finder's guesses slowed the finder, not the owner of the account"
        )
    await owner.client.aclose()
    await admin.client.aclose()


async def test_moving_the_second_factor_needs_a_code_from_the_current_one(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    owner = await signed_in(asgi_app, pool, Role.OWNER)
    before = await stored_secret(pool, owner.staff.id)
    # Signed in on a laptop too (straight into the table: a second code in the same 30 s
    # step would not pass, and this test needs the owner's next code for the move itself).
    laptop = from_address(asgi_app, "198.51.100.70")
    token, hashed = new_session_token()
    await pool.execute(
        "INSERT INTO staff_sessions (token_hash, staff_id, verified, created_at, last_seen_at)"
        " VALUES ($1, $2, true, now(), now())",
        hashed,
        owner.staff.id,
    )
    laptop.cookies.set(SESSION_COOKIE, token)
    assert (await laptop.get("/admin")).status_code == 200

    page = await owner.client.get("/admin/enrol")
    assert page.status_code == 200
    assert 'name="current_code"' in page.text
    new_secret = secret_on(page)
    new_code = pyotp.TOTP(new_secret).generate_otp(current_step())
    form = {**fields(page), "code": new_code}
    without = await owner.client.post("/admin/enrol", data=form)
    assert without.status_code == 422
    wrong = await owner.client.post("/admin/enrol", data={**form, "current_code": "123456"})
    assert wrong.status_code == 422
    assert await stored_secret(pool, owner.staff.id) == before
    moved = await owner.client.post("/admin/enrol", data={**form, "current_code": owner.code()})
    assert moved.status_code == 303
    assert await stored_secret(pool, owner.staff.id) == new_secret
    assert (await laptop.get("/admin")).status_code == 303, "every other session ended"
    assert "staff.second_factor_replaced" in await audit_verbs(pool, owner.staff.id)
    await owner.client.aclose()
    await laptop.aclose()


# The throttle.


@pytest.fixture(scope="module")
async def standstill_app(settings: Settings) -> AsyncIterator[ASGIApp]:
    """The app on a clock that stands still, so no delay runs out while the test types."""
    clock = FakeClock(start=datetime.now(UTC))
    async with LifespanManager(create_app(settings, clock=clock)) as manager:
        yield manager.app


async def test_ten_wrong_passwords_from_one_place_do_not_lock_the_owner_out(
    asgi_app: ASGIApp, standstill_app: ASGIApp, pool: Pool
) -> None:
    owner = await signed_in(asgi_app, pool, Role.OWNER)
    unknown = unique_staff_email("nobody")
    async with from_address(standstill_app, "203.0.113.80") as attacker:
        known_answers = [
            (await sign_in_form(attacker, owner.staff.email, "guess guess guess")).status_code
            for _ in range(10)
        ]
        slowed = await sign_in_form(attacker, owner.staff.email, PASSWORD)
        unknown_answers = [
            (await sign_in_form(attacker, unknown, "guess guess guess")).status_code
            for _ in range(10)
        ]
    assert known_answers[: PASSWORDS.free] == [401] * PASSWORDS.free
    assert 429 in known_answers, "the guesser is slowed after a few"
    assert known_answers == unknown_answers, "an address with no account is slowed the same way"
    assert slowed.status_code == 429, "from there, even the right password waits its turn"
    assert int(slowed.headers["retry-after"]) >= 1
    assert "try again" in slowed.text
    async with from_address(standstill_app, "198.51.100.80") as at_home:
        answer = await sign_in_form(at_home, owner.staff.email, PASSWORD)
    assert answer.status_code == 303, "the owner, elsewhere, gets in at once"
    await owner.client.aclose()


async def test_delays_grow_and_only_many_clients_together_close_the_account(
    pool: Pool, settings: Settings
) -> None:
    tokens, clock = Tokens(settings.secret_key), FakeClock(start=datetime.now(UTC))
    owner_email = (await _owner_with_password(pool)).email

    async def guess(client: str) -> timedelta | None:
        """A wrong password from `client`: None when it was checked, else the wait."""
        try:
            await sign_in(pool, clock, tokens, owner_email, "not the password", client)
        except SignInRefused:
            return None
        except TooManyAttempts as throttled:
            return throttled.wait
        raise AssertionError("a wrong password was taken")

    # One client, guessing again the moment it is let: its waits double, and in an hour it
    # makes fewer guesses than the account's ceiling.
    started, guesses, waits = clock.now(), 0, []
    while clock.now() - started < timedelta(hours=1):
        wait = await guess("203.0.113.90")
        if wait is None:
            guesses += 1
            continue
        waits.append(wait)
        clock.advance(wait)
    assert guesses == PASSWORDS.most_in_an_hour() == 17, "as docs/security.md says"
    assert guesses < PASSWORDS.account_ceiling
    assert CODES.most_in_an_hour() == 15 < CODES.account_ceiling
    growth = [round(wait.total_seconds()) for wait in waits[:5]]
    assert growth == [1, 2, 4, 8, 16]
    assert max(waits) <= timedelta(minutes=15)
    signed = await sign_in(pool, clock, tokens, owner_email, PASSWORD, "198.51.100.90")
    assert signed.next_step is NextStep.SECOND_FACTOR, "one client alone never locks the owner out"

    # Many clients, each within its own free guesses, reach the ceiling together: then the
    # account is closed to everyone for the hour, the owner included.
    for number in range(PASSWORDS.account_ceiling):
        await guess(f"192.0.2.{number + 1}")
    with pytest.raises(TooManyAttempts) as closed:
        await sign_in(pool, clock, tokens, owner_email, PASSWORD, "198.51.100.91")
    assert closed.value.everywhere
    clock.advance(timedelta(hours=1, seconds=1))
    signed = await sign_in(pool, clock, tokens, owner_email, PASSWORD, "198.51.100.91")
    assert signed.next_step is NextStep.SECOND_FACTOR


async def _owner_with_password(pool: Pool) -> Staff:
    """An owner with a password and a second factor, and no session anywhere."""
    staff, token = await invite(pool, Role.OWNER)
    secret = second_factor.new_secret()
    enrolment = Enrolment(secret, pyotp.TOTP(secret).generate_otp(current_step()))
    use = LinkUse(PASSWORD, None, enrolment=enrolment)
    await accept_invitation(pool, SystemClock(), Tokens(TEST_SECRET), token, use)
    return staff
