"""Targets as campaigners keep them: the list, one target with its addresses and the actions
that write to it, creating and editing one, and putting a failing address back in use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from campaign_engine.clock import Clock
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.targets import target_editing as targets
from campaign_engine.domain.delivery.channels import typed_channels
from campaign_engine.domain.errors import DomainError
from campaign_engine.domain.workspace import audit
from campaign_engine.models.targets import (
    Target,
    TargetContact,
    TargetDetails,
    TargetListing,
    TargetUse,
)
from campaign_engine.models.workspace import Staff

# A list longer than this is searched, not scrolled.
LIST_LIMIT = 500


class TargetNotFound(DomainError):
    """No target (or no address of this target) has this id."""


class ExternalIdTaken(DomainError):
    """Another target has this external id."""


class ContactInUse(DomainError):
    """Letters were sent to this address, and their record needs it: it cannot be removed."""

    def __init__(self, channel: str, address: str) -> None:
        super().__init__(channel)
        self.channel = channel
        self.address = address


@dataclass(frozen=True)
class Addresses:
    """A target's addresses as the campaigner wants them: channel name -> its addresses."""

    by_channel: Mapping[str, tuple[str, ...]]

    def on(self, channel: str) -> tuple[str, ...]:
        return self.by_channel.get(channel, ())


@dataclass(frozen=True)
class TargetPage:
    target: Target
    contacts: list[TargetContact]
    uses: list[TargetUse]

    @property
    def addresses(self) -> Addresses:
        return Addresses(
            {
                channel.name: _addresses_on(self.contacts, channel.name)
                for channel in typed_channels()
            }
        )


async def list_targets(pool: Pool, search: str = "") -> list[TargetListing]:
    async with pool.acquire() as conn:
        return await targets.list_target_listings(conn, search.strip(), LIST_LIMIT)


async def read_target(pool: Pool, target_id: int) -> TargetPage:
    async with pool.acquire() as conn:
        target = await targets.get_target(conn, target_id)
        if target is None:
            raise TargetNotFound
        contacts = await targets.list_contacts(conn, [target_id])
        uses = await targets.list_target_uses(conn, target_id)
    return TargetPage(target, contacts, uses)


async def create_target(
    pool: Pool, clock: Clock, actor: Staff, details: TargetDetails, addresses: Addresses
) -> int:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        target_id = await targets.insert_target(conn, details, now)
        if target_id is None:
            raise ExternalIdTaken
        await targets.add_contacts(conn, _new_contacts(target_id, [], addresses))
        await audit.record(conn, actor.id, "target.created", now, ("target", target_id))
    return target_id


async def update_target(
    pool: Pool,
    clock: Clock,
    actor: Staff,
    target_id: int,
    details: TargetDetails,
    addresses: Addresses,
) -> None:
    """Save the target as given: addresses no longer listed are removed, new ones added."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        before = await targets.lock_target(conn, target_id)
        if before is None:
            raise TargetNotFound
        if not await targets.update_target(conn, target_id, details, now):
            raise ExternalIdTaken
        contacts = await targets.list_contacts(conn, [target_id])
        removed = await _remove_unlisted(conn, contacts, addresses)
        added = await targets.add_contacts(conn, _new_contacts(target_id, contacts, addresses))
        changed = _changed_fields(before.details, details)
        if not (changed or added or removed):
            return
        await audit.record(
            conn,
            actor.id,
            "target.updated",
            now,
            ("target", target_id),
            fields=changed,
            contacts_added=added,
            contacts_removed=removed,
        )


async def reset_contact(
    pool: Pool, clock: Clock, actor: Staff, target_id: int, contact_id: int
) -> None:
    """Mark a bouncing or blocked address as working again: letters will try it next."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        previous = await targets.get_contact_status(conn, target_id, contact_id)
        if previous is None:
            raise TargetNotFound
        if previous == "ok":
            return
        await targets.reset_contact(conn, target_id, contact_id)
        await audit.record(
            conn,
            actor.id,
            "target.contact_reset",
            now,
            ("target", target_id),
            contact_id=contact_id,
            previous=previous,
        )


def _addresses_on(contacts: list[TargetContact], channel: str) -> tuple[str, ...]:
    return tuple(contact.address for contact in contacts if contact.channel == channel)


def _new_contacts(
    target_id: int, existing: list[TargetContact], addresses: Addresses
) -> list[tuple[int, str, str]]:
    known = {(contact.channel, contact.address) for contact in existing}
    return [
        (target_id, channel, address)
        for channel, listed in addresses.by_channel.items()
        for address in listed
        if (channel, address) not in known
    ]


async def _remove_unlisted(
    conn: Connection, contacts: list[TargetContact], addresses: Addresses
) -> int:
    removed = 0
    for contact in contacts:
        if contact.address in addresses.on(contact.channel):
            continue
        if not await targets.delete_contact(conn, contact.id):
            raise ContactInUse(contact.channel, contact.address)
        removed += 1
    return removed


def _changed_fields(before: TargetDetails, after: TargetDetails) -> list[str]:
    """The names of the fields that changed (never their values: the log stays lean)."""
    old, new = asdict(before), asdict(after)
    return [name for name in new if old[name] != new[name]]
