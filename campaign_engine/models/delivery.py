"""Deliveries: a message in the outbox, what sending it gave, and its progress."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from campaign_engine.models.signing import SignatureStatus


class DeliveryKind(enum.StrEnum):
    CONFIRMATION = "confirmation"
    ALREADY_SIGNED = "already_signed"
    APPEAL = "appeal"
    DIGEST = "digest"
    UPDATE = "update"  # a case's update or outcome, to a supporter (domain/delivery/mailings.py)
    WEBHOOK = "webhook"  # an event, to a webhook endpoint (domain/integrations/webhooks.py)
    PRIVACY_LINK = "privacy_link"  # a fresh link to a supporter's data (domain/privacy/rights.py)
    NETWORK_JOIN = "network_join"  # the link to say yes to the network, or to one's preferences
    CONFIRMATION_REMINDER = "confirmation_reminder"  # once, a day after an unconfirmed signature
    NETWORK_ALERT = "network_alert"  # a new action, to each member it matches (network/alerts)
    NETWORK_WEEKLY = "network_weekly"  # the week's actions, to members who chose a weekly email
    FOLLOW_CASE = "follow_case"  # the link to say yes to a case's news (domain/campaigns/following)
    NETWORK_TEXTS = "network_texts"  # a text asking a member's number to answer YES (network/texts)
    NETWORK_TEXTS_ON = "network_texts_on"  # an email: texts now go to the number ending in …
    REPEATS = "repeats"  # a day's appeals to an official that read alike, in one (digests.py)


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
    CANCELLED = "cancelled"  # its signature was invalidated before it went out
    FOLDED = "folded"  # an appeal like the day's others: it goes in the day's repeats


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
    # When a text was last handed to Twilio for this row: set, the text may already have gone
    # (the attempt's answer was lost), and it is looked for at Twilio before any resend.
    text_attempted_at: datetime | None = None


@dataclass(frozen=True)
class SupporterMessageContext:
    """What a message to a supporter about one signature needs (personal data inside)."""

    signature_id: UUID
    signature_status: SignatureStatus
    email: str
    name: str
    supporter_id: UUID
    locale: str
    action_slug: str
    action_code: str
    action_title: str
    action_locale: str
    action_open: bool = True  # whether the action still takes signatures


@dataclass(frozen=True)
class DueDelivery:
    id: UUID
    attempts: int


@dataclass(frozen=True)
class ChannelProgress:
    """Where one channel of a send stands."""

    channel: str
    waiting: int
    sent: int
    failed: int

    @property
    def total(self) -> int:
        return self.waiting + self.sent + self.failed

    @property
    def percent_done(self) -> int:
        return 100 if self.total == 0 else (self.sent + self.failed) * 100 // self.total


@dataclass(frozen=True)
class DeliveryExportRow:
    """One appeal or digest to an official, as a deliveries export lists it."""

    created_at: datetime
    released_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    target_name: str
    target_organisation: str
    channel: str
    kind: str
    status: str
    attempts: int
    last_error: str | None
