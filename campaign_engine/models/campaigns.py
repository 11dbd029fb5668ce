"""Cases, their timelines, actions and updates: as pages, forms and rows."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class ActionStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"
    REMOVED = "removed"


@dataclass(frozen=True)
class ActionRef:
    """Just enough of an action to decide whether it can be signed."""

    id: int
    slug: str
    status: ActionStatus
    default_locale: str
    proof_of_work: bool = False  # the form must carry a solved proof of work now


@dataclass(frozen=True)
class ActionCount:
    status: ActionStatus
    confirmed: int
    goal: int


@dataclass(frozen=True)
class ActionCard:
    """An action as the index and the API list it, in one language."""

    slug: str
    code: str
    status: ActionStatus
    deadline: datetime | None
    goal: int
    confirmed: int
    locale: str  # the language the text below is in (may be a fallback)
    title: str
    summary: str


@dataclass(frozen=True)
class FeedEntry:
    """An open action as the Atom feed of a language lists it."""

    slug: str
    code: str
    deadline: datetime | None
    title: str
    summary: str
    updated_at: datetime  # its words, or its state, last changed


@dataclass(frozen=True)
class ActionPage:
    """Everything the action page shows, in one language (or its fallback)."""

    id: int
    slug: str
    code: str
    status: ActionStatus
    deadline: datetime | None
    goal: int
    confirmed: int
    default_locale: str
    published_locales: tuple[str, ...]
    locale: str  # the language of the text below
    title: str
    summary: str
    body: str
    letter_subject: str
    letter_body: str
    share_text: str
    case_slug: str
    case_locale: str
    case_title: str
    case_person: str
    case_summary: str
    proof_of_work: bool = False  # its form asks for one now (proof_of_work.py)
    asks_solidarity: bool = False  # signers are asked for a message (docs/solidarity.md)


@dataclass(frozen=True)
class CaseAction:
    slug: str
    code: str
    status: ActionStatus
    locale: str
    title: str


@dataclass(frozen=True)
class CasePage:
    id: int
    slug: str
    country: str | None
    status: str
    locale: str
    title: str
    person: str
    summary: str
    body: str
    published_locales: tuple[str, ...]


class CaseEventKind(enum.StrEnum):
    REPLY = "reply"  # a response from the authorities (arrived by email or SMS, or typed in)
    OUTCOME = "outcome"  # what happened to the person: see Outcome
    UPDATE = "update"  # news for supporters
    NOTE = "note"  # for the team only: never public


class Outcome(enum.StrEnum):
    """DESIGN.md's taxonomy of what happened; add a member to extend it."""

    RELEASED = "released"
    CHARGES_DROPPED = "charges_dropped"
    SENTENCE_COMMUTED = "sentence_commuted"
    FAIR_TRIAL_GRANTED = "fair_trial_granted"
    ACCESS_GRANTED = "access_granted"
    NO_CHANGE = "no_change"
    WORSENED = "worsened"
    DIED = "died"


@dataclass(frozen=True)
class TimelineEntry:
    """One published event of a case's timeline, in one language (or its fallback)."""

    id: int
    kind: CaseEventKind
    outcome: Outcome | None
    occurred_at: datetime
    source: str | None
    locale: str | None  # the language of title and body; None: as it arrived (a reply)
    title: str
    body: str


@dataclass(frozen=True)
class NewCaseEvent:
    """Something to add to a case's timeline."""

    case_id: int
    kind: str  # reply, outcome, update, note
    occurred_at: datetime
    body: str
    channel: str | None = None
    target_id: int | None = None
    action_id: int | None = None
    sender: str | None = None
    subject: str | None = None
    source_ref: str | None = None  # the provider's id: recorded once, however often it comes


@dataclass(frozen=True)
class WorkspaceAction:
    """An action as the workspace lists it: any status, titled in the reader's language or
    the action's own."""

    slug: str
    code: str
    status: ActionStatus
    deadline: datetime | None
    goal: int
    title: str
    locale: str
    confirmed: int
    pending: int
    delivery_paused: bool


class CaseStatus(enum.StrEnum):
    OPEN = "open"  # the person is still at risk: we are acting
    CLOSED = "closed"  # the story has ended, for good or ill


@dataclass(frozen=True)
class CaseListing:
    """A case as the workspace lists it, titled in the reader's language or the case's own."""

    id: int
    slug: str
    country: str | None
    risk_category: str
    status: CaseStatus
    locale: str  # the language of the title
    title: str
    latest_outcome: Outcome | None
    action_count: int
    updated_at: datetime


@dataclass(frozen=True)
class CaseSettings:
    """What describes a case beside its text."""

    id: int
    slug: str
    country: str | None
    risk_category: str
    status: CaseStatus
    default_locale: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CaseText:
    """A case's text in one language."""

    locale: str
    title: str
    person: str
    summary: str
    body: str
    updated_at: datetime


@dataclass(frozen=True)
class CaseActionRow:
    """One of a case's actions, as the case's workspace page lists it (any status)."""

    id: int
    slug: str
    code: str
    status: ActionStatus
    locale: str | None  # the language of the title; None: the action has no text yet
    title: str


@dataclass(frozen=True)
class EventText:
    """A campaigner-written event's title and text in one language."""

    locale: str
    title: str
    body: str
    updated_at: datetime


