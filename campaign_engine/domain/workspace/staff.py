"""Campaigners' accounts: invited by an owner or an admin (or from the command line), they
choose their password through a one-time link, and enrol a second factor where their role
needs one. Owners and admins manage the team; only owners handle owners."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from campaign_engine.clock import Clock
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.workspace import sign_in as sessions
from campaign_engine.db.workspace import staff as accounts
from campaign_engine.domain.errors import (
    InvitationInvalid,
    LastOwner,
    NotAllowed,
    PasswordRefused,
    StaffExists,
    StaffNotFound,
    WrongCode,
)
from campaign_engine.domain.workspace import audit
from campaign_engine.domain.workspace.access import may_manage, needs_second_factor
from campaign_engine.domain.workspace.guesses import CODES, code_guesser, count_guess, forgive
from campaign_engine.models.workspace import Role, Staff
from campaign_engine.security import passwords, second_factor
from campaign_engine.security.tokens import Tokens, new_session_token, token_hash

# Long enough to reach someone over a weekend; short enough that a forgotten link in an
# inbox is soon worth nothing.
INVITATION_LIFETIME = timedelta(days=3)


@dataclass(frozen=True)
class Invitation:
    staff: Staff
    token: str  # the link's secret: shown once, kept only as a hash


@dataclass(frozen=True)
class Enrolment:
    """A second factor being enrolled: the new secret, and a code the app showed for it."""

    secret: str
    code: str


def canonical_staff_email(email: str) -> str:
    return email.strip().lower()


def check_new_password(password: str, email: str) -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise PasswordRefused("too_short")
    if len(password) > passwords.MAX_LENGTH:
        raise PasswordRefused("too_long")
    if password.strip().lower() == email:
        raise PasswordRefused("is_email")


async def invite_staff(
    pool: Pool, clock: Clock, actor: Staff | None, email: str, name: str, role: Role, locale: str
) -> Invitation:
    """A new account and its first sign-in link. `actor` None: the command line."""
    if actor is not None and not may_manage(actor, role):
        raise NotAllowed
    email, now = canonical_staff_email(email), clock.now()
    async with pool.acquire() as conn, conn.transaction():
        staff = await accounts.insert_staff(conn, email, name.strip(), role, locale)
        if staff is None:
            raise StaffExists
        token = await _new_link(conn, clock, staff.id, actor)
        await audit.record(conn, _id(actor), "staff.invited", now, ("staff", staff.id), role=role)
    return Invitation(staff, token)


async def reissue_sign_in_link(
    pool: Pool, clock: Clock, actor: Staff | None, staff_id: int
) -> Invitation:
    """A fresh link for an existing account: a forgotten password, or an invitation lost."""
    async with pool.acquire() as conn, conn.transaction():
        staff = await accounts.get_staff(conn, staff_id)
        if staff is None:
            raise StaffNotFound
        if actor is not None and not may_manage(actor, staff.role):
            raise NotAllowed
        token = await _new_link(conn, clock, staff.id, actor)
        await audit.record(conn, _id(actor), "staff.link_issued", clock.now(), ("staff", staff.id))
    return Invitation(staff, token)


async def sign_in_link_for(pool: Pool, clock: Clock, email: str) -> Invitation:
    """A fresh link for an address, from the command line."""
    async with pool.acquire() as conn:
        staff = await accounts.get_staff_by_email(conn, canonical_staff_email(email))
    if staff is None:
        raise StaffNotFound
    return await reissue_sign_in_link(pool, clock, None, staff.id)


async def development_owner_link(
    pool: Pool, clock: Clock, email: str, name: str
) -> Invitation | None:
    """`make dev`'s owner, created the first time. A sign-in link until they have chosen a
    password; None after (they sign in at /admin/login)."""
    async with pool.acquire() as conn:
        existing = await accounts.get_staff_by_email(conn, canonical_staff_email(email))
    if existing is None:
        return await invite_staff(pool, clock, None, email, name, Role.OWNER, "en")
    if existing.has_password:
        return None
    return await reissue_sign_in_link(pool, clock, None, existing.id)


async def _new_link(conn: Connection, clock: Clock, staff_id: int, actor: Staff | None) -> str:
    token, hashed = new_session_token()
    now = clock.now()
    await accounts.insert_invitation(
        conn, hashed, staff_id, _id(actor), now, now + INVITATION_LIFETIME
    )
    return token


async def invited_staff(pool: Pool, clock: Clock, token: str) -> Staff:
    """Whose live sign-in link this is."""
    async with pool.acquire() as conn:
        staff = await accounts.get_invited_staff(conn, token_hash(token), clock.now())
    if staff is None:
        raise InvitationInvalid
    return staff


@dataclass(frozen=True)
class LinkUse:
    """What comes with a sign-in link: the password chosen, and either a code from the
    account's second factor or the enrolment of one; `client` for the throttle."""

    password: str
    client: str | None
    code: str = ""
    enrolment: Enrolment | None = None


