"""Suspicion: which signatures we keep but do not believe yet (docs/abuse.md).

A suspected signature is stored, answered exactly like any other (the robot learns nothing,
reliability.md R7), and gets no confirmation email, so it is never confirmed or counted, unless
the same address signs the action again and nothing is suspicious that time (a person behind a
busy network, or whose browser failed the proof of work, tries again later and is believed).
Four things make a signature suspect: its client signed this action too often too fast, the
form's hidden field came back filled in, the address is at a disposable-mail domain, or the
action asks for a proof of work (proof_of_work.py) and none came. None refuses anybody.
"""

from __future__ import annotations

from dataclasses import dataclass

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS

from campaign_engine.db.pool import Connection
from campaign_engine.db.signing import abuse
from campaign_engine.models.signing import Suspicion


@dataclass(frozen=True)
class ClientLimits:
    """Signatures one client address makes on one action before the next is suspected; 0
    turns a limit off. A burst catches a script; the hour catches a patient one."""

    per_minute: int
    per_hour: int


NO_CLIENT_LIMITS = ClientLimits(0, 0)


def email_domain(canonical_email: str) -> str:
    return canonical_email.rpartition("@")[2]


def is_disposable(domain: str) -> bool:
    """The domain or any domain above it is on the list (mail.throwaway.example counts)."""
    labels = domain.split(".")
    return any(".".join(labels[i:]) in DISPOSABLE_DOMAINS for i in range(len(labels) - 1))


async def suspicion_of(
    conn: Connection,
    limits: ClientLimits,
    *,
    action_id: int,
    client_key: bytes | None,
    domain: str,
    honeypot: bool,
    proof_of_work_missing: bool = False,
) -> Suspicion | None:
    """Why a new signature on `action_id` is suspected, or None. Counts include suspected
    signatures, so a flood stays suspected for as long as it lasts."""
    if honeypot:
        return Suspicion.HONEYPOT
    if proof_of_work_missing:
        return Suspicion.PROOF_OF_WORK
    if is_disposable(domain):
        return Suspicion.DISPOSABLE_DOMAIN
    if client_key is not None and await _client_over_limits(conn, limits, action_id, client_key):
        return Suspicion.CLIENT_RATE
    return None


async def _client_over_limits(
    conn: Connection, limits: ClientLimits, action_id: int, client_key: bytes
) -> bool:
    if not (limits.per_minute or limits.per_hour):
        return False
    await abuse.lock_client_on_action(conn, action_id, client_key)
    # Newest first, so the last minute's are always among the rows counted.
    at_most = max(limits.per_minute, limits.per_hour)
    minute, hour = await abuse.count_recent_client_signatures(conn, action_id, client_key, at_most)
    return bool(
        (limits.per_minute and minute >= limits.per_minute)
        or (limits.per_hour and hour >= limits.per_hour)
    )
