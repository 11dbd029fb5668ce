"""Updates to supporters, as the workspace sees them: which of a case's updates and outcomes can
be sent, to how many people, in which languages; and sending one, once.

Who receives an update: everyone with a confirmed signature on any of the case's actions whose
current answer about updates is yes (a later unsubscribe is a later "no"), and every active
member of the network who was alerted to one of them (leaving the network is their "no"); once
however many of the case's actions they signed or were alerted to; by text as well, those whose
current answer about texts is yes, with the number they gave, unless that number texted STOP.

In which language (`message_locale`): the reader's own (that of their latest confirmed
signature), else its base language (`es` for `es-MX`), else the case's own, else any language
the update is written in. The words around it (greeting, links) are always the reader's.

Sending commits the send (`update_mailings`, one per event) and its audit entry, then asks a
worker to write the deliveries (`domain/delivery/mailings.py`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import updates
from campaign_engine.db.personal import recipients as personal_recipients
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.delivery.channels import supporters_channels
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.domain.errors import DomainError
from campaign_engine.domain.workspace import audit
from campaign_engine.i18n import LOCALES
from campaign_engine.jobs import JobQueue
from campaign_engine.models.campaigns import CaseEventKind, UpdateCase, UpdateEvent, UpdateMailing
from campaign_engine.models.delivery import ChannelProgress
from campaign_engine.models.workspace import Staff
from campaign_engine.security.tokens import Tokens

# What supporters are told about: news and outcomes. A reply is the authorities' words (the
# public timeline shows it), a note is for the team: neither is sent.
SENDABLE_KINDS = frozenset({CaseEventKind.UPDATE, CaseEventKind.OUTCOME})


class UpdateCaseMissing(DomainError):
    """No case has this id."""


class UpdateEventMissing(DomainError):
    """The case has no event with this id."""


class NotSendable(DomainError):
    """This event cannot be sent: `reason` is "kind" (a reply or a note), "unpublished" or
    "no_text" (written in no language)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AlreadySent(DomainError):
    """The event was sent before: an update goes out once."""


class NotConfirmed(DomainError):
    """The campaigner did not tick the box that says they mean to send it now."""


def message_locale(reader: str, written: Collection[str], case_locale: str) -> str | None:
    """The language a reader receives an update in, from those it is `written` in; None when
    it is written in none. The last resort is the first of our languages it has (in
    `LOCALES`' order), else the first alphabetically, so every reader of a language gets the
    same one."""
    for locale in (reader, reader.split("-")[0], case_locale):
        if locale in written:
            return locale
    return min(written, key=_rank, default=None)


def _rank(locale: str) -> tuple[int, str]:
    return (LOCALES.index(locale) if locale in LOCALES else len(LOCALES), locale)


@dataclass(frozen=True)
class LanguageCoverage:
    """The readers of one language, and the language they would receive an update in."""

    locale: str
    recipients: int
    receives: str | None  # None: the update is written in no language yet

    @property
    def translated(self) -> bool:
        return self.receives == self.locale


@dataclass(frozen=True)
class EventSending:
    """One update or outcome on the page: who would read it in what, and its send if any."""

    event: UpdateEvent
    coverage: list[LanguageCoverage]
    mailing: UpdateMailing | None
    progress: list[ChannelProgress]  # email then SMS, once sent
    refusal: str | None  # why it cannot be sent (NotSendable's reasons, or "sent"); None: it can

    @property
    def running(self) -> bool:
        """Still fanning out, or messages still waiting to go."""
        if self.mailing is None:
            return False
        return self.mailing.status == "fanning_out" or any(p.waiting for p in self.progress)


@dataclass(frozen=True)
class UpdatesPage:
    case: UpdateCase
    emails: int  # who would receive an update now, by email
    texts: int  # and by text
    events: list[EventSending]

    @property
    def running(self) -> bool:
        return any(event.running for event in self.events)


async def read_updates_page(pool: Pool, tokens: Tokens, case_id: int, locale: str) -> UpdatesPage:
    async with pool.acquire() as conn:
        case = await updates.get_update_case(conn, case_id, locale)
        if case is None:
            raise UpdateCaseMissing
        events = await updates.list_update_events(conn, case_id, locale)
        languages = await updates.count_audience_by_language(conn, case_id)
        texts = await count_text_audience(conn, tokens, case_id)
        mailings = {m.event_id: m for m in await updates.list_mailings(conn, case_id)}
        progress = await updates.count_progress(conn, case_id)
    return UpdatesPage(
        case=case,
        emails=sum(languages.values()),
        texts=texts,
        events=[
            _event_sending(event, case, languages, mailings.get(event.id), progress)
            for event in events
        ],
    )


def _event_sending(
    event: UpdateEvent,
    case: UpdateCase,
    languages: dict[str, int],
    mailing: UpdateMailing | None,
    progress: dict[tuple[int, str], ChannelProgress],
) -> EventSending:
    coverage = [
        LanguageCoverage(
            locale, count, message_locale(locale, event.translated, case.default_locale)
        )
        for locale, count in languages.items()
    ]
    return EventSending(
        event=event,
        coverage=coverage,
        mailing=mailing,
        progress=[
            progress[(event.id, c)] for c in supporters_channels() if (event.id, c) in progress
        ],
        refusal="sent"
        if mailing
        else _refusal(event.kind, event.published, bool(event.translated)),
    )


def _refusal(kind: CaseEventKind, published: bool, written: bool) -> str | None:
    if kind not in SENDABLE_KINDS:
        return "kind"
    if not published:
        return "unpublished"
    if not written:
        return "no_text"
    return None


async def count_text_audience(conn: Connection, tokens: Tokens, case_id: int) -> int:
    """How many would receive the case's updates by text: STOP is kept as keyed hashes of
    numbers, so each number is hashed here to be checked."""
    phones = await personal_recipients.list_case_text_phones(conn, case_id)
    if not phones:
        return 0
    keys = [tokens.phone_key(phone) for phone in phones]
    stopped = await personal_recipients.list_opted_out(conn, keys)
    return sum(1 for key in keys if key not in stopped)


async def send_update(
    pool: Pool,
    queue: JobQueue,
    tokens: Tokens,
    clock: Clock,
    actor: Staff,
    case_id: int,
    event_id: int,
    *,
    confirmed: bool,
) -> None:
    """Start sending a published update or outcome to the case's supporters, once; only
    when the campaigner `confirmed` it, having seen how many it will reach."""
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        found = await updates.get_event_to_send(conn, case_id, event_id)
        if found is None:
            raise UpdateEventMissing
        refusal = _refusal(*found)
        if refusal is not None:
            raise NotSendable(refusal)
        if not confirmed:
            raise NotConfirmed
        mailing_id = await updates.insert_mailing(conn, event_id, actor.id, clock.now())
        if mailing_id is None:
            raise AlreadySent
        doorbells.fan_out(mailing_id)
        languages = await updates.count_audience_by_language(conn, case_id)
        texts = await count_text_audience(conn, tokens, case_id)
        await audit.record(
            conn,
            actor.id,
            "update.sent",
            clock.now(),
            ("case_event", event_id),
            case=case_id,
            emails=sum(languages.values()),
            texts=texts,
        )
