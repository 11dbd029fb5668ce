"""The Urgent Action Network's words (docs/network.md): a member, what they want to hear about,
and how often."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


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
    """What a member wants to hear about. A case is theirs if its country is among
    `countries` or lies in one of `regions` (neither: anywhere), and its risk category is
    among `themes` (none: all of them)."""

    languages: tuple[str, ...]  # the languages they read, most preferred first
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2
    regions: tuple[str, ...] = ()  # UN M.49 regions (formats/regions.py); with countries: either
    themes: tuple[str, ...] = ()  # risk categories (domain/campaigns/case_editing.py)
    frequency: Frequency = Frequency.EVERY
    weekly_cap: int | None = None  # with Frequency.CAPPED only


class TextsStatus(enum.StrEnum):
    NONE = "none"  # no number
    PENDING = "pending"  # a number given; the text asking it to answer YES went or is going
    ACTIVE = "active"  # the number answered YES: the most urgent alerts go to it too


@dataclass(frozen=True)
class Membership:
    status: MemberStatus
    locale: str  # the language they joined in, which the network's own emails speak
    preferences: Preferences
    asked_at: datetime
    joined_at: datetime | None
    texts: TextsStatus = TextsStatus.NONE
    number_ends: str | None = None  # the last digits of their number: never the whole of it


@dataclass(frozen=True)
class MonthOfNetwork:
    """One month of the network's growth, and of what its alerts brought."""

    start: datetime  # the month's first moment, UTC
    joined: int
    left: int
    members: int  # in the network at the month's end (or now, for this month)
    alerts: int  # alerts that went (by email: every alert goes by email)
    acted: int  # of those, members who then signed the action
    median_to_act: timedelta | None

    @property
    def acted_share(self) -> float:
        return self.acted / self.alerts if self.alerts else 0.0


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
    regions: tuple[tuple[str, int], ...] = ()
    outcomes: AlertOutcomes | None = None
    channels: tuple[tuple[str, int], ...] = ()  # ("email", all active), ("sms", texted too)
    growth: tuple[MonthOfNetwork, ...] = ()  # the last twelve months, oldest first


class AlertStatus(enum.StrEnum):
    PLANNED = "planned"  # the action is not open yet: the plan may still change
    DUE = "due"  # published: the fan-out starts at `due_at` (the delay chosen)
    FANNING_OUT = "fanning_out"  # a worker is writing one delivery per matching member
    DONE = "done"  # every matching member has their alert in the outbox
    SKIPPED = "skipped"  # published with "do not alert"


@dataclass(frozen=True)
class AlertPlan:
    """What the campaigner chose: alert the network when the action opens (after `delay`),
    or not at all. An action nobody chose for is alerted on publication."""

    alert: bool = True
    delay: timedelta = timedelta(0)
    by_text: bool = False  # urgent enough to text members who asked for the most urgent too


@dataclass(frozen=True)
class AlertState:
    plan: AlertPlan
    status: AlertStatus
    due_at: datetime | None  # when the fan-out starts (set on publication)
    members: int  # members looked at so far
    emails: int  # alerts written so far
    started_at: datetime | None
    fanned_out_at: datetime | None
    texts: int = 0  # alerts by text written so far


@dataclass(frozen=True)
class AlertAudience:
    """Who an alert would reach now: active members whose countries, themes and languages
    match the action, by the language they would read it in and by how often they hear; and
    those a weekly cap would hold back today, or who read it only in their weekly digest."""

    by_language: tuple[tuple[str, int], ...]  # (locale, members alerted in it), most first
    capped_now: int  # matching, but their weekly cap is used up
    weekly: int  # matching, but they chose a weekly digest
    by_text: int = 0  # of those alerted, members whose number answered YES (if sent by text)
    # Of those alerted, why: ("country", following the case's country), ("region", its
    # region), ("anywhere", following cases anywhere).
    by_reach: tuple[tuple[str, int], ...] = ()

    @property
    def alerted(self) -> int:
        return sum(count for _locale, count in self.by_language)


@dataclass(frozen=True)
class AlertContent:
    """What an alert about an action says, in each language it is published in."""

    action_id: int
    slug: str
    code: str
    open: bool  # still taking signatures
    deadline: datetime | None
    texts: dict[str, tuple[str, str]]  # locale: (title, summary)


@dataclass(frozen=True)
class WeeklyAction:
    """One action of a member's weekly email, in the first of their languages it has."""

    action_id: int
    slug: str
    code: str
    deadline: datetime | None
    locale: str
    title: str
    summary: str


@dataclass(frozen=True)
class AlertOutcomes:
    """What the alerts of a period brought (the network's page)."""

    actions: int  # actions alerted
    alerted: int  # alerts that went
    acted: int  # of those, members who then signed the action
    median_to_act: timedelta | None  # from the alert to their signature, the middle one

    @property
    def acted_share(self) -> float:
        return self.acted / self.alerted if self.alerted else 0.0
