"""Who an action writes to, on which channel, and how: one letter per signature, a digest every
few hours, or nothing; the slowest pace; and the switch that pauses every letter at once. And
whom supporters are asked to send copies to on paper ("copies to": diplomats, usually).

A target added to an action that people have already signed is owed their letters too (every
confirmed signature accounts for every target): they are made at once and go out at the
target's pace. A target taken off an action gets nothing more from it: its letters not yet
handed to a provider are withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import actions, authoring
from campaign_engine.db.delivery import appeals, pacing
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.targets import targets as assignments
from campaign_engine.domain.delivery.channels import officials_channels
from campaign_engine.domain.errors import ActionNotFound, DomainError
from campaign_engine.domain.targets.target_editing import TargetNotFound
from campaign_engine.domain.workspace import audit
from campaign_engine.models.targets import (
    ActionHeading,
    AssignedTarget,
    ChannelSettings,
    CopyRecipient,
    TargetChoice,
)
from campaign_engine.models.workspace import Staff

MODES = ("per_signature", "digest", "none")
DIGEST_FORMATS = ("list", "csv")
MAX_DIGEST_HOURS = 24 * 28
MAX_PACE = 100_000


def default_settings(channel: str) -> ChannelSettings:
    """What an action without settings for a channel does (see action_channels' defaults)."""
    return ChannelSettings(channel, "per_signature", 24, "list", 60)


class NoContactOnChannel(DomainError):
    """The target has no address on the channel it was to be written to on."""


@dataclass(frozen=True)
class ActionTargets:
    action: ActionHeading
    assigned: list[AssignedTarget]
    settings: dict[str, ChannelSettings]  # every channel, defaults filled in
    choices: list[TargetChoice]
    copies: list[CopyRecipient]  # "copies to": diplomatic representatives

    def on(self, channel: str) -> list[AssignedTarget]:
        return [target for target in self.assigned if target.channel == channel]


async def read_action_targets(pool: Pool, slug: str, locale: str) -> ActionTargets:
    async with pool.acquire() as conn:
        action = await _heading(conn, slug, locale)
        assigned = await assignments.list_assigned_targets(conn, action.id)
        stored = await assignments.list_channel_settings(conn, action.id)
        choices = await assignments.list_target_choices(conn)
        copies = await assignments.list_copies(conn, action.id)
    settings = {channel: default_settings(channel) for channel in officials_channels()}
    settings.update({s.channel: s for s in stored})
    return ActionTargets(action, assigned, settings, choices, copies)


async def add_action_target(
    pool: Pool, clock: Clock, actor: Staff, slug: str, target_id: int, channel: str
) -> None:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        action = await _heading(conn, slug, "")
        has_contact = await assignments.has_contact_on(conn, target_id, channel)
        if has_contact is None:
            raise TargetNotFound
        if not has_contact:
            raise NoContactOnChannel
        if not await assignments.assign_target(conn, action.id, target_id, channel):
            return
        owed = await appeals.insert_missing_appeals(conn, action.id)
        if owed:
            await pacing.ensure_pacing(conn, target_id, channel)
            await pacing.wake_pacer(conn, target_id, channel)
        await audit.record(
            conn,
            actor.id,
            "action.target_added",
            now,
            ("action", action.id),
            target_id=target_id,
            channel=channel,
            letters_owed=owed,
        )


async def remove_action_target(
    pool: Pool, clock: Clock, actor: Staff, slug: str, target_id: int, channel: str
) -> None:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        action = await _heading(conn, slug, "")
        if not await assignments.unassign_target(conn, action.id, target_id, channel):
            return
        withdrawn = await assignments.withdraw_unsent_letters(conn, action.id, target_id, channel)
        await audit.record(
            conn,
            actor.id,
            "action.target_removed",
            now,
            ("action", action.id),
            target_id=target_id,
            channel=channel,
            letters_withdrawn=withdrawn,
        )


async def add_copy_recipient(
    pool: Pool, clock: Clock, actor: Staff, slug: str, target_id: int
) -> None:
    """Ask supporters to send a copy of their letter to this target too (on paper: nothing is
    relayed to them). TargetNotFound when there is no such target."""
    async with pool.acquire() as conn, conn.transaction():
        action = await _heading(conn, slug, "")
        if not await assignments.target_exists(conn, target_id):
            raise TargetNotFound
        if await assignments.add_copy(conn, action.id, target_id):
            await audit.record(
                conn,
                actor.id,
                "action.copy_added",
                clock.now(),
                ("action", action.id),
                target_id=target_id,
            )


async def remove_copy_recipient(
    pool: Pool, clock: Clock, actor: Staff, slug: str, target_id: int
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        action = await _heading(conn, slug, "")
        if await assignments.remove_copy(conn, action.id, target_id):
            await audit.record(
                conn,
                actor.id,
                "action.copy_removed",
                clock.now(),
                ("action", action.id),
                target_id=target_id,
            )


async def save_channel_settings(
    pool: Pool, clock: Clock, actor: Staff, slug: str, chosen: list[ChannelSettings]
) -> None:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        action = await _heading(conn, slug, "")
        stored = {s.channel: s for s in await assignments.list_channel_settings(conn, action.id)}
        changed = [s for s in chosen if stored.get(s.channel, default_settings(s.channel)) != s]
        for settings in changed:
            await authoring.set_action_channel(
                conn,
                action.id,
                settings.channel,
                settings.mode,
                timedelta(hours=settings.digest_every_hours),
                settings.digest_format,
                settings.min_per_hour,
            )
        if changed:
            await audit.record(
                conn,
                actor.id,
                "action.channels_changed",
                now,
                ("action", action.id),
                **{s.channel: _described(s) for s in changed},
            )


async def pause_letters(pool: Pool, clock: Clock, actor: Staff, slug: str) -> None:
    """Stop every letter of the action at once (as `appeals.pause_appeals`, with its record):
    nothing more is claimed, and what was let go but not sent waits again for its pacer."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        action = await _heading(conn, slug, "")
        if action.delivery_paused:
            return
        await actions.pause_deliveries(conn, slug)
        await audit.record(conn, actor.id, "action.letters_paused", now, ("action", action.id))


async def resume_letters(pool: Pool, clock: Clock, actor: Staff, slug: str) -> None:
    """Send again from an even pace: the pacers start their slots from now."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        action = await _heading(conn, slug, "")
        if not action.delivery_paused:
            return
        await actions.resume_deliveries(conn, slug)
        await pacing.wake_pacers_of_action(conn, action.id)
        await audit.record(conn, actor.id, "action.letters_resumed", now, ("action", action.id))


async def _heading(conn: Connection, slug: str, locale: str) -> ActionHeading:
    action = await assignments.get_action_heading(conn, slug, locale)
    if action is None:
        raise ActionNotFound
    return action


def _described(settings: ChannelSettings) -> dict[str, object]:
    return {
        "mode": settings.mode,
        "digest_every_hours": settings.digest_every_hours,
        "digest_format": settings.digest_format,
        "min_per_hour": settings.min_per_hour,
    }
