"""The one-click act (docs/network.md, "Acting in one click"): the button in an alert opens the
action with the member's name and country filled in; pressing it makes a confirmed signature
at once, because the link proved the address as a confirmation link does.

The link (`Tokens.act_token`) names the member, the action and the alert's language, and
nothing else. It works while the action takes signatures and the member is in the network;
a GET only shows (link scanners open every link); it is used once, because a member signs an
action once: pressed again, the page says they signed. A signature waiting for its
confirmation under the member's address may have been typed by anyone: the act replaces what
it says (name, country, message, the boxes ticked) with what the member submits, then
confirms it.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from campaign_engine.db.personal import acting
from campaign_engine.db.personal.acting import Actor, OneClickSigner
from campaign_engine.db.pool import Pool
from campaign_engine.db.signing import signatures
from campaign_engine.domain.delivery.appeals import wake_pacers
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.domain.errors import ActionClosed, ActionNotFound, ActionRemoved, DomainError
from campaign_engine.domain.signing.signatures import count_confirmed
from campaign_engine.jobs import JobQueue
from campaign_engine.models.campaigns import ActionStatus
from campaign_engine.models.network import MemberStatus
from campaign_engine.models.signing import SignatureStatus
from campaign_engine.security.tokens import Tokens

# The source a one-click signature is attributed to, in exports and on the dashboard.
ONE_CLICK_SOURCE = "network_alert"


class NotAMember(DomainError):
    """The link's member has left the network (or was never in it): it no longer signs."""


class SignatureWithdrawn(DomainError):
    """Their signature of this action was taken back or judged not genuine: not signed again."""


@dataclass(frozen=True)
class ActLink:
    """An alert's link, read: who, which action, in which language, and where they stand."""

    supporter_id: UUID
    action_id: int
    locale: str
    actor: Actor

    @property
    def signed(self) -> bool:
        return self.actor.signature_status is SignatureStatus.CONFIRMED


@dataclass(frozen=True)
class Acted:
    action_slug: str
    locale: str
    signed_now: bool  # False: they had signed before
    # As ConfirmedSignature's (models/signing.py).
    thanked_signature: UUID | None = None


@dataclass(frozen=True)
class ActFields:
    """What a member may change on the act's page: the address is proven already."""

    name: str
    country: str
    comment: str | None
    anonymous: bool


async def read_act_link(pool: Pool, tokens: Tokens, token: str) -> ActLink:
    """The link's member and action, if it still works; InvalidLink for one we did not make,
    ActionNotFound, ActionRemoved, ActionClosed or NotAMember when it no longer works."""
    supporter_id, action_id, locale = tokens.read_act_token(token)
    async with pool.acquire() as conn:
        actor = await acting.get_actor(conn, supporter_id, action_id)
    return ActLink(supporter_id, action_id, locale, _usable(actor))


def _usable(actor: Actor | None) -> Actor:
    if actor is None:
        raise ActionNotFound
    if actor.action_status == ActionStatus.REMOVED:
        raise ActionRemoved
    if actor.action_status != ActionStatus.OPEN:
        raise ActionClosed(actor.action_slug)
    if actor.member_status != MemberStatus.ACTIVE:
        raise NotAMember
    return actor


async def act_in_one_click(
    pool: Pool, queue: JobQueue | None, tokens: Tokens, token: str, fields: ActFields
) -> Acted:
    """Sign the link's action as its member, confirmed at once; nothing if they had."""
    supporter_id, action_id, locale = tokens.read_act_token(token)
    return await sign_as_member(
        pool, queue, supporter_id, action_id, locale, fields, ONE_CLICK_SOURCE
    )


async def sign_as_member(
    pool: Pool,
    queue: JobQueue | None,
    supporter_id: UUID,
    action_id: int,
    locale: str,
    fields: ActFields,
    source: str,
) -> Acted:
    """A member's confirmed signature, their address (or number) proven by the way they came:
    the alert's link, or a YES from the number they proved (domain/network/texts.py).
    ActionNotFound, ActionRemoved, ActionClosed, NotAMember or SignatureWithdrawn when it
    cannot be made."""
    new_appeals: list[tuple[int, str]] = []
    signed_now = False
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        actor = _usable(await acting.get_actor(conn, supporter_id, action_id))
        status, signature_id = actor.signature_status, actor.signature_id
        if status in (SignatureStatus.INVALIDATED, SignatureStatus.ERASED):
            raise SignatureWithdrawn
        signer = OneClickSigner(
            signature_id=signature_id or uuid4(),
            action_id=action_id,
            supporter_id=supporter_id,
            locale=locale,
            country=fields.country,
            source=source,
            anonymous=fields.anonymous,
            name=fields.name,
            comment=fields.comment,
        )
        signature_id = signer.signature_id
        if status is SignatureStatus.PENDING:
            # Typed by whoever typed it: what the member submits replaces it, then it counts.
            if await acting.replace_pending_signature(conn, signer):
                signed_now = await signatures.confirm_pending_signature(conn, signature_id)
        elif status is None:
            signed_now = await acting.insert_confirmed_signature(conn, signer)
        if signed_now and signature_id is not None:
            new_appeals = await count_confirmed(conn, doorbells, signature_id, action_id)
    await wake_pacers(pool, new_appeals)
    mine = signature_id if actor.thanks_in_person else None
    return Acted(actor.action_slug, locale, signed_now, mine)
