"""Appeals to officials: made when a signature is confirmed, written in the official's language.

A confirmed signature yields one appeal per target and channel its action writes to one by one
(`per_signature`); the appeal waits ('scheduled') until its target's pacer lets it go (see
`pacing`). The letter goes in the target's preferred language, or else along the action's
chain (that language's base, then the action's own), opened with the target's salutation in
that language.

When the model letter is written in versions (formats/versions.py), an appeal takes the
versions its signature chooses, or the next ones when the official's last appeal took those.
Beyond `same_per_day` appeals an official receives in a UTC day with the same versions and
no personal message, the rest are folded: named together in one message at the day's end
(`digests.create_due_repeats`) instead of arriving one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from uuid import UUID

from campaign_engine.db.campaigns import actions
from campaign_engine.db.delivery import appeals, pacing
from campaign_engine.db.delivery.appeals import RecentVersions
from campaign_engine.db.personal import recipients
from campaign_engine.db.personal.recipients import AppealRow
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.formats.versions import combination_for, versioned
from campaign_engine.models.delivery import Delivery


async def create_appeals(
    conn: Connection, signature_id: UUID, action_id: int
) -> list[tuple[int, str]]:
    """The appeals of a just-confirmed signature, held for their pacers; returns the
    (target, channel) pairs whose pacer should look."""
    created = await appeals.insert_appeals(conn, signature_id, action_id)
    for target_id, channel in created:
        await pacing.ensure_pacing(conn, target_id, channel)
    return created


async def wake_pacers(pool: Pool, pairs: list[tuple[int, str]]) -> None:
    """Ask the pacers of new appeals to look now; call after the transaction that made them."""
    if not pairs:
        return
    async with pool.acquire() as conn:
        for target_id, channel in pairs:
            await pacing.wake_pacer(conn, target_id, channel)


def letter_locales(preferred: str, action_default: str) -> list[str]:
    """The languages to try for a target's letter, best first: `es-MX`, `es`, then the action's."""
    chain = [preferred, preferred.split("-")[0], action_default]
    return list(dict.fromkeys(chain))


@dataclass(frozen=True)
class AppealLetter:
    """Everything an appeal says and where it goes, in the letter's language."""

    delivery_id: UUID
    channel: str
    case_id: int
    locale: str
    to_name: str
    to_address: str
    address_ok: bool
    salutation: str | None  # None: the generic one, in the letter's language
    subject: str
    body: str
    signer_name: str | None  # None: the signer asked to stay unnamed
    signer_country: str
    signer_email: str
    comment: str | None
    action_code: str
    reply_to_supporter: bool


@dataclass(frozen=True)
class Folded:
    """An appeal held for the day's message of repeats: already recorded, nothing to send."""


FOLDED = Folded()


async def appeal_letters(
    pool: Pool, deliveries: list[Delivery], now: datetime, same_per_day: int
) -> dict[UUID, AppealLetter | Folded]:
    """The letters of several appeals, by delivery, each in the versions it takes (recorded
    with it), or FOLDED for those beyond the day's same ones. An appeal with nothing left to
    send (its signature was invalidated or erased, or the action has no published letter) is
    missing."""
    by_id = {delivery.id: delivery for delivery in deliveries}
    day_start = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    async with pool.acquire() as conn:
        rows = await recipients.list_appeals(conn, list(by_id))
        recent = await appeals.list_recent_versions(
            conn, [row.delivery_id for row in rows], day_start
        )
        chosen, alike = _choose(rows, by_id, recent, same_per_day)
        attempts = {id_: delivery.attempts for id_, delivery in by_id.items()}
        await appeals.record_variants(
            conn,
            [
                (id_, attempts[id_], chosen[id_], _personal(row))
                for row in rows
                if (id_ := row.delivery_id) not in alike
            ],
        )
        folded = await appeals.fold_appeals(
            conn, [(id_, attempts[id_], chosen[id_]) for id_ in alike], day_start
        )
    channels = {id_: delivery.channel for id_, delivery in by_id.items()}
    letters: dict[UUID, AppealLetter | Folded] = {
        row.delivery_id: _letter(row, channels[row.delivery_id], chosen[row.delivery_id])
        for row in rows
        if row.delivery_id not in alike
    }
    return letters | dict.fromkeys(folded, FOLDED)


