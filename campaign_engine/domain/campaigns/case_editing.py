"""Cases in the workspace: opening one, changing what describes it, and its text in every
language. Each verb records itself in the audit log inside its own transaction.

A case is written first in its own language (its `default_locale`), the source every
translation is made from. A translation is "outdated" once the source's words changed after
it was last saved; the public site shows each reader their language, else the case's own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import case_editing
from campaign_engine.db.campaigns import timeline as case_events
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.campaigns.timeline import (
    TRANSLATABLE_KINDS,
    CaseMissing,
    IncompleteText,
    current_outcome,
    source_text,
)
from campaign_engine.domain.errors import DomainError, NotAllowed
from campaign_engine.domain.workspace import audit
from campaign_engine.domain.workspace.access import Capability, may
from campaign_engine.i18n import LOCALES, N_, _, pgettext
from campaign_engine.models.campaigns import (
    CaseActionRow,
    CaseEvent,
    CaseEventKind,
    CaseListing,
    CaseSettings,
    CaseStatus,
    CaseText,
    EventText,
)
from campaign_engine.models.workspace import Staff

# The kinds of risk a case is filed under: a fixed list, so cases can be counted and filtered by
# it. `other` is the database's default.
RISK_CATEGORIES = {
    "arbitrary_detention": N_("Arbitrary detention"),
    "torture_or_ill_treatment": N_("Torture or other ill-treatment"),
    "death_penalty": N_("Death penalty"),
    "enforced_disappearance": N_("Enforced disappearance"),
    "unfair_trial": N_("Unfair trial"),
    "harassment_or_threats": N_("Harassment or threats"),
    "health_concern": N_("Health concern"),
    "forced_eviction": N_("Forced eviction"),
    "freedom_of_expression": N_("Freedom of expression"),
    "other": N_("Other"),
}
CASE_TEXT_FIELDS = ("title", "person", "summary", "body")
# A case's text needs these; its story (`body`) may come later.
REQUIRED_CASE_FIELDS = ("title", "person", "summary")


def risk_category_names() -> dict[str, str]:
    """Each risk category's name in the language being spoken."""
    return {key: _(name) for key, name in RISK_CATEGORIES.items()}


def case_status_names() -> dict[CaseStatus, str]:
    # Words of their own, not the action's statuses: in many languages "open" agrees with the
    # noun it describes, and a case and an action differ in gender.
    return {
        CaseStatus.OPEN: pgettext("case status", "Open"),
        CaseStatus.CLOSED: pgettext("case status", "Closed"),
    }


class CaseSlugTaken(DomainError):
    """Another case has this slug already."""


class LanguageWithoutText(DomainError):
    """The case has no text in the language chosen as its own: translate it first."""


@dataclass(frozen=True)
class CaseWords:
    """A case's text in one language, as typed."""

    title: str
    person: str
    summary: str
    body: str

    @property
    def empty(self) -> bool:
        return not any((self.title, self.person, self.summary, self.body))


@dataclass(frozen=True)
class CaseDescription:
    """What describes a case beside its text."""

    country: str | None
    risk_category: str
    status: CaseStatus
    default_locale: str


@dataclass(frozen=True)
class NewCase:
    slug: str
    description: CaseDescription
    words: CaseWords  # in `description.default_locale`


@dataclass(frozen=True)
class EventWords:
    title: str
    body: str

    @property
    def empty(self) -> bool:
        return not (self.title or self.body)


class TranslationState(enum.StrEnum):
    SOURCE = "source"  # the case's own language
    MISSING = "missing"
    OUTDATED = "outdated"  # the source changed after this was last saved
    CURRENT = "current"


@dataclass(frozen=True)
class LanguageProgress:
    """How far one language's translation of a case is."""

    locale: str
    case_text: TranslationState
    events_to_do: int  # updates and outcomes missing or outdated in this language


