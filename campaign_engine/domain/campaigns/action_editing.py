"""Writing urgent actions in the workspace: a new draft, its settings, its words in each
language and which languages the public may read, and follow-ups. Each verb records itself in
the audit log inside its own transaction.

The lifecycle (publish, schedule, close, ...) is `action_lifecycle.py`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from campaign_engine import i18n
from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import action_editing as editing
from campaign_engine.db.campaigns import actions
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.errors import ActionNotFound, DomainError, NotAllowed
from campaign_engine.domain.workspace import audit
from campaign_engine.domain.workspace.access import Capability, may
from campaign_engine.models.campaigns import (
    ActionContent,
    ActionSettings,
    ActionSettingsChange,
    ActionStatus,
    ActionText,
    CaseChoice,
    NewAction,
    WorkspaceAction,
)
from campaign_engine.models.workspace import Staff

# The parts of a language's words a supporter must be able to read before it is published:
# the title, what is happening, what we ask, and the letter they sign. A share text is a
# nicety; sharing falls back to the title.
REQUIRED_TO_PUBLISH = ("title", "summary", "body", "letter_subject", "letter_body")

# `FI 2 on UA 123/26`: the second follow-up of `UA 123/26`.
FOLLOW_UP_CODE = re.compile(r"^FI (\d+) on (.+)$")
FOLLOW_UP_SLUG = re.compile(r"-fi\d+$")


class AlreadyTaken(DomainError):
    """Another action has this code or this slug (`fields` says which)."""

    def __init__(self, fields: frozenset[str]) -> None:
        super().__init__(*sorted(fields))
        self.fields = fields


class CaseMissing(DomainError):
    """The case chosen for a new action does not exist."""


class ChangeRefused(DomainError):
    """The change is not allowed now; `reason` says why (the web layer words it)."""

    def __init__(self, reason: str, status: ActionStatus | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status  # the action's status, when that is the reason


@dataclass(frozen=True)
class LocaleState:
    """Where one of our languages stands for an action."""

    locale: str
    text: ActionText | None
    outdated: bool  # its source's words changed after it was written

    @property
    def state(self) -> str:
        if self.text is None:
            return "missing"
        return "published" if self.text.published else "draft"


@dataclass(frozen=True)
class ActionEditor:
    settings: ActionSettings
    texts: dict[str, ActionText]
    locales: list[LocaleState]  # every language we speak, the source's first

    @property
    def source(self) -> ActionText | None:
        return self.texts.get(self.settings.default_locale)

    def title(self, locale: str) -> str:
        """The action's title in `locale`, else in its own language."""
        text = self.texts.get(locale) or self.source
        return text.title if text else self.settings.code


async def list_actions(
    pool: Pool, locale: str, status: ActionStatus | None = None
) -> list[WorkspaceAction]:
    """Every action (or those with one status), titled in the reader's language."""
    async with pool.acquire() as conn:
        return await actions.list_workspace_actions(conn, locale, status)


async def list_case_choices(pool: Pool, locale: str) -> list[CaseChoice]:
    async with pool.acquire() as conn:
        return await editing.list_case_choices(conn, locale)


async def create_action(pool: Pool, clock: Clock, actor: Staff, new: NewAction) -> str:
    """A new draft with its words in its own language, unpublished; returns its slug."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        if not await editing.case_exists(conn, new.case_id):
            raise CaseMissing
        await _refuse_taken(conn, new.code, new.slug)
        action_id = await editing.insert_draft_action(conn, new)
        if action_id is None:  # taken between the check and the insert
            raise AlreadyTaken(frozenset({"code", "slug"}))
        await editing.save_text(conn, action_id, new.default_locale, new.content, now, None)
        await audit.record(
            conn,
            actor.id,
            "action.created",
            now,
            ("action", action_id),
            code=new.code,
            slug=new.slug,
            case_id=new.case_id,
        )
    return new.slug


async def _refuse_taken(conn: Connection, code: str, slug: str) -> None:
    taken = {"code"} if await editing.code_taken(conn, code) else set()
    if await editing.slug_taken(conn, slug):
        taken.add("slug")
    if taken:
        raise AlreadyTaken(frozenset(taken))


async def read_action_editor(pool: Pool, slug: str) -> ActionEditor:
    async with pool.acquire() as conn:
        settings = await editing.get_action_settings(conn, slug)
        if settings is None:
            raise ActionNotFound
        texts = {text.locale: text for text in await editing.list_action_texts(conn, settings.id)}
    source = texts.get(settings.default_locale)
    order = [settings.default_locale, *(t for t in i18n.LOCALES if t != settings.default_locale)]
    locales = [LocaleState(tag, texts.get(tag), _outdated(texts.get(tag), source)) for tag in order]
    return ActionEditor(settings, texts, locales)


def _outdated(text: ActionText | None, source: ActionText | None) -> bool:
    if text is None or source is None or text.locale == source.locale:
        return False
    written_from = text.source_seen_at or text.text_updated_at
    return written_from < source.text_updated_at


async def update_action_settings(
    pool: Pool, clock: Clock, actor: Staff, slug: str, change: ActionSettingsChange
) -> None:
    """Deadline, goal, publication time, where officials' replies go. A new deadline or
    publication time must lie ahead; the deadline after the publication."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        current = await _locked(conn, slug)
        if change.deadline != current.deadline and change.deadline and change.deadline <= now:
            raise ChangeRefused("deadline_past")
        moved_publication = change.publish_at != current.publish_at and change.publish_at
        if moved_publication and moved_publication <= now:
            raise ChangeRefused("publish_at_past")
        if current.status is ActionStatus.SCHEDULED and change.publish_at is None:
            raise ChangeRefused("publish_at_needed")
        if change.deadline and change.publish_at and change.deadline <= change.publish_at:
            raise ChangeRefused("deadline_before_publication")
        changed = _changed_settings(current, change)
        if not changed:
            return
        await editing.update_settings(conn, current.id, change, now)
        await audit.record(conn, actor.id, "action.updated", now, ("action", current.id), **changed)


