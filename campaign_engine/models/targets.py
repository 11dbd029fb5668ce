"""Targets: officials, their contacts, and which actions write to them on which channels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from campaign_engine.models.campaigns import ActionStatus


@dataclass(frozen=True)
class TargetDetails:
    """A decision-maker as a campaigner describes them: checked, ready to store."""

    external_id: str | None  # the organisation's own id for them: how an import finds them
    name: str
    title: str
    organisation: str
    country: str | None  # ISO 3166-1 alpha-2
    time_zone: str  # an IANA zone name
    # {"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}; None: any hour
    office_hours: dict[str, object] | None
    preferred_locale: str
    salutations: dict[str, str]  # locale -> how a letter to them opens
    max_per_hour: int | None  # None: no cap
    max_per_day: int | None
    notes: str
    postal_address: str = ""  # as written on an envelope, one line per line; "": none


@dataclass(frozen=True)
class Target:
    """A stored target."""

    id: int
    details: TargetDetails
    updated_at: datetime


@dataclass(frozen=True)
class TargetContact:
    """One address of a target: an email address, or a phone number in E.164."""

    id: int
    target_id: int
    channel: str  # "email" or "sms"
    address: str
    status: str  # "ok", "bouncing" (returned lately) or "blocked" (refused for good)


@dataclass(frozen=True)
class TargetListing:
    """A target as the list of targets shows it."""

    id: int
    external_id: str | None
    name: str
    title: str
    organisation: str
    country: str | None
    preferred_locale: str
    contacts: int
    contacts_not_ok: int  # addresses bouncing or blocked
    action_codes: tuple[str, ...]  # the actions that write to them


@dataclass(frozen=True)
class TargetUse:
    """An action that writes to a target, on one channel."""

    slug: str
    code: str
    status: ActionStatus
    channel: str


@dataclass(frozen=True)
class ActionHeading:
    """Enough of an action to head its workspace pages, titled in the reader's language or
    the action's own."""

    id: int
    slug: str
    code: str
    status: ActionStatus
    locale: str | None  # the language of the title; None: no text yet
    title: str
    delivery_paused: bool


@dataclass(frozen=True)
class AssignedTarget:
    """A target an action writes to on one channel, with its addresses on that channel."""

    target_id: int
    name: str
    title: str
    organisation: str
    preferred_locale: str
    channel: str
    contacts: tuple[TargetContact, ...]


@dataclass(frozen=True)
class ChannelSettings:
    """How an action reaches its targets on one channel."""

    channel: str
    mode: str  # "per_signature", "digest" or "none"
    digest_every_hours: int
    digest_format: str  # "list" or "csv"
    min_per_hour: int  # the slowest pace, however far the deadline


@dataclass(frozen=True)
class CopyRecipient:
    """A diplomatic representative an action asks supporters to send a copy to."""

    target_id: int
    name: str
    title: str
    organisation: str
    postal_address: str  # "": none given


@dataclass(frozen=True)
class TargetChoice:
    """A target to add to an action, with the channels it has an address on."""

    id: int
    name: str
    organisation: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class TargetImport:
    """An uploaded file's checked rows, held between its preview and its application."""

    id: int
    staff_id: int
    rows: list[dict[str, object]]
    created_at: datetime
    applied_at: datetime | None