@dataclass(frozen=True)
class CaseFile:
    """Everything the case's workspace page shows."""

    case: CaseSettings
    texts: dict[str, CaseText]
    actions: list[CaseActionRow]
    events: list[CaseEvent]
    languages: list[LanguageProgress]

    @property
    def source(self) -> CaseText | None:
        return self.texts.get(self.case.default_locale)

    def heading_in(self, locale: str) -> CaseText | None:
        """The text to title the page with: the reader's language, else the case's."""
        return self.texts.get(locale) or self.source or next(iter(self.texts.values()), None)

    @property
    def outcome(self) -> CaseEvent | None:
        return current_outcome(self.events)


@dataclass(frozen=True)
class EventToTranslate:
    event: CaseEvent
    source: EventText | None
    translation: EventText | None
    state: TranslationState


@dataclass(frozen=True)
class TranslationSheet:
    """A case side by side: its own language beside one other."""

    case: CaseSettings
    locale: str
    source: CaseText | None
    translation: CaseText | None
    state: TranslationState
    events: list[EventToTranslate]

    @property
    def is_source(self) -> bool:
        return self.locale == self.case.default_locale


async def list_cases(pool: Pool, locale: str) -> list[CaseListing]:
    async with pool.acquire() as conn:
        return await case_editing.list_cases(conn, locale)


async def create_case(pool: Pool, clock: Clock, actor: Staff, new: NewCase) -> int:
    """Open a case with its text in its own language; its id."""
    description, now = new.description, clock.now()
    async with pool.acquire() as conn, conn.transaction():
        case_id = await case_editing.insert_case(
            conn,
            slug=new.slug,
            country=description.country,
            risk_category=description.risk_category,
            status=description.status,
            default_locale=description.default_locale,
            at=now,
        )
        if case_id is None:
            raise CaseSlugTaken
        await _save_case_words(conn, case_id, description.default_locale, new.words, now, True)
        await audit.record(
            conn,
            actor.id,
            "case.created",
            now,
            ("case", case_id),
            slug=new.slug,
            locale=description.default_locale,
        )
    return case_id


async def read_case_file(pool: Pool, case_id: int, locale: str) -> CaseFile:
    """The case as the workspace shows it; `locale` is the reader's (for titles)."""
    async with pool.acquire() as conn:
        case = await case_editing.get_case(conn, case_id)
        if case is None:
            raise CaseMissing
        texts = {text.locale: text for text in await case_editing.list_case_texts(conn, case_id)}
        actions = await case_editing.list_case_actions(conn, case_id, locale)
        events = await case_events.list_case_events(conn, case_id)
    languages = [_progress(case, texts, events, tag) for tag in LOCALES]
    return CaseFile(case, texts, actions, events, languages)


