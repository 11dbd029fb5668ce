"""A supporter's data, their rights over it, and how long we keep it (docs/privacy.md).

- **Export** (subject access): everything we hold about one supporter, as one document.
- **Erasure**: by the supporter (through the link in every email we send them) or by a
  campaigner. Their name, address, phone and messages go; their signatures stay as `erased`
  (no longer counted, kept only as a number in the charts' past); what was still waiting to be
  sent to them or for them is cancelled; a keyed hash of the address is kept, so an erasure can
  be applied again to a restored backup.
- **Retention**: a configurable time after an action closes, its signatures are anonymised:
  they keep their status, country, language and times (the counts and charts), and lose who
  signed. A supporter left with no signature at all is deleted.
- **Client keys** (the keyed hashes of client addresses) are forgotten after the abuse window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import followers
from campaign_engine.db.network import members
from campaign_engine.db.personal import member_phones, recipients, solidarity, subjects, supporters
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.privacy import rights
from campaign_engine.db.signing import abuse
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.domain.signing.counts import recount
from campaign_engine.domain.signing.supporters import canonical_email
from campaign_engine.domain.workspace import audit
from campaign_engine.jobs import JobQueue
from campaign_engine.models.network import Membership
from campaign_engine.models.workspace import Staff

log = logging.getLogger(__name__)

# Long enough to invalidate a wave found late (a month of trends and limits), no longer.
ABUSE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class SupporterData:
    """A subject-access export: every row about one supporter, as plain values."""

    supporter: dict[str, object]
    signatures: list[dict[str, object]]
    consents: list[dict[str, object]]
    messages: list[dict[str, object]]
    made_at: datetime
    network: dict[str, object] | None = None  # their membership of the network, if any
    following: list[dict[str, object]] | None = None  # the cases whose news they asked for
    solidarity: list[dict[str, object]] | None = None  # their messages to people at risk


async def find_supporter(pool: Pool, email: str) -> UUID | None:
    async with pool.acquire() as conn:
        return await subjects.find_supporter(conn, canonical_email(email))


async def export_supporter(pool: Pool, clock: Clock, supporter_id: UUID) -> SupporterData | None:
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        record = await subjects.get_supporter_record(conn, supporter_id)
        if record is None:
            return None
        return SupporterData(
            supporter={
                "email": record.email,
                "language": record.locale,
                "first_signed_at": record.created_at,
                "last_signed_at": record.last_signed_at,
            },
            signatures=await subjects.list_supporter_signatures(conn, supporter_id),
            consents=await rights.list_supporter_consents(conn, supporter_id),
            messages=await rights.list_supporter_messages(conn, supporter_id),
            made_at=clock.now(),
            network=_membership(
                await members.get_membership(conn, supporter_id),
                await member_phones.get_member_phone(conn, supporter_id),
            ),
            following=await followers.list_followed_cases(conn, supporter_id),
            solidarity=await solidarity.list_messages_of_supporter(conn, supporter_id),
        )


def _membership(
    found: Membership | None, phone: tuple[str, bytes] | None
) -> dict[str, object] | None:
    if found is None:
        return None
    return {
        "status": found.status.value,
        "language": found.locale,
        "languages": list(found.preferences.languages),
        "countries": list(found.preferences.countries),
        "themes": list(found.preferences.themes),
        "frequency": found.preferences.frequency.value,
        "weekly_cap": found.preferences.weekly_cap,
        "asked_at": found.asked_at,
        "joined_at": found.joined_at,
        "regions": list(found.preferences.regions),
        "texts": found.texts.value,
        "mobile_number": None if phone is None else phone[0],
    }


async def tally_supporter(pool: Pool, supporter_id: UUID) -> subjects.SupporterTally | None:
    """How much we hold about a supporter, for a page to say, without opening any of it."""
    async with pool.acquire() as conn:
        return await subjects.count_supporter_data(conn, supporter_id)


# Links asked for through the form, per address and day: enough to retry, too few to annoy.
PRIVACY_LINKS_PER_DAY = 3


async def send_privacy_link(pool: Pool, queue: JobQueue, email: str) -> None:
    """Email a fresh link to the supporter's data, if we hold this address; whoever asks
    learns nothing either way (the page says the same), and the link goes only to the
    address itself."""
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        supporter_id = await subjects.find_supporter(conn, canonical_email(email))
        if supporter_id is None:
            return
        sent = await rights.count_recent_privacy_links(conn, supporter_id, timedelta(days=1))
        if sent >= PRIVACY_LINKS_PER_DAY:
            return
        delivery_id = await rights.insert_privacy_link(conn, supporter_id, sent)
        if delivery_id is not None:
            doorbells.delivery(delivery_id)


async def link_recipient(pool: Pool, delivery_id: UUID) -> recipients.LinkRecipient | None:
    async with pool.acquire() as conn:
        return await recipients.get_link_recipient(conn, delivery_id)


async def record_export(pool: Pool, clock: Clock, actor: Staff) -> None:
    """A campaigner's subject-access export is on the audit log, without whose it was."""
    async with pool.acquire() as conn:
        await audit.record(conn, actor.id, "supporter.exported", clock.now())


