"""Signatures, their suspicion, invalidation and counts, and what supporters consented to."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID


class SignatureStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    INVALIDATED = "invalidated"
    ERASED = "erased"


class Suspicion(enum.StrEnum):
    """Why a signature is suspected (docs/abuse.md). It is kept and answered like any other,
    but gets no confirmation email until the same address signs again unsuspected."""

    CLIENT_RATE = "client_rate"  # its client signed this action too often, too fast
    HONEYPOT = "honeypot"  # the field no person sees was filled in
    PROOF_OF_WORK = "proof_of_work"  # the action asks for one, and none was solved
    DISPOSABLE_DOMAIN = "disposable_domain"  # an address that lives for minutes


@dataclass(frozen=True)
class InvalidationCriteria:
    """Which of an action's signatures an invalidation takes; None matches anything. At
    least one must be set (domain/signing/invalidations.py refuses an empty one)."""

    domain: str | None = None  # this domain and its subdomains
    client_key: bytes | None = None
    signed_from: datetime | None = None
    signed_until: datetime | None = None
    suspicion: str | None = None  # a Suspicion, or "any"


class ConsentScope(enum.StrEnum):
    UPDATES = "updates"  # the organisation's updates by email
    PARTNER = "partner"  # the partner organisation that embedded the action
    SMS = "sms"  # the organisation's text messages, to the phone given
    NETWORK = "network"  # alerts to new urgent actions, as a member of the network
    FOLLOW = "follow"  # one case's news, asked for without signing
    NETWORK_TEXTS = "network_texts"  # the most urgent alerts by text, as a member of the network


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
    # The embedding page's campaign tags: utm_source, utm_medium, utm_campaign, utm_term,
    # utm_content (the widget forwards them; the site's own form has none).
    utm: dict[str, str] | None = None
    honeypot: bool = False  # the form's hidden field came back filled in: a robot's form
    proof_of_work: bool = False  # it carried a solved, fresh, unused proof of work
    consent_network: bool = False  # join the Urgent Action Network once this is confirmed


@dataclass(frozen=True)
class ConsentText:
    scope: ConsentScope
    locale: str
    text: str


@dataclass(frozen=True)
class ConfirmedSignature:
    action_slug: str
    locale: str
    # Set when the thank-you page has something for this signer alone (their own mailbox, a
    # solidarity message): its link then names the signature.
    thanked_signature: UUID | None = None


@dataclass(frozen=True)
class UnsubscribeLink:
    """What an unsubscribe link says: whose, from what, and in which language to answer."""

    supporter_id: UUID
    scope: ConsentScope
    locale: str


@dataclass(frozen=True)
class SignatureTally:
    """How many of an action's signatures share one value of one dimension: `dimension` is
    "country", "language", "source", "partner", or "all" (value None) for the whole action."""

    dimension: str
    value: str | None  # None: the signer gave none (no source, no partner)
    confirmed: int
    pending: int
    invalidated: int


@dataclass(frozen=True)
class SignatureTimes:
    first_signed_at: datetime | None  # None: nobody signed yet
    last_activity_at: datetime | None  # the latest signature or confirmation
    median_to_confirm: timedelta | None


@dataclass(frozen=True)
class ActivityCount:
    """One period of an action's life: confirmations that happened in it, and signatures made
    in it that still await confirmation."""

    start: datetime
    confirmed: int
    pending: int


@dataclass(frozen=True)
class SignatureFilters:
    """Which signatures an export holds. Dates are whole days in UTC, both included."""

    statuses: tuple[SignatureStatus, ...]
    signed_from: date | None = None
    signed_to: date | None = None
    country: str | None = None
    language: str | None = None
    source: str | None = None
    partner: str | None = None


@dataclass(frozen=True)
class SignatureExportRow:
    """One line of a signatures export (personal data inside)."""

    signed_at: datetime
    confirmed_at: datetime | None
    status: str
    name: str | None
    email: str
    phone: str | None
    country: str
    language: str
    source: str | None
    partner: str | None
    comment: str | None
    consent_updates: bool | None  # the latest word on each scope; None: never asked
    consent_partner: bool | None
    consent_sms: bool | None


# --- What a signer writes to the person at risk (docs/solidarity.md) --------------------


@dataclass(frozen=True)
class StoredMessage:
    id: int
    locale: str
    country: str
    original: str | None  # None once retention forgot who wrote it
    text: str | None
    translation: str | None
    translation_locale: str | None
    status: str
    shown: bool
    written_at: datetime


@dataclass(frozen=True)
class Moderation:
    status: str  # "approved" or "rejected"
    text: str | None
    translation: str | None
    translation_locale: str | None
    shown: bool


@dataclass(frozen=True)
class ApprovedMessage:
    """A message as the family reads it: moderated, and translated where it was."""

    id: int
    text: str
    locale: str
    translation: str | None
    translation_locale: str | None
    country: str
