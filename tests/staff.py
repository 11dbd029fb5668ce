"""Campaigners for the workspace tests: invited the way the command line invites them, each
signed in on an HTTP client of their own (so no cookie leaks into another test)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pyotp
from starlette.types import ASGIApp

from campaign_engine.clock import SystemClock
from campaign_engine.db.pool import Pool
from campaign_engine.domain.workspace.access import needs_second_factor
from campaign_engine.domain.workspace.staff import (
    Enrolment,
    LinkUse,
    accept_invitation,
    invite_staff,
)
from campaign_engine.models.workspace import Role, Staff
from campaign_engine.security import second_factor
from campaign_engine.security.tokens import Tokens, token_hash
from tests.conftest import TEST_SECRET, http_client

PASSWORD = "a long and memorable test passphrase"
SESSION_COOKIE = "ce-session"
_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Campaigner:
    staff: Staff
    client: httpx.AsyncClient
    secret: str | None  # their second factor's secret, if they have one
    last_step: int = 0  # a code works once: the next one comes from a later step

    @property
    def session_token(self) -> str:
        return self.client.cookies[SESSION_COOKIE]

    def csrf(self) -> str:
        return Tokens(TEST_SECRET).csrf_token(token_hash(self.session_token))

    async def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        """A form from our own pages: with the session's token."""
        return await self.client.post(path, data={"csrf_token": self.csrf(), **(data or {})})

    def code(self) -> str:
        """A code from the app, as a person would type it: the current one, or (when that
        step was spent already) the next, which the drift window accepts."""
        assert self.secret is not None
        step = max(current_step(), self.last_step + 1)
        self.last_step = step
        return pyotp.TOTP(self.secret).generate_otp(step)


def current_step() -> int:
    return int(datetime.now(UTC).timestamp()) // second_factor.STEP_SECONDS


def unique_staff_email(label: str = "staff") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.org"


async def invite(pool: Pool, role: Role, *, name: str = "Test Campaigner") -> tuple[Staff, str]:
    """A new account and its sign-in link's token, as `campaign-engine create-user` makes."""
    invitation = await invite_staff(
        pool, SystemClock(), None, unique_staff_email(role.value), name, role, "en"
    )
    return invitation.staff, invitation.token


async def signed_in(
    app: ASGIApp, pool: Pool, role: Role, *, with_second_factor: bool | None = None
) -> Campaigner:
    """A campaigner who accepted their invitation, signed in on a client of their own. They
    have a second factor if their role needs one (or if asked)."""
    staff, token = await invite(pool, role, name=f"{role.value.title()} Tester")
    enrol = needs_second_factor(role) if with_second_factor is None else with_second_factor
    secret = second_factor.new_secret() if enrol else None
    step = current_step()
    enrolment = Enrolment(secret, pyotp.TOTP(secret).generate_otp(step)) if secret else None
    use = LinkUse(PASSWORD, None, enrolment=enrolment)
    session = await accept_invitation(pool, SystemClock(), Tokens(TEST_SECRET), token, use)
    client = http_client(app)
    client.cookies.set(SESSION_COOKIE, session)
    return Campaigner(staff, client, secret, step)


async def form_token(client: httpx.AsyncClient, path: str) -> str:
    """The form token a page of the way in carries (its cookie is now in the client)."""
    page = await client.get(path)
    found = _FORM_TOKEN.search(page.text)
    assert found is not None, f"no form token on {path}"
    return found.group(1)


async def sign_in_form(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    """The sign-in page's form, filled in and sent, as a browser would."""
    token = await form_token(client, "/admin/login")
    return await client.post(
        "/admin/login", data={"csrf_token": token, "email": email, "password": password}
    )


async def audit_verbs(pool: Pool, staff_id: int) -> list[str]:
    """What the audit log says happened to an account, oldest first."""
    rows = await pool.fetch(
        "SELECT verb FROM audit_log WHERE object_type = 'staff' AND object_id = $1 ORDER BY id",
        str(staff_id),
    )
    return [row["verb"] for row in rows]
