"""Solidarity messages (docs/solidarity.md): an action may ask those who signed it, on the
thank-you page, for a short message to the person at risk or their family, in any language.
Nothing reaches the family or the public before the workspace has moderated it: edited out
what could identify anyone, translated it into the family's language, and approved it.
Approved messages print as cards and export for the family; those chosen show on the case
page while the family agrees."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import solidarity as family_of
from campaign_engine.db.campaigns.solidarity import Family
from campaign_engine.db.personal import solidarity
from campaign_engine.db.pool import Pool
from campaign_engine.domain.errors import ActionNotFound, DomainError
from campaign_engine.domain.workspace import audit
from campaign_engine.models.signing import ApprovedMessage, Moderation, StoredMessage
from campaign_engine.models.workspace import Staff

MAX_MESSAGE = 600  # characters: a card holds a few sentences
LISTED = 500  # messages a moderation page lists at once
SHOWN_ON_CASE_PAGE = 12


class MessageNotFound(DomainError):
    """No such message of this action."""


async def write_solidarity(
    pool: Pool, clock: Clock, signature_id: UUID, action_id: int, locale: str, text: str
) -> bool:
    """The signer's message (a second replaces the first, to be moderated again); False when
    the signature cannot write one (not confirmed, of another action, or it does not ask)."""
    async with pool.acquire() as conn:
        return await solidarity.write_message(
            conn, signature_id, action_id, locale, text, clock.now()
        )


async def message_state(pool: Pool, signature_id: UUID, action_id: int) -> tuple[bool, bool]:
    """(the signature is one of this action, it wrote a message already)."""
    async with pool.acquire() as conn:
        return await solidarity.get_message_state(conn, signature_id, action_id)


@dataclass(frozen=True)
class Moderating:
    family: Family
    messages: list[StoredMessage]


async def read_moderation(pool: Pool, slug: str, status: str | None) -> Moderating:
    async with pool.acquire() as conn:
        family = await family_of.get_family(conn, slug)
        if family is None:
            raise ActionNotFound
        messages = await solidarity.list_messages(conn, family.action_id, status, LISTED)
    return Moderating(family, messages)


async def moderate_message(
    pool: Pool, clock: Clock, actor: Staff, slug: str, message_id: int, decided: Moderation
) -> None:
    """Approve (as edited, with its translation) or reject one message; in the audit log,
    without its words."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        family = await family_of.get_family(conn, slug)
        if family is None:
            raise ActionNotFound
        if not await solidarity.moderate(
            conn, family.action_id, message_id, decided, now, actor.id
        ):
            raise MessageNotFound
        await audit.record(
            conn,
            actor.id,
            f"solidarity.{decided.status}",
            now,
            ("action", family.action_id),
            message_id=message_id,
            translated_into=decided.translation_locale,
            shown=decided.shown,
        )


async def set_family(
    pool: Pool,
    clock: Clock,
    actor: Staff,
    slug: str,
    family_locale: str | None,
    consents: bool,
) -> None:
    """The language the family reads, and whether they agree to messages on the case page."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        family = await family_of.get_family(conn, slug)
        if family is None:
            raise ActionNotFound
        await family_of.set_family(conn, family.case_id, family_locale, consents)
        await audit.record(
            conn,
            actor.id,
            "case.family_updated",
            now,
            ("case", family.case_id),
            family_locale=family_locale,
            consents=consents,
        )


@dataclass(frozen=True)
class ForTheFamily:
    family: Family
    messages: list[ApprovedMessage]


async def messages_for_the_family(pool: Pool, slug: str) -> ForTheFamily:
    """The approved messages, for the cards and the export."""
    async with pool.acquire() as conn:
        family = await family_of.get_family(conn, slug)
        if family is None:
            raise ActionNotFound
        messages = await solidarity.list_approved(conn, family.action_id)
    return ForTheFamily(family, messages)


async def shown_messages(pool: Pool, case_id: int) -> list[ApprovedMessage]:
    """The selection for the case page: none unless the family agrees."""
    async with pool.acquire() as conn:
        return await solidarity.list_shown(conn, case_id, SHOWN_ON_CASE_PAGE)
