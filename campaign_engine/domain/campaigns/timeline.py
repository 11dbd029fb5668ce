"""A case's timeline: what campaigners add to it (updates, outcomes, responses from the
authorities they were handed, internal notes), what officials' replies add by themselves
(`domain/delivery/inbound.py`), and what of it the public reads.

Nothing reaches the public page until a campaigner publishes it, and a note never does. A reply
that arrived from an official is evidence: it keeps its words and its date, and can be
unpublished but never deleted. Campaigners write updates and outcomes in the case's language;
translators give them the other languages (`domain/campaigns/case_editing.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import case_editing, timeline
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.domain.errors import DomainError
from campaign_engine.domain.integrations.webhooks import tell
from campaign_engine.domain.workspace import audit
from campaign_engine.i18n import N_, _
from campaign_engine.jobs import JobQueue
from campaign_engine.models.campaigns import (
    CaseEvent,
    CaseEventKind,
    CaseSettings,
    EventText,
    Outcome,
)
from campaign_engine.models.integrations import WebhookEventType
from campaign_engine.models.workspace import Staff

OUTCOME_RECORDED = WebhookEventType.OUTCOME_RECORDED

# DESIGN.md §2's taxonomy. To add an outcome, add a member to `models.Outcome` and its name here.
OUTCOME_NAMES = {
    Outcome.RELEASED: N_("Released"),
    Outcome.CHARGES_DROPPED: N_("Charges dropped"),
    Outcome.SENTENCE_COMMUTED: N_("Sentence commuted"),
    Outcome.FAIR_TRIAL_GRANTED: N_("Fair trial granted"),
    Outcome.ACCESS_GRANTED: N_("Access granted (lawyer, family or medical care)"),
    Outcome.NO_CHANGE: N_("No change"),
    Outcome.WORSENED: N_("Situation worsened"),
    Outcome.DIED: N_("Died"),
}
KIND_NAMES = {
    CaseEventKind.REPLY: N_("Response from the authorities"),
    CaseEventKind.OUTCOME: N_("Outcome"),
    CaseEventKind.UPDATE: N_("Update"),
    CaseEventKind.NOTE: N_("Internal note"),
}
# What campaigners write and translators translate. A reply is shown in the official's own
# words; a note is for the team, in the case's language only.
TRANSLATABLE_KINDS = frozenset({CaseEventKind.UPDATE, CaseEventKind.OUTCOME})
# An outcome's name says what happened; every other event needs words.
KINDS_NEEDING_TEXT = frozenset({CaseEventKind.UPDATE, CaseEventKind.NOTE, CaseEventKind.REPLY})


def outcome_names() -> dict[Outcome, str]:
    """Each outcome's name in the language being spoken."""
    return {outcome: _(name) for outcome, name in OUTCOME_NAMES.items()}


def kind_names() -> dict[CaseEventKind, str]:
    return {kind: _(name) for kind, name in KIND_NAMES.items()}


class CaseMissing(DomainError):
    """No case has this id (in the workspace, where a case need not be public)."""


class EventMissing(DomainError):
    """This case has no event with this id (it may belong to another case)."""


class IncompleteText(DomainError):
    """Required fields were left empty; `fields` names them as the form does."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


class EventLocked(DomainError):
    """A reply that arrived from an official cannot be edited or deleted, only unpublished;
    a note cannot be published; an update sent to supporters cannot be deleted (unpublishing
    it stops what has not gone yet, and the record of its send stays)."""


@dataclass(frozen=True)
class EventFields:
    """What a campaigner types for an event; title and body are in the case's language."""

    outcome: Outcome | None
    occurred_at: datetime
    source: str | None
    title: str
    body: str


def source_text(event: CaseEvent, default_locale: str) -> EventText | None:
    """The event's text in the case's language, else the first it has (the case's language
    may have changed since it was written)."""
    return event.text_in(default_locale) or (event.texts[0] if event.texts else None)


def current_outcome(events: list[CaseEvent]) -> CaseEvent | None:
    """The latest outcome recorded, published or not (the list is newest first)."""
    return next((e for e in events if e.kind is CaseEventKind.OUTCOME), None)


