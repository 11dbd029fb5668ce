"""Signing in to the workspace, and the sessions it opens.

A password opens a session that is not yet *verified* when the account has (or its role
needs) a second factor; the code, or the enrolment of one, verifies it under a new token.
Sessions live in PostgreSQL, so signing out, a new password or a disabled account ends them
at once (ASVS 7.4.1). A session ends after 30 idle minutes and 12 hours in all (ASVS 7.3).
Password and code guesses are throttled per address and per client, and a wrong address is
answered exactly like a wrong password.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from datetime import timedelta

from campaign_engine import passwords, second_factor
from campaign_engine.clock import Clock
from campaign_engine.db import sign_in_attempts as attempts
from campaign_engine.db import staff as accounts
from campaign_engine.db import staff_sessions as sessions
from campaign_engine.db.pool import Pool
from campaign_engine.domain import audit
from campaign_engine.domain.access import needs_second_factor
from campaign_engine.domain.errors import PasswordRefused, SignInRefused, TooManyAttempts, WrongCode
from campaign_engine.domain.staff import canonical_staff_email, check_new_password
from campaign_engine.models import StaffSession
from campaign_engine.tokens import Tokens, new_session_token, token_hash

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
SECOND_STEP_TIMEOUT = timedelta(minutes=15)  # to give the code (or enrol) after the password
ENROLMENT_TIMEOUT = timedelta(minutes=15)  # to scan a new secret and type its first code
# A session's last activity is written at most this often: not on every page.
TOUCH_EVERY = timedelta(minutes=1)
# Guesses per hour: for one address (whether or not an account has it) and from one client
# (an office behind one address signs in often, so that one is looser).
ATTEMPT_WINDOW = timedelta(hours=1)
ACCOUNT_ATTEMPTS = 10
CLIENT_ATTEMPTS = 100


class NextStep(enum.StrEnum):
    DONE = "done"
    SECOND_FACTOR = "second_factor"  # give the code
    ENROL = "enrol"  # the role needs a second factor the account lacks


@dataclass(frozen=True)
class SignedIn:
    token: str
    next_step: NextStep


async def sign_in(
    pool: Pool, clock: Clock, tokens: Tokens, email: str, password: str, client: str | None
) -> SignedIn:
    email, now = canonical_staff_email(email), clock.now()
    account_key = tokens.account_key(email)
    await _count_guess(pool, clock, account_key, tokens.client_key(client) if client else None)
    async with pool.acquire() as conn:
        stored = await accounts.get_secrets_by_email(conn, email)
    stored_hash = stored.password_hash if stored else None
    if not await asyncio.to_thread(passwords.password_matches, stored_hash, password):
        if stored is not None:
            async with pool.acquire() as conn:
                await audit.record(
                    conn, None, "staff.sign_in_failed", now, ("staff", stored.staff_id)
                )
        raise SignInRefused
    assert stored is not None
    assert stored_hash is not None
    async with pool.acquire() as conn, conn.transaction():
        staff = await accounts.get_staff(conn, stored.staff_id)
        assert staff is not None
        if staff.has_second_factor:
            next_step = NextStep.SECOND_FACTOR
        elif needs_second_factor(staff.role):
            next_step = NextStep.ENROL
        else:
            next_step = NextStep.DONE
        token, hashed = new_session_token()
        await sessions.insert_session(conn, hashed, staff.id, next_step is NextStep.DONE, now)
        await attempts.forget_attempts(conn, account_key)
        if passwords.needs_rehash(stored_hash):
            rehashed = await asyncio.to_thread(passwords.hash_password, password)
            await accounts.set_password_hash(conn, staff.id, rehashed, now)
        if next_step is NextStep.DONE:
            await audit.record(conn, staff.id, "staff.signed_in", now, ("staff", staff.id))
    return SignedIn(token, next_step)


async def _count_guess(
    pool: Pool, clock: Clock, account_key: bytes, client_key: bytes | None
) -> None:
    now = clock.now()
    async with pool.acquire() as conn:
        by_account, by_client = await attempts.count_attempts_since(
            conn, account_key, client_key, now - ATTEMPT_WINDOW
        )
        if by_account >= ACCOUNT_ATTEMPTS or by_client >= CLIENT_ATTEMPTS:
            raise TooManyAttempts
        await attempts.insert_attempt(conn, account_key, client_key, now)


async def current_session(pool: Pool, clock: Clock, token: str) -> StaffSession | None:
    """The live session a cookie's token opens, or None (unknown, ended or timed out)."""
    hashed, now = token_hash(token), clock.now()
    async with pool.acquire() as conn:
        session = await sessions.get_session(conn, hashed)
        if session is None:
            return None
        lifetime = ABSOLUTE_TIMEOUT if session.verified else SECOND_STEP_TIMEOUT
        if now - session.created_at > lifetime or now - session.last_seen_at > IDLE_TIMEOUT:
            await sessions.end_session(conn, hashed, now)
            return None
        if now - session.last_seen_at > TOUCH_EVERY:
            await sessions.touch_session(conn, hashed, now)
    return session


