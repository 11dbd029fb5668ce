"""Signing in to the workspace, and the sessions it opens.

A password opens a session that is not yet *verified* when the account has a second factor;
its code verifies the session under a new token. A password never leads anywhere else: an
account whose role needs a second factor it does not have is refused, and enrols only through
a sign-in link an administrator made (`domain/workspace/staff.py`), so a stolen password alone can
neither open the workspace nor put the thief's own app in place of the owner's. Replacing a
second factor takes a verified session and a code from the current one.

Sessions live in PostgreSQL, so signing out, a new password or a disabled account ends them
at once (ASVS 7.4.1). A session ends after 30 idle minutes and 12 hours in all (ASVS 7.3).
Guesses at passwords and codes are slowed per (account, client) and capped per account
(`domain/workspace/guesses.py`); a wrong address is answered exactly like a wrong password.
The states a session can be in, and what each may reach, are tabled in docs/security.md.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from datetime import timedelta

from campaign_engine.clock import Clock
from campaign_engine.db.pool import Pool
from campaign_engine.db.workspace import sign_in as sessions
from campaign_engine.db.workspace import staff as accounts
from campaign_engine.domain.errors import (
    NeedsSignInLink,
    NotAllowed,
    PasswordRefused,
    SignInRefused,
    WrongCode,
)
from campaign_engine.domain.workspace import audit
from campaign_engine.domain.workspace.access import needs_second_factor
from campaign_engine.domain.workspace.guesses import (
    CODES,
    PASSWORDS,
    code_guesser,
    count_guess,
    forgive,
    password_guesser,
)
from campaign_engine.domain.workspace.staff import canonical_staff_email, check_new_password
from campaign_engine.models.workspace import StaffSession
from campaign_engine.security import passwords, second_factor
from campaign_engine.security.tokens import Tokens, new_session_token, token_hash

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
SECOND_STEP_TIMEOUT = timedelta(minutes=15)  # to give the code after the password
ENROLMENT_TIMEOUT = timedelta(minutes=15)  # to scan a new secret and type its first code
# A session's last activity is written at most this often: not on every page.
TOUCH_EVERY = timedelta(minutes=1)


class NextStep(enum.StrEnum):
    DONE = "done"
    SECOND_FACTOR = "second_factor"  # give the code


@dataclass(frozen=True)
class SignedIn:
    token: str
    next_step: NextStep


async def sign_in(
    pool: Pool, clock: Clock, tokens: Tokens, email: str, password: str, client: str | None
) -> SignedIn:
    """A session for a right password: verified at once, or owing the second factor's code.
    NeedsSignInLink for an account whose role needs a factor it does not have."""
    signed_in = await _open_session(pool, clock, tokens, email, password, client)
    if signed_in is None:
        raise NeedsSignInLink
    return signed_in


async def _open_session(
    pool: Pool, clock: Clock, tokens: Tokens, email: str, password: str, client: str | None
) -> SignedIn | None:
    email, now = canonical_staff_email(email), clock.now()
    guesser = password_guesser(tokens, email, client)
    await count_guess(pool, clock, PASSWORDS, guesser)
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
    await forgive(pool, guesser)
    async with pool.acquire() as conn, conn.transaction():
        staff = await accounts.get_staff(conn, stored.staff_id)
        assert staff is not None
        if not staff.has_second_factor and needs_second_factor(staff.role):
            # Enrolling on the strength of a password alone is what a thief would do.
            await audit.record(conn, None, "staff.sign_in_needs_link", now, ("staff", staff.id))
            return None
        next_step = NextStep.SECOND_FACTOR if staff.has_second_factor else NextStep.DONE
        token, hashed = new_session_token()
        await sessions.insert_session(conn, hashed, staff.id, next_step is NextStep.DONE, now)
        if passwords.needs_rehash(stored_hash):
            rehashed = await asyncio.to_thread(passwords.hash_password, password)
            await accounts.set_password_hash(conn, staff.id, rehashed, now)
        if next_step is NextStep.DONE:
            await audit.record(conn, staff.id, "staff.signed_in", now, ("staff", staff.id))
    return SignedIn(token, next_step)


async def current_session(pool: Pool, clock: Clock, token: str) -> StaffSession | None:
    """The live session a cookie's token opens, or None (unknown, ended or timed out)."""
    hashed, now = token_hash(token), clock.now()
    async with pool.acquire() as conn:
        session = await sessions.get_session(conn, hashed)
        if session is None:
            return None
        lifetime = ABSOLUTE_TIMEOUT if session.verified else SECOND_STEP_TIMEOUT
        # A session owes a code only while there is a code to give: with the factor gone
        # (reset by an administrator) it could lead nowhere but to a thief's enrolment.
        owes_nothing = not session.verified and not session.staff.has_second_factor
        if (
            owes_nothing
            or now - session.created_at > lifetime
            or now - session.last_seen_at > IDLE_TIMEOUT
        ):
            await sessions.end_session(conn, hashed, now)
            return None
        if now - session.last_seen_at > TOUCH_EVERY:
            await sessions.touch_session(conn, hashed, now)
    return session