async def add_event(
    pool: Pool, clock: Clock, actor: Staff, case_id: int, kind: CaseEventKind, fields: EventFields
) -> int:
    """Add an event, unpublished: the team reads it on the case page before the public does."""
    _check_complete(kind, fields)
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        case = await _locked_case(conn, case_id)
        written = kind is not CaseEventKind.REPLY
        event_id = await timeline.insert_written_event(
            conn,
            case_id,
            kind=kind,
            outcome=fields.outcome if kind is CaseEventKind.OUTCOME else None,
            occurred_at=fields.occurred_at,
            source=fields.source,
            subject=None if written else fields.title or None,
            body=None if written else fields.body,
            published=False,
            created_by=actor.id,
            at=now,
        )
        assert event_id is not None  # no source_ref, so nothing to collide with
        if written:
            await timeline.upsert_event_text(
                conn,
                event_id,
                case.default_locale,
                title=fields.title,
                body=fields.body,
                at=now,
                is_source=True,
            )
        await case_editing.touch_case(conn, case_id, now)
        await audit.record(
            conn,
            actor.id,
            "case_event.added",
            now,
            ("case_event", event_id),
            case=case_id,
            kind=kind,
            outcome=fields.outcome if kind is CaseEventKind.OUTCOME else None,
        )
    return event_id


async def edit_event(
    pool: Pool, clock: Clock, actor: Staff, case_id: int, event_id: int, fields: EventFields
) -> None:
    """Change an event's date, source, outcome and its text in the case's language."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        case = await _locked_case(conn, case_id)
        event = await _event(conn, case_id, event_id)
        if event.arrived:
            raise EventLocked
        _check_complete(event.kind, fields)
        written = event.kind is not CaseEventKind.REPLY
        await timeline.update_event(
            conn,
            case_id,
            event_id,
            outcome=fields.outcome if event.kind is CaseEventKind.OUTCOME else None,
            occurred_at=fields.occurred_at,
            source=fields.source,
            subject=None if written else fields.title or None,
            body=None if written else fields.body,
            at=now,
        )
        if written:
            await timeline.upsert_event_text(
                conn,
                event_id,
                case.default_locale,
                title=fields.title,
                body=fields.body,
                at=now,
                is_source=True,
            )
        await case_editing.touch_case(conn, case_id, now)
        await audit.record(
            conn, actor.id, "case_event.edited", now, ("case_event", event_id), case=case_id
        )


async def publish_event(
    pool: Pool,
    clock: Clock,
    actor: Staff,
    case_id: int,
    event_id: int,
    published: bool,
    queue: JobQueue | None = None,
) -> None:
    """Show the event on the public case page, or take it off again. An outcome's first
    publication is told to the webhooks subscribed (a second one is not news)."""
    now = clock.now()
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        await _locked_case(conn, case_id)
        event = await _event(conn, case_id, event_id)
        if published and event.kind is CaseEventKind.NOTE:
            raise EventLocked
        if event.published == published:
            return  # a second click, or a form sent twice: nothing changes, nothing to record
        await timeline.set_published(conn, case_id, event_id, published, now)
        await case_editing.touch_case(conn, case_id, now)
        verb = "case_event.published" if published else "case_event.unpublished"
        await audit.record(
            conn, actor.id, verb, now, ("case_event", event_id), case=case_id, kind=event.kind
        )
        if published and event.kind is CaseEventKind.OUTCOME:
            once_as = f"outcome.recorded:{event_id}"
            told = await tell(conn, OUTCOME_RECORDED, event_id, now, once_as=once_as)
            doorbells.deliveries(told)


async def delete_event(pool: Pool, clock: Clock, actor: Staff, case_id: int, event_id: int) -> None:
    """Remove an event and its translations; never a reply that arrived from an official."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        await _locked_case(conn, case_id)
        event = await _event(conn, case_id, event_id)
        if event.arrived or event.sent:
            raise EventLocked
        await timeline.delete_event(conn, case_id, event_id)
        await case_editing.touch_case(conn, case_id, now)
        await audit.record(
            conn,
            actor.id,
            "case_event.deleted",
            now,
            ("case_event", event_id),
            case=case_id,
            kind=event.kind,
            was_published=event.published,
        )


def _check_complete(kind: CaseEventKind, fields: EventFields) -> None:
    missing = []
    if kind is CaseEventKind.OUTCOME and fields.outcome is None:
        missing.append("outcome")
    if kind in KINDS_NEEDING_TEXT and not fields.body:
        missing.append("body")
    if missing:
        raise IncompleteText(tuple(missing))


async def _locked_case(conn: Connection, case_id: int) -> CaseSettings:
    case = await case_editing.lock_case(conn, case_id)
    if case is None:
        raise CaseMissing
    return case


async def _event(conn: Connection, case_id: int, event_id: int) -> CaseEvent:
    event = await timeline.get_case_event(conn, case_id, event_id)
    if event is None:
        raise EventMissing
    return event