def _changed_settings(current: ActionSettings, change: ActionSettingsChange) -> dict[str, object]:
    """What changed, as the audit log keeps it (times as ISO 8601 text)."""
    changed: dict[str, object] = {}
    names = ("deadline", "goal", "publish_at", "reply_to", "time_zone", "proof_of_work")
    for name in (*names, "own_mailbox", "asks_solidarity"):
        old, new = getattr(current, name), getattr(change, name)
        if old != new:
            changed[name] = new.isoformat() if isinstance(new, datetime) else new
    return changed


async def save_translation(
    pool: Pool, clock: Clock, actor: Staff, slug: str, locale: str, content: ActionContent
) -> None:
    """Write an action's words in one language. A translation remembers which version of the
    source it was written from, so the editor can say when it falls behind."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        current = await _locked(conn, slug)
        if locale == current.default_locale and not may(actor, Capability.CAMPAIGN):
            raise NotAllowed  # the source is the letter officials receive: not a translation
        seen = None
        if locale != current.default_locale:
            texts = {t.locale: t for t in await editing.list_action_texts(conn, current.id)}
            source = texts.get(current.default_locale)
            seen = source.text_updated_at if source else None
        await editing.save_text(conn, current.id, locale, content, now, seen)
        await audit.record(
            conn, actor.id, "action.translated", now, ("action", current.id), locale=locale
        )


async def publish_locale(pool: Pool, clock: Clock, actor: Staff, slug: str, locale: str) -> None:
    """Let the public read the action in this language. Words with a gap are refused."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        current = await _locked(conn, slug)
        texts = {t.locale: t for t in await editing.list_action_texts(conn, current.id)}
        text = texts.get(locale)
        if text is None:
            raise ChangeRefused("locale_missing")
        if any(not getattr(text, part).strip() for part in REQUIRED_TO_PUBLISH):
            raise ChangeRefused("locale_incomplete")
        await editing.set_text_published(conn, current.id, locale, True, now)
        await audit.record(
            conn, actor.id, "action.locale_published", now, ("action", current.id), locale=locale
        )


async def unpublish_locale(pool: Pool, clock: Clock, actor: Staff, slug: str, locale: str) -> None:
    """Take one language off the public site; readers of it see the action's own language.
    The action's own language stays while the action is open or about to be."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        current = await _locked(conn, slug)
        live = (ActionStatus.OPEN, ActionStatus.SCHEDULED)
        if locale == current.default_locale and current.status in live:
            raise ChangeRefused("default_locale_live", current.status)
        texts = {t.locale: t for t in await editing.list_action_texts(conn, current.id)}
        if locale not in texts:
            raise ChangeRefused("locale_missing")
        await editing.set_text_published(conn, current.id, locale, False, now)
        await audit.record(
            conn, actor.id, "action.locale_unpublished", now, ("action", current.id), locale=locale
        )


async def follow_up(pool: Pool, clock: Clock, actor: Staff, slug: str) -> str:
    """A new draft for the same case, `FI <n> on <UA code>`: the words copied unpublished, the
    goal and the officials (with how each channel reaches them) kept, no deadline. Returns
    the follow-up's slug."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        original = await _locked(conn, slug)
        if original.status is ActionStatus.REMOVED:
            raise ChangeRefused("removed", original.status)
        base_code = _base_code(original.code)
        base_slug = FOLLOW_UP_SLUG.sub("", original.slug)
        taken = await editing.list_follow_up_codes(conn, base_code)
        number = 1 + max((_follow_up_number(code) for code in taken), default=0)
        while True:
            code, new_slug = f"FI {number} on {base_code}", f"{base_slug}-fi{number}"
            if not await editing.code_taken(conn, code) and not await editing.slug_taken(
                conn, new_slug
            ):
                break
            number += 1
        action_id = await editing.insert_follow_up(conn, original.id, new_slug, code)
        if action_id is None:  # taken between the check and the insert
            raise AlreadyTaken(frozenset({"code", "slug"}))
        await editing.copy_texts_unpublished(conn, original.id, action_id, now)
        await editing.copy_targets(conn, original.id, action_id)
        await editing.copy_channels(conn, original.id, action_id)
        await audit.record(
            conn,
            actor.id,
            "action.followed_up",
            now,
            ("action", action_id),
            code=code,
            original=original.id,
        )
    return new_slug


def _base_code(code: str) -> str:
    """The urgent action a code follows up: `FI 2 on UA 123/26` -> `UA 123/26`."""
    found = FOLLOW_UP_CODE.match(code)
    return found.group(2) if found else code


def _follow_up_number(code: str) -> int:
    found = FOLLOW_UP_CODE.match(code)
    return int(found.group(1)) if found else 0


async def _locked(conn: Connection, slug: str) -> ActionSettings:
    """The action, locked for this transaction's change."""
    current = await editing.get_action_settings(conn, slug, for_update=True)
    if current is None:
        raise ActionNotFound
    return current