async def confirm_second_factor(
    pool: Pool, clock: Clock, tokens: Tokens, session: StaffSession, code: str, client: str | None
) -> str:
    """The code of an enrolled second factor verifies the session: under a new token, so a
    token seen before this step is worth nothing after it."""
    staff, now = session.staff, clock.now()
    step = await _current_factor_step(pool, clock, tokens, staff.id, code, client)
    token, hashed = new_session_token()
    async with pool.acquire() as conn, conn.transaction():
        if not await accounts.use_totp_step(conn, staff.id, step):
            raise WrongCode
        await sessions.end_session(conn, session.token_hash, now)
        await sessions.insert_session(conn, hashed, staff.id, True, now)
        await audit.record(conn, staff.id, "staff.signed_in", now, ("staff", staff.id))
    return token


async def _current_factor_step(
    pool: Pool, clock: Clock, tokens: Tokens, staff_id: int, code: str, client: str | None
) -> int:
    """The time step of a right code from the account's second factor (counted as a guess,
    and forgiven when right); WrongCode otherwise. The caller spends the step."""
    guesser = code_guesser(tokens, staff_id, client)
    await count_guess(pool, clock, CODES, guesser)
    async with pool.acquire() as conn:
        stored = await accounts.get_secrets(conn, staff_id)
    secret = stored.totp_secret if stored else None
    step = second_factor.matching_step(secret, code, clock.now()) if secret else None
    if step is None:
        raise WrongCode
    await forgive(pool, guesser)
    return step


@dataclass(frozen=True)
class NewFactor:
    """A second factor on its way in: its secret, a code from it, and (when it replaces one)
    a code from the one it replaces."""

    secret: str
    code: str
    current_code: str = ""


async def enrol_second_factor(
    pool: Pool,
    clock: Clock,
    tokens: Tokens,
    session: StaffSession,
    new: NewFactor,
    client: str | None,
) -> str:
    """Turn the second factor on, or move it to another app: from a verified session only,
    proven by a code from the new one and, when one is on already, by a code from it (a
    session left open on a borrowed laptop must not hand the account over). Every other
    session ends; this one continues under a new token."""
    staff, now = session.staff, clock.now()
    if not session.verified:
        raise NotAllowed
    replaced_step = None
    if staff.has_second_factor:
        try:
            replaced_step = await _current_factor_step(
                pool, clock, tokens, staff.id, new.current_code, client
            )
        except WrongCode as wrong:
            raise WrongCode("current") from wrong
    guesser = code_guesser(tokens, staff.id, client)
    await count_guess(pool, clock, CODES, guesser)
    step = second_factor.matching_step(new.secret, new.code, now)
    if step is None:
        raise WrongCode("new")
    await forgive(pool, guesser)
    token, hashed = new_session_token()
    async with pool.acquire() as conn, conn.transaction():
        if replaced_step is not None and not await accounts.use_totp_step(
            conn, staff.id, replaced_step
        ):
            raise WrongCode("current")
        await accounts.set_second_factor(conn, staff.id, new.secret, step, now)
        await sessions.end_sessions_of(conn, staff.id, None, now)
        await sessions.insert_session(conn, hashed, staff.id, True, now)
        verb = (
            "staff.second_factor_replaced"
            if staff.has_second_factor
            else "staff.second_factor_enrolled"
        )
        await audit.record(conn, staff.id, verb, now, ("staff", staff.id))
    return token


async def sign_out(pool: Pool, clock: Clock, session: StaffSession) -> None:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        await sessions.end_session(conn, session.token_hash, now)
        await audit.record(
            conn, session.staff.id, "staff.signed_out", now, ("staff", session.staff.id)
        )


async def change_password(
    pool: Pool,
    clock: Clock,
    tokens: Tokens,
    session: StaffSession,
    current: str,
    new: str,
    client: str | None,
) -> None:
    """A new password, proven by the current one; every other session ends."""
    staff, now = session.staff, clock.now()
    guesser = password_guesser(tokens, staff.email, client)
    await count_guess(pool, clock, PASSWORDS, guesser)
    async with pool.acquire() as conn:
        stored = await accounts.get_secrets(conn, staff.id)
    current_hash = stored.password_hash if stored else None
    if not await asyncio.to_thread(passwords.password_matches, current_hash, current):
        raise PasswordRefused("current_wrong")
    await forgive(pool, guesser)
    check_new_password(new, staff.email)
    hashed = await asyncio.to_thread(passwords.hash_password, new)
    async with pool.acquire() as conn, conn.transaction():
        await accounts.set_password_hash(conn, staff.id, hashed, now)
        await sessions.end_sessions_of(conn, staff.id, session.token_hash, now)
        await audit.record(conn, staff.id, "staff.password_changed", now, ("staff", staff.id))


async def set_language(pool: Pool, clock: Clock, session: StaffSession, locale: str) -> None:
    async with pool.acquire() as conn:
        await accounts.set_locale(conn, session.staff.id, locale, clock.now())
