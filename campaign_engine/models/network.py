"""The Urgent Action Network's words (docs/network.md): a member, what they want to hear about,
and how often."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class MemberStatus(enum.StrEnum):
    PENDING = "pending"  # asked to join; the link in the joining email not yet used
    ACTIVE = "active"  # said yes through that link: alerts go to them
    LEFT = "left"  # left the network; nothing goes to them


class Frequency(enum.StrEnum):
    EVERY = "every"  # every alert that matches
    CAPPED = "capped"  # at most `weekly_cap` alerts in any seven days
    WEEKLY = "weekly"  # one digest a week


@dataclass(frozen=True)
class Preferences:
    """What a member wants to hear about. Empty `countries` or `themes` means all of them."""

    languages: tuple[str, ...]  # the languages they read, most preferred first
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2
    themes: tuple[str, ...] = ()  # risk categories (domain/campaigns/case_editing.py)
    frequency: Frequency = Frequency.EVERY
    weekly_cap: int | None = None  # with Frequency.CAPPED only


@dataclass(frozen=True)
class Membership:
    status: MemberStatus
    locale: str  # the language they joined in, which the network's own emails speak
    preferences: Preferences
    asked_at: datetime
    joined_at: datetime | None


@dataclass(frozen=True)
class NetworkOverview:
    """The network as the workspace shows it: how many, reading what, hearing about what.
    Each tally is (key, members), largest first; the key "" stands for "all of them"."""

    active: int
    pending: int
    left: int
    joined_this_week: int
    first_languages: tuple[tuple[str, int], ...]
    frequencies: tuple[tuple[str, int], ...]
    countries: tuple[tuple[str, int], ...]
    themes: tuple[tuple[str, int], ...]