async def accept_invitation(
    pool: Pool, clock: Clock, tokens: Tokens, token: str, use: LinkUse
) -> str:
    """Choose a password through a link and sign in; returns the new session's token.

    Who already has a second factor gives its code (a leaked link alone opens nothing, and
    guesses at the code are throttled as at the sign-in page's); whose role needs one and has
    none enrols it here."""
    staff = await invited_staff(pool, clock, token)
    check_new_password(use.password, staff.email)
    password, code, enrolment = use.password, use.code, use.enrolment
    now = clock.now()
    step, secret = None, None
    if staff.has_second_factor:
        guesser = code_guesser(tokens, staff.id, use.client)
        await count_guess(pool, clock, CODES, guesser)
        async with pool.acquire() as conn:
            stored = await accounts.get_secrets(conn, staff.id)
        assert stored is not None
        assert stored.totp_secret is not None
        step = second_factor.matching_step(stored.totp_secret, code, now)
        if step is not None:
            await forgive(pool, guesser)
    elif needs_second_factor(staff.role) or enrolment is not None:
        if enrolment is None:
            raise WrongCode
        secret = enrolment.secret
        step = second_factor.matching_step(secret, enrolment.code, now)
    if (staff.has_second_factor or secret is not None) and step is None:
        raise WrongCode
    hashed = await asyncio.to_thread(passwords.hash_password, password)
    session_token, session_hash = new_session_token()
    async with pool.acquire() as conn, conn.transaction():
        if await accounts.use_invitation(conn, token_hash(token), now) is None:
            raise InvitationInvalid
        if secret is not None:
            await accounts.set_second_factor(conn, staff.id, secret, step, now)
        elif step is not None and not await accounts.use_totp_step(conn, staff.id, step):
            raise WrongCode
        await accounts.set_password_hash(conn, staff.id, hashed, now)
        # A new password ends every session the old one opened.
        await sessions.end_sessions_of(conn, staff.id, None, now)
        await sessions.insert_session(conn, session_hash, staff.id, True, now)
        await audit.record(conn, staff.id, "staff.password_set", now, ("staff", staff.id))
    return session_token


async def list_team(pool: Pool) -> list[Staff]:
    async with pool.acquire() as conn:
        return await accounts.list_staff(conn)


async def change_role(
    pool: Pool, clock: Clock, actor: Staff, staff_id: int, role: Role
) -> Invitation | None:
    """Give someone another role. One that needs a second factor they lack ends their
    sessions and returns a sign-in link for them, through which they enrol one (a password
    alone never enrols: `domain/workspace/sign_in.py`)."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        staff = await _managed(conn, actor, staff_id)
        if not may_manage(actor, role):
            raise NotAllowed
        if staff.role is Role.OWNER and role is not Role.OWNER:
            await _keep_an_owner(conn, staff)
        await accounts.set_role(conn, staff.id, role, now)
        await audit.record(
            conn, actor.id, "staff.role_changed", now, ("staff", staff.id), old=staff.role, new=role
        )
        if needs_second_factor(role) and not staff.has_second_factor:
            await sessions.end_sessions_of(conn, staff.id, None, now)
            return await _link_to_enrol(conn, clock, staff, actor)
    return None


async def set_disabled(
    pool: Pool, clock: Clock, actor: Staff, staff_id: int, disabled: bool
) -> None:
    """Disable an account (its sessions end at once) or enable it again."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        staff = await _managed(conn, actor, staff_id)
        if disabled and staff.role is Role.OWNER:
            await _keep_an_owner(conn, staff)
        await accounts.set_disabled(conn, staff.id, disabled, now)
        if disabled:
            await sessions.end_sessions_of(conn, staff.id, None, now)
        verb = "staff.disabled" if disabled else "staff.enabled"
        await audit.record(conn, actor.id, verb, now, ("staff", staff.id))


async def remove_second_factor(
    pool: Pool, clock: Clock, actor: Staff, staff_id: int
) -> Invitation | None:
    """For a lost phone: the factor goes, every session ends, and (where the role needs one)
    a sign-in link comes back for the administrator to pass on by a channel they trust; the
    account enrols again through it. All of it audited under the administrator's name."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        staff = await _managed(conn, actor, staff_id)
        await accounts.set_second_factor(conn, staff.id, None, None, now)
        await sessions.end_sessions_of(conn, staff.id, None, now)
        await audit.record(conn, actor.id, "staff.second_factor_removed", now, ("staff", staff.id))
        if needs_second_factor(staff.role):
            return await _link_to_enrol(conn, clock, staff, actor)
    return None


async def _link_to_enrol(conn: Connection, clock: Clock, staff: Staff, actor: Staff) -> Invitation:
    token = await _new_link(conn, clock, staff.id, actor)
    await audit.record(conn, actor.id, "staff.link_issued", clock.now(), ("staff", staff.id))
    return Invitation(staff, token)


async def _managed(conn: Connection, actor: Staff, staff_id: int) -> Staff:
    """The account, if the actor may manage it; never the actor's own (no one demotes,
    disables or strips themself by mistake)."""
    staff = await accounts.get_staff(conn, staff_id)
    if staff is None:
        raise StaffNotFound
    if staff.id == actor.id or not may_manage(actor, staff.role):
        raise NotAllowed
    return staff


async def _keep_an_owner(conn: Connection, leaving: Staff) -> None:
    if not leaving.disabled and await accounts.count_active_owners(conn) <= 1:
        raise LastOwner


def _id(actor: Staff | None) -> int | None:
    return None if actor is None else actor.id
