"""The shapes that travel between layers: frozen, typed, and free of any framework."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


class ActionStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"
    REMOVED = "removed"


class SignatureStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    INVALIDATED = "invalidated"
    ERASED = "erased"


class DeliveryKind(enum.StrEnum):
    CONFIRMATION = "confirmation"
    ALREADY_SIGNED = "already_signed"
    APPEAL = "appeal"
    DIGEST = "digest"


class DeliveryStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # held by its target's pacer
    PENDING = "pending"
    SENDING = "sending"
    RETRY = "retry"
    AMBIGUOUS = "ambiguous"
    SENT = "sent"
    DELIVERED = "delivered"  # the provider says it arrived
    FAILED = "failed"
    BOUNCED = "bounced"  # accepted, then returned by the recipient's server


class SendOutcome(enum.StrEnum):
    """How a provider answered a send, sorted by what we must do next."""

    SENT = "sent"  # accepted: done
    TEMPORARY = "temporary"  # refused for now (4xx, 429, connection failed): retry later
    PERMANENT = "permanent"  # refused for good (5xx, unknown number): stop
    AMBIGUOUS = "ambiguous"  # cut off after handing the message over: may have arrived


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    detail: str = ""  # a code or an error class for the record; never an address
    provider_id: str | None = None  # the provider's id for what it accepted (Twilio's sid)
    address_status: str | None = None  # "bouncing" or "blocked" when the address is the problem


class ConsentScope(enum.StrEnum):
    UPDATES = "updates"  # the organisation's updates by email
    PARTNER = "partner"  # the partner organisation that embedded the action
    SMS = "sms"  # the organisation's text messages, to the phone given


@dataclass(frozen=True)
class ActionRef:
    """Just enough of an action to decide whether it can be signed."""

    id: int
    slug: str
    status: ActionStatus
    default_locale: str


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


@dataclass(frozen=True)
class SignatureRequest:
    """A validated signature, as a form or the JSON API hands it to the domain."""

    name: str
    email: str  # normalised by email-validator, as the supporter will receive it
    country: str  # ISO 3166-1 alpha-2
    phone: str | None  # E.164
    comment: str | None
    consent_updates: bool
    consent_partner: bool
    consent_sms: bool
    anonymous: bool  # send the appeals without the signer's name
    partner: str | None
    source: str | None
    locale: str
    client_address: str | None


@dataclass(frozen=True)
class ConsentText:
    scope: ConsentScope
    locale: str
    text: str


@dataclass(frozen=True)
class ConfirmedSignature:
    action_slug: str
    locale: str


@dataclass(frozen=True)
class Delivery:
    """A claimed outbox row: the worker holds its lease while it sends."""

    id: UUID
    kind: DeliveryKind
    channel: str
    signature_id: UUID | None
    target_id: int | None
    action_id: int | None
    contact_id: int | None
    attempts: int


@dataclass(frozen=True)
class SupporterMessageContext:
    """What a message to a supporter about one signature needs (personal data inside)."""

    signature_id: UUID
    signature_status: SignatureStatus
    email: str
    name: str
    locale: str
    action_slug: str
    action_code: str
    action_title: str
    action_locale: str


@dataclass(frozen=True)
class DueDelivery:
    id: UUID
    attempts: int


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


class Role(enum.StrEnum):
    """A campaigner's role; what each may do is `domain/access.py`'s."""

    OWNER = "owner"
    ADMIN = "admin"
    CAMPAIGNER = "campaigner"
    TRANSLATOR = "translator"
    VIEWER = "viewer"


@dataclass(frozen=True)
class Staff:
    """A campaigner's account, without its secrets."""

    id: int
    email: str
    name: str
    role: Role
    locale: str
    has_password: bool
    has_second_factor: bool
    disabled: bool


@dataclass(frozen=True)
class StaffSecrets:
    """What signing in checks: read only by the verbs that do."""

    staff_id: int
    password_hash: str | None
    totp_secret: str | None


@dataclass(frozen=True)
class StaffSession:
    """A signed-in browser: whose, and whether every factor was shown."""

    token_hash: bytes
    staff: Staff
    verified: bool
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    id: int
    staff_name: str | None  # None: the system or the command line
    verb: str
    object_type: str | None
    object_id: str | None
    detail: dict[str, object]
    at: datetime


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