async def describe_case(
    pool: Pool, clock: Clock, actor: Staff, case_id: int, description: CaseDescription
) -> None:
    """Change a case's country, risk category, status or own language. Its own language must be
    one it has text in: that text is what every translation is made from."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        case = await case_editing.lock_case(conn, case_id)
        if case is None:
            raise CaseMissing
        if description.default_locale != case.default_locale:
            locales = {text.locale for text in await case_editing.list_case_texts(conn, case_id)}
            if description.default_locale not in locales:
                raise LanguageWithoutText
        changed = {
            name: getattr(description, name)
            for name in ("country", "risk_category", "status", "default_locale")
            if getattr(description, name) != getattr(case, name)
        }
        if not changed:
            return  # saved as it was: nothing happened, nothing to record
        await case_editing.update_case_settings(
            conn,
            case_id,
            country=description.country,
            risk_category=description.risk_category,
            status=description.status,
            default_locale=description.default_locale,
            at=now,
        )
        await audit.record(conn, actor.id, "case.updated", now, ("case", case_id), **changed)


async def read_translation(pool: Pool, case_id: int, locale: str) -> TranslationSheet:
    async with pool.acquire() as conn:
        case = await case_editing.get_case(conn, case_id)
        if case is None:
            raise CaseMissing
        texts = {text.locale: text for text in await case_editing.list_case_texts(conn, case_id)}
        events = await case_events.list_case_events(conn, case_id)
    source = texts.get(case.default_locale)
    translation = texts.get(locale)
    return TranslationSheet(
        case=case,
        locale=locale,
        source=source,
        translation=translation,
        state=_state(case, locale, source, translation),
        events=[
            EventToTranslate(
                event,
                source_text(event, case.default_locale),
                event.text_in(locale),
                _state(
                    case, locale, source_text(event, case.default_locale), event.text_in(locale)
                ),
            )
            for event in events
            if event.kind in TRANSLATABLE_KINDS
        ],
    )


async def translate_case(
    pool: Pool,
    clock: Clock,
    actor: Staff,
    case_id: int,
    locale: str,
    words: CaseWords | None,
    event_words: dict[int, EventWords],
) -> None:
    """Save the case's text (unless `words` is None) and its events' texts in `locale`. In
    another language than the case's own, a part left wholly empty has no translation (readers
    see the case's language); in the case's own language, this edits the source.

    Events are matched by id among this case's updates and outcomes; an id that is not one
    (an event deleted while the translator worked) is passed over, so the rest is not lost."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        case = await case_editing.lock_case(conn, case_id)
        if case is None:
            raise CaseMissing
        is_source = locale == case.default_locale
        if is_source and not may(actor, Capability.CAMPAIGN):
            raise NotAllowed  # the source is what the case says: not a translation
        events = {
            event.id: event
            for event in await case_events.list_case_events(conn, case_id)
            if event.kind in TRANSLATABLE_KINDS
        }
        _check_translation(words, event_words, events, is_source)
        # None: the form did not carry the case's text, which stays as it is.
        if words is not None and words.empty and not is_source:
            await case_editing.delete_case_text(conn, case_id, locale)
        elif words is not None:
            await _save_case_words(conn, case_id, locale, words, now, is_source)
        for event_id, typed in event_words.items():
            if event_id not in events:
                continue
            if typed.empty and not is_source:
                await case_events.delete_event_text(conn, event_id, locale)
            else:
                await case_events.upsert_event_text(
                    conn,
                    event_id,
                    locale,
                    title=typed.title,
                    body=typed.body,
                    at=now,
                    is_source=is_source,
                )
        await case_editing.touch_case(conn, case_id, now)
        await audit.record(conn, actor.id, "case.translated", now, ("case", case_id), locale=locale)


def _check_translation(
    words: CaseWords | None,
    event_words: dict[int, EventWords],
    events: dict[int, CaseEvent],
    is_source: bool,
) -> None:
    """The fields a translation (or the source) cannot leave empty, named as the form names
    them: a part is either left wholly empty (not translated) or complete."""
    missing: list[str] = []
    if words is not None and (is_source or not words.empty):
        missing += [name for name in REQUIRED_CASE_FIELDS if not getattr(words, name)]
    for event_id, typed in event_words.items():
        event = events.get(event_id)
        if event is None or (typed.empty and not is_source):
            continue
        # An update needs its words; an outcome's name can stand alone.
        if event.kind is CaseEventKind.UPDATE and not typed.body:
            missing.append(f"event-{event_id}-body")
    if missing:
        raise IncompleteText(tuple(missing))


async def _save_case_words(
    conn: Connection, case_id: int, locale: str, words: CaseWords, now: datetime, is_source: bool
) -> None:
    await case_editing.upsert_case_text(
        conn,
        case_id,
        locale,
        title=words.title,
        person=words.person,
        summary=words.summary,
        body=words.body,
        at=now,
        is_source=is_source,
    )


def _progress(
    case: CaseSettings, texts: dict[str, CaseText], events: list[CaseEvent], locale: str
) -> LanguageProgress:
    source = texts.get(case.default_locale)
    to_do = sum(
        1
        for event in events
        if event.kind in TRANSLATABLE_KINDS
        and _state(case, locale, source_text(event, case.default_locale), event.text_in(locale))
        in (TranslationState.MISSING, TranslationState.OUTDATED)
    )
    return LanguageProgress(locale, _state(case, locale, source, texts.get(locale)), to_do)


def _state(
    case: CaseSettings,
    locale: str,
    source: CaseText | EventText | None,
    translation: CaseText | EventText | None,
) -> TranslationState:
    if locale == case.default_locale:
        return TranslationState.SOURCE
    if translation is None:
        return TranslationState.MISSING
    if source is not None and source.updated_at > translation.updated_at:
        return TranslationState.OUTDATED
    return TranslationState.CURRENT
