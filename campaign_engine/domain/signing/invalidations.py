"""Invalidation: taking back, in bulk, the signatures a bot wave brought (e-petitions' model).

A campaigner describes them (an email domain, a client, a time span, a suspicion), sees how
many pending and confirmed signatures that matches, and confirms that number. Matching
signatures become `invalidated`; whatever they still had waiting in the outbox (the
confirmation a robot would click, appeals not yet sent to officials) is cancelled; the action's
count is recounted from the signatures themselves, exactly, in the same transaction. It is
written in the audit log with its criteria and its number. No criteria, no invalidation.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaign_engine.clock import Clock
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.signing import abuse
from campaign_engine.db.targets import targets as headings
from campaign_engine.domain.errors import ActionNotFound, DomainError
from campaign_engine.domain.signing.counts import recount
from campaign_engine.domain.workspace import audit
from campaign_engine.models.signing import InvalidationCriteria
from campaign_engine.models.targets import ActionHeading
from campaign_engine.models.workspace import Staff


class NoCriteria(DomainError):
    """An invalidation must say what it takes: never a whole action by mistake."""


class MatchChanged(DomainError):
    """The signatures matching changed since the preview (a wave still arriving, or another
    campaigner's invalidation): show the new numbers instead of acting on old ones."""


@dataclass(frozen=True)
class Matched:
    pending: int
    confirmed: int

    @property
    def total(self) -> int:
        return self.pending + self.confirmed


@dataclass(frozen=True)
class Invalidated:
    signatures: int
    cancelled_messages: int
    confirmed_now: int  # the action's count after the recount


def has_criteria(criteria: InvalidationCriteria) -> bool:
    return criteria != InvalidationCriteria()


async def preview_invalidation(
    pool: Pool, slug: str, locale: str, criteria: InvalidationCriteria
) -> tuple[ActionHeading, Matched]:
    async with pool.acquire() as conn:
        action = await _action(conn, slug, locale)
        return action, Matched(*await abuse.count_matching(conn, action.id, criteria))


async def invalidate(
    pool: Pool, clock: Clock, actor: Staff, slug: str, criteria: InvalidationCriteria, expected: int
) -> Invalidated:
    """Invalidate what `criteria` match, if that is still the `expected` number."""
    if not has_criteria(criteria):
        raise NoCriteria
    async with pool.acquire() as conn, conn.transaction():
        action = await _action(conn, slug, "")
        taken = await abuse.invalidate_matching(conn, action.id, criteria)
        if len(taken) != expected:
            raise MatchChanged  # and the transaction, rolled back, changed nothing
        cancelled = await abuse.cancel_unsent(conn, taken)
        confirmed_now = await recount(conn, action.id)
        await audit.record(
            conn,
            actor.id,
            "action.signatures_invalidated",
            clock.now(),
            ("action", action.id),
            signatures=len(taken),
            cancelled_messages=cancelled,
            criteria=_described(criteria),
        )
    return Invalidated(len(taken), cancelled, confirmed_now)


async def _action(conn: Connection, slug: str, locale: str) -> ActionHeading:
    action = await headings.get_action_heading(conn, slug, locale)
    if action is None:
        raise ActionNotFound
    return action


def _described(criteria: InvalidationCriteria) -> dict[str, object]:
    """The criteria as the audit log keeps them: a client by its hash, never an address."""
    return {
        "domain": criteria.domain,
        "client": criteria.client_key.hex() if criteria.client_key else None,
        "signed_from": criteria.signed_from.isoformat() if criteria.signed_from else None,
        "signed_until": criteria.signed_until.isoformat() if criteria.signed_until else None,
        "suspicion": criteria.suspicion,
    }
