"""Partners, API keys and what the API reads, webhooks, OSDI."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from campaign_engine.models.campaigns import TimelineEntry


@dataclass(frozen=True)
class Partner:
    """An organisation that embeds actions on its own site."""

    id: int
    slug: str
    name: str
    contact_email: str | None
    allowed_origins: tuple[str, ...]  # scheme://host[:port], no path
    embed_key: str  # public: in the partner's embed snippet
    disabled: bool


@dataclass(frozen=True)
class PartnerDetails:
    """What the workspace edits about a partner (its slug is fixed once created)."""

    name: str
    contact_email: str | None
    allowed_origins: tuple[str, ...]  # normalised: scheme://host[:port], lower-case
    consent_texts: dict[str, str]  # locale -> the sentence its supporters agree to


@dataclass(frozen=True)
class PartnerListing:
    partner: Partner
    signatures: int  # attributed to it, erased ones aside


class ApiScope(enum.StrEnum):
    """What an API key may read; a fixed list, checked by the database too."""

    ACTIONS_READ = "actions:read"
    CASES_READ = "cases:read"
    SIGNATURES_READ = "signatures:read"
    # OSDI's record_signature helper: sign on a person's behalf (they still confirm by email).
    SIGNATURES_WRITE = "signatures:write"


@dataclass(frozen=True)
class ApiKey:
    """A key as the API and the workspace see it: never its secret, only its first characters."""

    id: int
    name: str
    partner_id: int | None  # None: the organisation's own key
    partner_name: str | None
    partner_slug: str | None
    scopes: tuple[ApiScope, ...]
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class ApiAction:
    id: int
    slug: str
    code: str
    status: str
    case_slug: str
    default_locale: str
    deadline: datetime | None
    goal: int
    created_at: datetime
    locales: tuple[str, ...]  # every translation, published or not
    published_locales: tuple[str, ...]


@dataclass(frozen=True)
class ApiCase:
    id: int
    slug: str
    country: str | None
    risk_category: str
    status: str
    default_locale: str
    created_at: datetime
    locales: tuple[str, ...]
    events: tuple[TimelineEntry, ...]  # published, newest first, outcomes included


@dataclass(frozen=True)
class ApiSignature:
    """A confirmed signature as the API gives it; name and email are personal data."""

    id: UUID
    created_at: datetime
    confirmed_at: datetime | None
    country: str
    locale: str
    source: str | None
    partner: str | None
    utm: dict[str, str] | None
    name: str | None
    email: str


class WebhookEventType(enum.StrEnum):
    SIGNATURE_CONFIRMED = "signature.confirmed"
    ACTION_PUBLISHED = "action.published"
    ACTION_CLOSED = "action.closed"
    OUTCOME_RECORDED = "outcome.recorded"


@dataclass(frozen=True)
class WebhookEndpoint:
    """Where an organisation's or a partner's events are posted."""

    id: int
    partner_id: int | None  # None: the organisation's own
    partner_slug: str | None
    url: str
    secret: str  # whsec_…: shown to those who manage partners, never logged
    events: tuple[WebhookEventType, ...]
    enabled: bool
    disabled_reason: str | None  # "failing" or "manual"
    consecutive_failures: int
    created_at: datetime


@dataclass(frozen=True)
class WebhookAttempt:
    """One line of an endpoint's delivery log."""

    delivery_id: UUID
    attempt: int
    at: datetime
    event_type: WebhookEventType
    status_code: int | None  # None: no answer
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class WebhookMessage:
    """What one webhook delivery posts, and where."""

    delivery_id: UUID
    endpoint_id: int
    url: str
    secret: str
    enabled: bool
    event_type: WebhookEventType
    payload: dict[str, object]
    created_at: datetime


@dataclass(frozen=True)
class OsdiPetition:
    """A public action as OSDI's petition: its text in one published language."""

    slug: str
    locale: str
    title: str
    summary: str
    letter_body: str
    created_at: datetime
    modified_at: datetime
    confirmed: int
    targets: tuple[str, ...]  # the public officials it addresses, by name