@dataclass(frozen=True)
class CaseEvent:
    """One event of a case's timeline as the workspace sees it: published or not, every text."""

    id: int
    case_id: int
    kind: CaseEventKind
    outcome: Outcome | None
    occurred_at: datetime
    source: str | None
    published: bool
    channel: str | None  # 'email' or 'sms' for a reply that arrived by itself; None if typed in
    sender: str | None  # the official's address or number, for a reply that arrived
    target_name: str | None  # the official who replied, when we know them
    subject: str | None  # a reply's subject, as it arrived or was typed in
    body: str | None  # a reply's words, as they arrived or were typed in
    author: str | None  # the campaigner who added it; None: it arrived, or the demo
    texts: tuple[EventText, ...]  # what campaigners wrote (updates, outcomes, notes)
    updated_at: datetime
    sent: bool  # sent to supporters: its send's record keeps it from being deleted

    @property
    def arrived(self) -> bool:
        """An official's reply captured from email or SMS: evidence, never edited or deleted."""
        return self.kind is CaseEventKind.REPLY and self.channel is not None

    def text_in(self, locale: str) -> EventText | None:
        return next((text for text in self.texts if text.locale == locale), None)


@dataclass(frozen=True)
class ActionContent:
    """What supporters read and what the letter says, in one language."""

    title: str
    summary: str
    body: str
    letter_subject: str
    letter_body: str
    share_text: str


@dataclass(frozen=True)
class NewAction:
    """A draft action as a campaigner creates it: its settings and its text in its language."""

    case_id: int
    code: str  # `UA 123/26`
    slug: str
    default_locale: str
    deadline: datetime | None
    goal: int
    time_zone: str  # the zone the deadline was typed in
    content: ActionContent


@dataclass(frozen=True)
class ActionSettingsChange:
    deadline: datetime | None
    goal: int
    publish_at: datetime | None
    reply_to: str  # "relay" or "supporter"
    time_zone: str
    proof_of_work: str = "auto"  # "auto" (while under attack), "on" or "off"
    own_mailbox: bool = False  # supporters may send their appeal by email themselves
    asks_solidarity: bool = False  # signers are asked for a message to the person at risk


@dataclass(frozen=True)
class ActionSettings:
    """An action as its editor sees it, whatever its status."""

    id: int
    slug: str
    code: str
    status: ActionStatus
    case_id: int
    case_slug: str
    default_locale: str
    deadline: datetime | None
    goal: int
    publish_at: datetime | None
    reply_to: str
    proof_of_work: str
    time_zone: str
    updated_at: datetime
    own_mailbox: bool = False
    asks_solidarity: bool = False


@dataclass(frozen=True)
class ActionText:
    """One language of an action, published or not."""

    locale: str
    title: str
    summary: str
    body: str
    letter_subject: str
    letter_body: str
    share_text: str
    published: bool
    text_updated_at: datetime
    source_seen_at: datetime | None  # the source's words this was written from

    @property
    def content(self) -> ActionContent:
        return ActionContent(
            self.title,
            self.summary,
            self.body,
            self.letter_subject,
            self.letter_body,
            self.share_text,
        )


@dataclass(frozen=True)
class CaseChoice:
    """A case to attach a new action to, titled in the reader's language or the case's own."""

    id: int
    slug: str
    locale: str
    title: str


@dataclass(frozen=True)
class UpdateCase:
    """A case as its updates page names it: in the campaigner's language, or its own."""

    id: int
    slug: str
    default_locale: str
    locale: str  # the language of the title
    title: str


@dataclass(frozen=True)
class UpdateEvent:
    """An update or outcome on a case's timeline, and the languages it is written in."""

    id: int
    kind: CaseEventKind
    outcome: Outcome | None
    occurred_at: datetime
    published: bool
    locale: str | None  # the language of the title; None: no translation yet
    title: str
    translated: tuple[str, ...]


@dataclass(frozen=True)
class UpdateMailing:
    """One send of an event: its fan-out, and the deliveries it wrote per channel."""

    id: int
    event_id: int
    status: str  # fanning_out, done
    started_at: datetime
    started_by: str | None  # the campaigner's name
    emails: int
    texts: int


@dataclass(frozen=True)
class EventContent:
    """What an update about one event says, in every language it is written in."""

    id: int
    kind: CaseEventKind
    outcome: Outcome | None
    published: bool
    case_slug: str
    case_locale: str  # the case's own language
    texts: dict[str, tuple[str, str]]  # locale -> (title, body)
    case_titles: dict[str, str]  # locale -> the case's title


@dataclass(frozen=True)
class DashboardAction:
    """The head of an action's dashboard: any status, titled in the reader's language or the
    action's own."""

    id: int
    slug: str
    code: str
    status: ActionStatus
    deadline: datetime | None
    goal: int
    delivery_paused: bool
    default_locale: str
    published_locales: tuple[str, ...]
    locale: str  # the language of the title
    title: str


@dataclass(frozen=True)
class SheetTarget:
    """An official as a case sheet names them (domain/campaigns/case_sheets.py)."""

    name: str
    title: str
    organisation: str
    preferred_locale: str
    salutations: dict[str, str]  # locale -> how a letter to them opens
    postal_address: str  # as on the envelope; "": none given


@dataclass(frozen=True)
class LetterTarget:
    """An official a supporter posts a letter to, with the model letter in their language."""

    id: int
    name: str
    title: str
    organisation: str
    postal_address: str  # "": none given
    country: str | None
    preferred_locale: str
    salutations: dict[str, str]
    letter_locale: str  # the language the letter below is in
    letter_subject: str
    letter_body: str
