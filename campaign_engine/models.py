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


class DeliveryKind(enum.StrEnum):
    CONFIRMATION = "confirmation"
    ALREADY_SIGNED = "already_signed"
    APPEAL = "appeal"
    DIGEST = "digest"
    UPDATE = "update"  # a case's update or outcome, to a supporter (domain/delivery/mailings.py)
    WEBHOOK = "webhook"  # an event, to a webhook endpoint (domain/integrations/webhooks.py)
    PRIVACY_LINK = "privacy_link"  # a fresh link to a supporter's data (domain/privacy/rights.py)


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
    # The embedding page's campaign tags: utm_source, utm_medium, utm_campaign, utm_term,
    # utm_content (the widget forwards them; the site's own form has none).
    utm: dict[str, str] | None = None
    honeypot: bool = False  # the form's hidden field came back filled in: a robot's form
    proof_of_work: bool = False  # it carried a solved, fresh, unused proof of work


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


@dataclass(frozen=True)
class DueDelivery:
    id: UUID
    attempts: int


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


class Role(enum.StrEnum):
    """A campaigner's role; what each may do is `domain/workspace/access.py`'s."""

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


# --- Cases and their timeline (web/admin/cases.py) ---


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


# --- Actions editor (web/admin/actions.py) ---


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


# --- Targets (web/admin/targets.py) ---


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


# --- Updates to supporters (web/admin/updates.py) ---


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
class UnsubscribeLink:
    """What an unsubscribe link says: whose, from what, and in which language to answer."""

    supporter_id: UUID
    scope: ConsentScope
    locale: str


# --- Dashboard and exports (web/admin/dashboard.py, web/admin/exports.py) ---

from datetime import date, timedelta  # noqa: E402  (imported here to keep edits in this section)


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


# --- Partners (issue 5): web/admin/partners.py, the widget (web/embed.py) ---


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


# --- API keys and the JSON API v1 (issue 5): web/admin/api_keys.py, web/api_admin.py ---


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


# --- Webhooks (issue 5): domain/integrations/webhooks.py, web/admin/webhooks.py,
# senders/webhooks.py ---


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


# --- OSDI (issue 5): domain/integrations/osdi.py, web/osdi.py ---


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