async def confirm_second_factor(
    pool: Pool, clock: Clock, tokens: Tokens, session: StaffSession, code: str
) -> str:
    """The code of an enrolled second factor verifies the session: under a new token, so a
    token seen before this step is worth nothing after it."""
    staff, now = session.staff, clock.now()
    await _count_guess(pool, clock, tokens.account_key(f"second-factor:{staff.id}"), None)
    async with pool.acquire() as conn:
        stored = await accounts.get_secrets(conn, staff.id)
    secret = stored.totp_secret if stored else None
    step = second_factor.matching_step(secret, code, now) if secret else None
    if step is None:
        raise WrongCode
    token, hashed = new_session_token()
    async with pool.acquire() as conn, conn.transaction():
        if not await accounts.use_totp_step(conn, staff.id, step):
            raise WrongCode
        await sessions.end_session(conn, session.token_hash, now)
        await sessions.insert_session(conn, hashed, staff.id, True, now)
        await audit.record(conn, staff.id, "staff.signed_in", now, ("staff", staff.id))
    return token


async def enrol_second_factor(
    pool: Pool, clock: Clock, tokens: Tokens, session: StaffSession, secret: str, code: str
) -> str:
    """Enrol (or replace) the account's second factor, proven by a code from it. Every other
    session ends; this one continues, verified, under a new token."""
    staff, now = session.staff, clock.now()
    await _count_guess(pool, clock, tokens.account_key(f"second-factor:{staff.id}"), None)
    step = second_factor.matching_step(secret, code, now)
    if step is None:
        raise WrongCode
    token, hashed = new_session_token()
    async with pool.acquire() as conn, conn.transaction():
        await accounts.set_second_factor(conn, staff.id, secret, step, now)
        await sessions.end_sessions_of(conn, staff.id, None, now)
        await sessions.insert_session(conn, hashed, staff.id, True, now)
        verb = (
            "staff.second_factor_replaced"
            if staff.has_second_factor
            else "staff.second_factor_enrolled"
        )
        await audit.record(conn, staff.id, verb, now, ("staff", staff.id))
        if not session.verified:
            await audit.record(conn, staff.id, "staff.signed_in", now, ("staff", staff.id))
    return token


async def sign_out(pool: Pool, clock: Clock, session: StaffSession) -> None:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        await sessions.end_session(conn, session.token_hash, now)
        await audit.record(
            conn, session.staff.id, "staff.signed_out", now, ("staff", session.staff.id)
        )


async def change_password(
    pool: Pool, clock: Clock, tokens: Tokens, session: StaffSession, current: str, new: str
) -> None:
    """A new password, proven by the current one; every other session ends."""
    staff, now = session.staff, clock.now()
    await _count_guess(pool, clock, tokens.account_key(staff.email), None)
    async with pool.acquire() as conn:
        stored = await accounts.get_secrets(conn, staff.id)
    current_hash = stored.password_hash if stored else None
    if not await asyncio.to_thread(passwords.password_matches, current_hash, current):
        raise PasswordRefused("current_wrong")
    check_new_password(new, staff.email)
    hashed = await asyncio.to_thread(passwords.hash_password, new)
    async with pool.acquire() as conn, conn.transaction():
        await accounts.set_password_hash(conn, staff.id, hashed, now)
        await sessions.end_sessions_of(conn, staff.id, session.token_hash, now)
        await audit.record(conn, staff.id, "staff.password_changed", now, ("staff", staff.id))


async def set_language(pool: Pool, clock: Clock, session: StaffSession, locale: str) -> None:
    async with pool.acquire() as conn:
        await accounts.set_locale(conn, session.staff.id, locale, clock.now())
