"""Targets: the officials appeals go to, and the state of their addresses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models.campaigns import ActionStatus
from campaign_engine.models.targets import (
    ActionHeading,
    AssignedTarget,
    ChannelSettings,
    CopyRecipient,
    TargetChoice,
    TargetContact,
)

SELECT_SCHEDULE = "SELECT office_hours, time_zone FROM targets WHERE id = $1"


async def get_schedule(conn: Connection, target_id: int) -> tuple[dict[str, Any] | None, str]:
    """(office hours, time zone) of a target."""
    row = await conn.fetchrow(SELECT_SCHEDULE, target_id)
    assert row is not None
    return row["office_hours"], row["time_zone"]


# An address that refused for good is marked, so no appeal is written to it again until a
# campaigner fixes it.
SET_CONTACT_STATUS = "UPDATE target_contacts SET status = $2 WHERE id = $1"


async def set_contact_status(conn: Connection, contact_id: int, status: str) -> None:
    await conn.execute(SET_CONTACT_STATUS, contact_id, status)


@dataclass(frozen=True)
class KnownNumber:
    contact_id: int
    target_id: int
    preferred_locale: str


SELECT_TARGETS_AT = """
SELECT c.id AS contact_id, c.target_id, t.preferred_locale
FROM target_contacts c JOIN targets t ON t.id = c.target_id
WHERE c.channel = $1 AND c.address = $2
ORDER BY c.id
"""


async def find_targets_at(conn: Connection, channel: str, address: str) -> list[KnownNumber]:
    """The officials who use this address (a phone number in E.164, or an email address)."""
    return [
        from_row(KnownNumber, row) for row in await conn.fetch(SELECT_TARGETS_AT, channel, address)
    ]


# STOP and START from an official's phone; START reopens only what STOP closed.
SET_STATUS_AT = """
UPDATE target_contacts SET status = $3
WHERE channel = $1 AND address = $2 AND status = ANY($4::text[])
"""


async def set_status_at(
    conn: Connection, channel: str, address: str, status: str, replacing: tuple[str, ...]
) -> None:
    await conn.execute(SET_STATUS_AT, channel, address, status, list(replacing))


# --- Who each action addresses, and how (the workspace's action targets page) ---

# Titled in the reader's language, else the action's own, else any: a fresh draft may have
# no text yet.
SELECT_ACTION_HEADING = """
SELECT a.id, a.slug, a.code, a.status, a.delivery_paused, t.locale, coalesce(t.title, '') AS title
FROM actions a
LEFT JOIN LATERAL (
    SELECT locale, title FROM action_translations
    WHERE action_id = a.id
    ORDER BY locale = $2 DESC, locale = a.default_locale DESC, locale
    LIMIT 1
) t ON true
WHERE a.slug = $1
"""


async def get_action_heading(conn: Connection, slug: str, locale: str) -> ActionHeading | None:
    row = await conn.fetchrow(SELECT_ACTION_HEADING, slug, locale)
    return None if row is None else from_row(ActionHeading, row, status=ActionStatus(row["status"]))


SELECT_ASSIGNED_TARGETS = """
SELECT at.target_id, t.name, t.title, t.organisation, t.preferred_locale, at.channel,
       coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'target_id', c.target_id,
                                             'channel', c.channel, 'address', c.address,
                                             'status', c.status) ORDER BY c.id)
                FILTER (WHERE c.id IS NOT NULL), '[]') AS contacts
FROM action_targets at
JOIN targets t ON t.id = at.target_id
LEFT JOIN target_contacts c ON c.target_id = at.target_id AND c.channel = at.channel
WHERE at.action_id = $1
GROUP BY at.target_id, at.channel, t.id
ORDER BY at.channel, lower(t.name), t.id
"""


async def list_assigned_targets(conn: Connection, action_id: int) -> list[AssignedTarget]:
    rows = await conn.fetch(SELECT_ASSIGNED_TARGETS, action_id)
    return [
        from_row(
            AssignedTarget,
            row,
            contacts=tuple(TargetContact(**contact) for contact in row["contacts"]),
        )
        for row in rows
    ]


SELECT_CHANNEL_SETTINGS = """
SELECT channel, mode, (extract(epoch FROM digest_every) / 3600)::integer AS digest_every_hours,
       digest_format, min_per_hour