def _choose(
    rows: list[AppealRow],
    by_id: dict[UUID, Delivery],
    recent: dict[UUID, RecentVersions],
    same_per_day: int,
) -> tuple[dict[UUID, int], set[UUID]]:
    """Each appeal's combination, and those to fold. Appeals to one official (on one action and
    channel) in the same batch are chosen in turn, each seeing the ones before it. An appeal
    written before (a retry) keeps its combination and is never folded: it may have gone."""
    chosen: dict[UUID, int] = {}
    alike: set[UUID] = set()
    seen: dict[tuple[int | None, str, int | None], RecentVersions] = {}
    for row in rows:
        delivery = by_id[row.delivery_id]
        key = (delivery.target_id, delivery.channel, delivery.action_id)
        before = seen.setdefault(key, recent[row.delivery_id])
        if row.variant is not None:
            chosen[row.delivery_id] = row.variant
            continue
        combination = _combination(row, before)
        chosen[row.delivery_id] = combination
        if same_per_day and not _personal(row) and before.today.get(combination, 0) >= same_per_day:
            alike.add(row.delivery_id)
            continue
        today = dict(before.today)
        if not _personal(row):
            today[combination] = today.get(combination, 0) + 1
        seen[key] = RecentVersions(previous=combination, today=today)
    return chosen, alike


def _personal(row: AppealRow) -> bool:
    """A message of the signer's own makes an appeal theirs (a blank one does not)."""
    return bool(row.comment and row.comment.strip())


def _combination(row: AppealRow, recent: RecentVersions) -> int:
    return combination_for(versioned(row.subject, row.body), row.signature_id, recent.previous)


def _letter(row: AppealRow, channel: str, combination: int) -> AppealLetter:
    chosen = versioned(row.subject, row.body).written(combination)
    return AppealLetter(
        delivery_id=row.delivery_id,
        channel=channel,
        case_id=row.case_id,
        locale=row.locale,
        to_name=row.to_name,
        to_address=row.to_address,
        address_ok=row.address_status == "ok",
        salutation=row.salutations.get(row.locale),
        subject=chosen.subject,
        body=chosen.body,
        signer_name=None if row.anonymous else row.signer_name,
        signer_country=row.signer_country,
        signer_email=row.signer_email,
        comment=row.comment,
        action_code=row.action_code,
        reply_to_supporter=row.reply_to == "supporter" and not row.anonymous,
    )


async def own_mailbox_letters(
    pool: Pool, signature_id: UUID, action_id: int, now: datetime
) -> list[AppealLetter]:
    """The letters by email of a signature of this action that its supporter may send from
    their own mailbox (the action offers it, and the relay still holds them for it), in the
    versions it chooses."""
    async with pool.acquire() as conn:
        ids = await appeals.list_own_mailbox_appeals(conn, signature_id, action_id, now)
        rows = await recipients.list_appeals(conn, ids) if ids else []
    return [_letter(row, "email", _combination(row, NO_HISTORY)) for row in rows]


NO_HISTORY = RecentVersions(previous=None, today={})


async def pause_appeals(pool: Pool, slug: str) -> None:
    """Stop sending the action's appeals at once: nothing more is claimed, and what was let go
    but not yet sent waits again for its pacer."""
    async with pool.acquire() as conn, conn.transaction():
        if await actions.get_delivery_state(conn, slug) is None:
            raise ActionNotFound
        await actions.pause_deliveries(conn, slug)


async def resume_appeals(pool: Pool, slug: str) -> None:
    """Send again, from an even pace: the pacers start their slots from now."""
    async with pool.acquire() as conn, conn.transaction():
        action_id = await actions.resume_deliveries(conn, slug)
        if action_id is None:
            raise ActionNotFound
        await pacing.wake_pacers_of_action(conn, action_id)
