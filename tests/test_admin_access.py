"""Getting into the workspace, and staying out of it: invitations, passwords, the second factor,
throttling, sessions that end when they should, CSRF, and the audit log of it all."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.domain.workspace.sign_in import IDLE_TIMEOUT
from campaign_engine.models.workspace import Role
from campaign_engine.security.tokens import token_hash
from tests.conftest import http_client
from tests.staff import (
    PASSWORD,
    SESSION_COOKIE,
    Campaigner,
    audit_verbs,
    current_step,
    form_token,
    invite,
    sign_in_form,
    signed_in,
    unique_staff_email,
)

SECRET_KEY_SHOWN = re.compile(r'<code class="secret-key"[^>]*>(.*?)</code>', re.S)


async def test_a_campaigner_accepts_an_invitation_and_signs_in_again_later(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    staff, token = await invite(pool, Role.CAMPAIGNER, name="Amina Diallo")
    async with http_client(asgi_app) as browser:
        welcome = await browser.get(f"/admin/welcome/{token}")
        assert welcome.status_code == 200
        assert "Amina Diallo" in welcome.text
        assert "secret-key" not in welcome.text, "a campaigner's role needs no second factor"
        too_short = await browser.post(
            f"/admin/welcome/{token}",
            data={
                "csrf_token": await form_token(browser, f"/admin/welcome/{token}"),
                "password": "short",
            },
        )
        assert too_short.status_code == 422
        assert "at least 12 characters" in too_short.text
        accepted = await browser.post(
            f"/admin/welcome/{token}",
            data={
                "csrf_token": await form_token(browser, f"/admin/welcome/{token}"),
                "password": PASSWORD,
            },
        )
        assert accepted.status_code == 303
        assert accepted.headers["location"] == "/admin"
        overview = await browser.get("/admin")
        assert overview.status_code == 200
        assert "Urgent actions" in overview.text
        assert overview.headers["cache-control"] == "no-store"

    spent = await http_client(asgi_app).get(f"/admin/welcome/{token}")
    assert spent.status_code == 410, "a link works once"

    async with http_client(asgi_app) as browser:
        answer = await sign_in_form(browser, staff.email, PASSWORD)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/admin"
        assert (await browser.get("/admin")).status_code == 200
    assert await audit_verbs(pool, staff.id) == [
        "staff.invited",
        "staff.password_set",
        "staff.signed_in",
    ]


async def test_an_owner_enrols_a_second_factor_with_the_invitation_and_needs_it_after(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    staff, token = await invite(pool, Role.OWNER)
    async with http_client(asgi_app) as browser:
        welcome = await browser.get(f"/admin/welcome/{token}")
        shown = SECRET_KEY_SHOWN.search(welcome.text)
        assert shown is not None, "the key is shown to type by hand, beside the QR code"
        assert "<svg" in welcome.text
        secret = re.sub(r"<[^>]+>|\s", "", shown.group(1))
        form = {
            "csrf_token": re.findall(r'name="csrf_token" value="([^"]+)"', welcome.text)[0],
            "enrolment": re.findall(r'name="enrolment" value="([^"]+)"', welcome.text)[0],
            "password": PASSWORD,
        }
        wrong = await browser.post(f"/admin/welcome/{token}", data={**form, "code": "000000"})
        assert wrong.status_code == 422
        step = current_step()
        code = pyotp.TOTP(secret).generate_otp(step)
        assert (
            await browser.post(f"/admin/welcome/{token}", data={**form, "code": code})
        ).status_code == 303
        assert (await browser.get("/admin")).status_code == 200

    owner = Campaigner(staff, http_client(asgi_app), secret, step)
    async with owner.client as browser:
        answer = await sign_in_form(browser, staff.email, PASSWORD)
        assert answer.headers["location"].startswith("/admin/second-factor")
        half_way = await browser.get("/admin")
        assert half_way.status_code == 303, "a password alone does not open the workspace"
        assert half_way.headers["location"] == "/admin/second-factor"
        before = browser.cookies[SESSION_COOKIE]
        page = await browser.get("/admin/second-factor")
        token_field = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)[0]
        used = pyotp.TOTP(secret).generate_otp(step)
        replayed = await browser.post(
            "/admin/second-factor", data={"csrf_token": token_field, "code": used}
        )
        assert replayed.status_code == 401, "the code that enrolled cannot sign in again"
        done = await browser.post(
            "/admin/second-factor", data={"csrf_token": token_field, "code": owner.code()}
        )
        assert done.status_code == 303
        assert browser.cookies[SESSION_COOKIE] != before, "a new session token once verified"
        assert (await browser.get("/admin")).status_code == 200
    assert "staff.second_factor_enrolled" not in await audit_verbs(pool, staff.id), (
        "enrolled with the invitation, in the same record as the password"
    )


async def test_a_wrong_address_and_a_wrong_password_get_the_same_answer(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    staff, _token = await invite(pool, Role.VIEWER)
    async with http_client(asgi_app) as browser:
        wrong_password = await sign_in_form(browser, staff.email, "not the password at all")
        unknown = await sign_in_form(
            browser, unique_staff_email("nobody"), "not the password at all"
        )
    assert wrong_password.status_code == unknown.status_code == 401
    strip = re.compile(r'value="[^"]*@example.org"')
    assert strip.sub("", wrong_password.text) == strip.sub("", unknown.text)


async def test_signing_out_ends_the_session_on_the_server(asgi_app: ASGIApp, pool: Pool) -> None:
    viewer = await signed_in(asgi_app, pool, Role.VIEWER)
    stolen = viewer.session_token
    assert (await viewer.post("/admin/logout")).status_code == 303
    async with http_client(asgi_app) as thief:
        thief.cookies.set(SESSION_COOKIE, stolen)
        replay = await thief.get("/admin")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/admin/login")
    await viewer.client.aclose()


async def test_a_new_password_ends_every_other_session(asgi_app: ASGIApp, pool: Pool) -> None:
    campaigner = await signed_in(asgi_app, pool, Role.CAMPAIGNER)
    async with http_client(asgi_app) as laptop:
        assert (await sign_in_form(laptop, campaigner.staff.email, PASSWORD)).status_code == 303
        changed = await campaigner.post(
            "/admin/account/password",
            {"current_password": PASSWORD, "new_password": "another long passphrase here"},
        )
        assert changed.status_code == 200
        assert (await laptop.get("/admin")).status_code == 303, "the other session ended"
    assert (await campaigner.client.get("/admin")).status_code == 200, "this one continues"
    wrong = await campaigner.post(
        "/admin/account/password",
        {"current_password": "not it at all", "new_password": "yet another long passphrase"},
    )
    assert wrong.status_code == 422
    await campaigner.client.aclose()


async def test_sessions_end_after_idle_and_absolute_timeouts(asgi_app: ASGIApp, pool: Pool) -> None:
    idle = await signed_in(asgi_app, pool, Role.VIEWER)
    await pool.execute(
        "UPDATE staff_sessions SET last_seen_at = last_seen_at - $2::interval "
        "WHERE token_hash = $1",
        token_hash(idle.session_token),
        IDLE_TIMEOUT + timedelta(seconds=5),
    )
    assert (await idle.client.get("/admin")).status_code == 303

    busy = await signed_in(asgi_app, pool, Role.VIEWER)
    await pool.execute(
        "UPDATE staff_sessions SET created_at = created_at - interval '12 hours 1 minute' "
        "WHERE token_hash = $1",
        token_hash(busy.session_token),
    )
    assert (await busy.client.get("/admin")).status_code == 303, "12 hours at most, however busy"
    await idle.client.aclose()
    await busy.client.aclose()


async def test_disabling_an_account_ends_its_sessions(asgi_app: ASGIApp, pool: Pool) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    viewer = await signed_in(asgi_app, pool, Role.VIEWER)
    assert (await admin.post(f"/admin/team/{viewer.staff.id}/disable")).status_code == 303
    assert (await viewer.client.get("/admin")).status_code == 303
    async with http_client(asgi_app) as browser:
        assert (await sign_in_form(browser, viewer.staff.email, PASSWORD)).status_code == 401
    await admin.client.aclose()
    await viewer.client.aclose()


@pytest.mark.parametrize(
    ("headers", "with_token"),
    [
        ({}, False),
        ({"Origin": "https://evil.example"}, True),
        ({"Sec-Fetch-Site": "cross-site"}, True),
    ],
    ids=["no token", "another origin", "cross-site fetch"],
)
async def test_a_change_from_elsewhere_is_refused(
    asgi_app: ASGIApp, pool: Pool, headers: dict[str, str], with_token: bool
) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    form = {"name": "Mallory", "email": unique_staff_email("mallory"), "role": "owner"}
    if with_token:
        form["csrf_token"] = admin.csrf()
    refused = await admin.client.post("/admin/team", data=form, headers=headers)
    assert refused.status_code == 403
    assert await pool.fetchval("SELECT count(*) FROM staff WHERE email = $1", form["email"]) == 0
    await admin.client.aclose()


async def test_signing_in_needs_the_form_from_our_own_page(asgi_app: ASGIApp, pool: Pool) -> None:
    viewer = await signed_in(asgi_app, pool, Role.VIEWER)
    async with http_client(asgi_app) as browser:
        forged = await browser.post(
            "/admin/login", data={"email": viewer.staff.email, "password": PASSWORD}
        )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in forged.cookies
    await viewer.client.aclose()


async def test_the_session_cookie_cannot_be_read_by_scripts_or_sent_by_other_sites(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    viewer = await signed_in(asgi_app, pool, Role.VIEWER)
    async with http_client(asgi_app) as browser:
        answer = await sign_in_form(browser, viewer.staff.email, PASSWORD)
    cookie = next(
        value
        for key, value in answer.headers.multi_items()
        if key == "set-cookie" and value.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    await viewer.client.aclose()


async def test_roles_are_managed_only_by_those_above_them(asgi_app: ASGIApp, pool: Pool) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    owner = await signed_in(asgi_app, pool, Role.OWNER)
    viewer = await signed_in(asgi_app, pool, Role.VIEWER)
    make_owner = await admin.post(f"/admin/team/{viewer.staff.id}/role", {"role": "owner"})
    assert make_owner.status_code == 403, "only an owner makes an owner"
    touch_owner = await admin.post(f"/admin/team/{owner.staff.id}/disable")
    assert touch_owner.status_code == 403
    promote = await admin.post(f"/admin/team/{viewer.staff.id}/role", {"role": "campaigner"})
    assert promote.status_code == 303
    own = await owner.post(f"/admin/team/{owner.staff.id}/role", {"role": "viewer"})
    assert own.status_code == 403, "nobody demotes themself"
    verbs = await audit_verbs(pool, viewer.staff.id)
    assert "staff.role_changed" in verbs
    for campaigner in (admin, owner, viewer):
        await campaigner.client.aclose()


async def test_an_admin_invites_a_colleague_and_sees_the_link_once(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    email = unique_staff_email("new")
    invited = await admin.post(
        "/admin/team",
        {"name": "Nour Haddad", "email": email.upper(), "role": "translator", "locale": "ar"},
    )
    assert invited.status_code == 200
    link = re.search(r'value="(http://testserver/admin/welcome/[^"]+)"', invited.text)
    assert link is not None
    again = await admin.post("/admin/team", {"name": "Nour", "email": email, "role": "viewer"})
    assert again.status_code == 422
    assert "already has this address" in again.text
    team = await admin.client.get("/admin/team")
    assert "Nour Haddad" in team.text
    assert link.group(1) not in team.text, "the link is shown once"
    async with http_client(asgi_app) as newcomer:
        welcome = await newcomer.get(link.group(1).removeprefix("http://testserver"))
    assert welcome.status_code == 200
    assert 'lang="ar" dir="rtl"' in welcome.text, "in the language chosen for them"
    await admin.client.aclose()