@dataclass(frozen=True)
class Erased:
    signatures: int
    cancelled_messages: int


async def erase_supporter(
    pool: Pool, clock: Clock, supporter_id: UUID, actor: Staff | None = None
) -> Erased | None:
    """Erase a supporter: asked by them (`actor` None) or by a campaigner. None when there is
    nobody to erase (already erased: a second click changes nothing)."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        # The supporter's row first, as signing takes it (insert_signers): a signature made
        # meanwhile waits, then finds nobody, instead of slipping in beside the erasure.
        if not await supporters.lock_supporter(conn, supporter_id):
            return None
        # The keyed hash only: erasure must work even for an address no key can open any more.
        email_key = await subjects.get_email_key(conn, supporter_id)
        if email_key is None:
            return None
        await subjects.delete_signer_details_of_supporter(conn, supporter_id)
        erased = await rights.erase_signatures_of_supporter(conn, supporter_id, now)
        cancelled = await abuse.cancel_unsent(conn, [signature for signature, _, _ in erased])
        await rights.delete_consents_of_supporters(conn, [supporter_id])
        # Last: their update deliveries go with the row (ON DELETE CASCADE).
        await subjects.delete_supporters(conn, [supporter_id])
        for action_id in sorted({action for _, action, was in erased if was == "confirmed"}):
            await recount(conn, action_id)
        await rights.insert_erasure(
            conn,
            email_key,
            "campaigner" if actor else "supporter",
            actor.id if actor else None,
            len(erased),
            now,
        )
        if actor is not None:
            # Nothing names whom: the erasure would otherwise survive in the log.
            await audit.record(conn, actor.id, "supporter.erased", now, signatures=len(erased))
    return Erased(len(erased), cancelled)


@dataclass(frozen=True)
class RetentionRun:
    actions: int
    signatures: int
    supporters_deleted: int
    client_keys_forgotten: int


async def disown_signature(pool: Pool, clock: Clock, signature_id: UUID) -> bool:
    """ "This wasn't me": the owner of an address takes back a signature made with it. It is
    erased (what was typed, its consents, anything unsent for it) and, if it counted, the
    count goes down. False when there was nothing to take back (already taken back, erased or
    invalidated): a second click changes nothing."""
    async with pool.acquire() as conn, conn.transaction():
        supporter_id = await rights.get_signature_supporter(conn, signature_id)
        # The supporter's row first, as signing and erasure take it.
        if supporter_id is None or not await supporters.lock_supporter(conn, supporter_id):
            return False
        erased = await rights.erase_signature(conn, signature_id, clock.now())
        if erased is None:
            return False
        action_id, was = erased
        await subjects.delete_signer_details_of_signature(conn, signature_id)
        await rights.delete_consents_of_signature(conn, supporter_id, signature_id)
        await abuse.cancel_unsent(conn, [signature_id])
        # An address with nothing else held goes too: someone else typed it in.
        await _delete_left_behind(conn, {supporter_id})
        if was == "confirmed":
            await recount(conn, action_id)
    return True


async def apply_retention(pool: Pool, clock: Clock, keep_after_close: timedelta) -> RetentionRun:
    """Anonymise the signatures of actions closed longer ago than `keep_after_close`, delete
    supporters left with nothing, forget client keys past the abuse window. Running it again
    at once changes nothing."""
    now = clock.now()
    async with pool.acquire() as conn:
        due = await rights.list_actions_to_anonymise(conn, now - keep_after_close)
    signatures = deleted = 0
    for action_id in due:  # one transaction per action: a big one never holds up the rest
        async with pool.acquire() as conn, conn.transaction():
            await subjects.delete_signer_details_of_action(conn, action_id)
            done = await rights.anonymise_signatures_of_action(conn, action_id, now)
            await abuse.cancel_unsent(conn, [signature for signature, _ in done])
            await rights.detach_consents_from_signatures(conn, [s for s, _ in done])
            deleted += await _delete_left_behind(conn, {p for _, p in done if p is not None})
            signatures += len(done)
    async with pool.acquire() as conn, conn.transaction():
        forgotten = await rights.forget_client_keys(conn, now - ABUSE_WINDOW)
        await rights.delete_old_alerts(conn, now - ABUSE_WINDOW)
    run = RetentionRun(len(due), signatures, deleted, forgotten)
    if due or forgotten:
        log.info(
            "retention: %d actions, %d signatures anonymised, %d supporters deleted, "
            "%d client keys forgotten",
            *(run.actions, run.signatures, run.supporters_deleted, run.client_keys_forgotten),
        )
    return run


async def _delete_left_behind(conn: Connection, candidates: set[UUID]) -> int:
    """Supporters with no signature left: their consents, then themselves."""
    if not candidates:
        return 0
    orphans = await subjects.list_supporters_without_signatures(conn, sorted(candidates))
    if not orphans:
        return 0
    await rights.delete_consents_of_supporters(conn, orphans)
    return await subjects.delete_supporters(conn, orphans)