FROM action_channels
WHERE action_id = $1
ORDER BY channel
"""


async def list_channel_settings(conn: Connection, action_id: int) -> list[ChannelSettings]:
    """The channels the action has settings for (the others use the defaults)."""
    rows = await conn.fetch(SELECT_CHANNEL_SETTINGS, action_id)
    return [from_row(ChannelSettings, row) for row in rows]


SELECT_TARGET_CHOICES = """
SELECT t.id, t.name, t.organisation,
       ARRAY(SELECT DISTINCT channel FROM target_contacts
             WHERE target_id = t.id ORDER BY channel) AS channels
FROM targets t
ORDER BY lower(t.name), t.id
"""


async def list_target_choices(conn: Connection) -> list[TargetChoice]:
    rows = await conn.fetch(SELECT_TARGET_CHOICES)
    return [from_row(TargetChoice, row, channels=tuple(row["channels"])) for row in rows]


SELECT_HAS_CONTACT_ON = """
SELECT EXISTS (SELECT 1 FROM target_contacts WHERE target_id = t.id AND channel = $2)
FROM targets t
WHERE t.id = $1
"""


async def has_contact_on(conn: Connection, target_id: int, channel: str) -> bool | None:
    """Whether the target has an address on the channel; None if there is no such target."""
    found: bool | None = await conn.fetchval(SELECT_HAS_CONTACT_ON, target_id, channel)
    return found


INSERT_ASSIGNMENT = """
INSERT INTO action_targets (action_id, target_id, channel) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
RETURNING target_id
"""


async def assign_target(conn: Connection, action_id: int, target_id: int, channel: str) -> bool:
    """False if the action already wrote to the target on this channel."""
    return await conn.fetchval(INSERT_ASSIGNMENT, action_id, target_id, channel) is not None


DELETE_ASSIGNMENT = """
DELETE FROM action_targets WHERE action_id = $1 AND target_id = $2 AND channel = $3
RETURNING target_id
"""


async def unassign_target(conn: Connection, action_id: int, target_id: int, channel: str) -> bool:
    """False if the action did not write to the target on this channel."""
    return await conn.fetchval(DELETE_ASSIGNMENT, action_id, target_id, channel) is not None


# Letters to a target the action no longer addresses, not yet handed to a provider: held by the
# pacer, released, or waiting to retry. What was sent, or may have been, stays on record.
DELETE_UNSENT_LETTERS = """
DELETE FROM deliveries
WHERE action_id = $1 AND target_id = $2 AND channel = $3
  AND kind IN ('appeal', 'digest', 'repeats') AND status IN ('scheduled', 'pending', 'retry')
"""


async def withdraw_unsent_letters(
    conn: Connection, action_id: int, target_id: int, channel: str
) -> int:
    """Returns how many letters were withdrawn."""
    result = await conn.execute(DELETE_UNSENT_LETTERS, action_id, target_id, channel)
    return int(result.split()[-1])


# --- Copies to (docs/letters.md) ---------------------------------------------------------

SELECT_COPIES = """
SELECT t.id AS target_id, t.name, t.title, t.organisation, t.postal_address
FROM action_copies ac
JOIN targets t ON t.id = ac.target_id
WHERE ac.action_id = $1
ORDER BY lower(t.name), t.id
"""


async def list_copies(conn: Connection, action_id: int) -> list[CopyRecipient]:
    return [from_row(CopyRecipient, row) for row in await conn.fetch(SELECT_COPIES, action_id)]


INSERT_COPY = """
INSERT INTO action_copies (action_id, target_id)
SELECT $1, id FROM targets WHERE id = $2
ON CONFLICT DO NOTHING
RETURNING target_id
"""


async def add_copy(conn: Connection, action_id: int, target_id: int) -> bool:
    """False if there is no such target, or the action already asked for copies to it."""
    return await conn.fetchval(INSERT_COPY, action_id, target_id) is not None


DELETE_COPY = (
    "DELETE FROM action_copies WHERE action_id = $1 AND target_id = $2 RETURNING target_id"
)


async def remove_copy(conn: Connection, action_id: int, target_id: int) -> bool:
    return await conn.fetchval(DELETE_COPY, action_id, target_id) is not None


SELECT_TARGET_EXISTS = "SELECT EXISTS (SELECT 1 FROM targets WHERE id = $1)"


async def target_exists(conn: Connection, target_id: int) -> bool:
    return bool(await conn.fetchval(SELECT_TARGET_EXISTS, target_id))
