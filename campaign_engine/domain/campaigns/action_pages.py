"""What the public reads of an action beyond its words: the case's news once the action has
closed, and previews of a language before it is published (a signed link that works for a
week, for a colleague or a partner without an account)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from campaign_engine import i18n
from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import action_editing as editing
from campaign_engine.db.campaigns import cases, page_changes
from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.actions import read_action_page
from campaign_engine.domain.errors import ActionNotFound, ActionRemoved
from campaign_engine.domain.workspace import audit
from campaign_engine.models.campaigns import ActionPage, ActionStatus, TimelineEntry
from campaign_engine.models.workspace import Staff
from campaign_engine.security.tokens import PREVIEW_MAX_AGE, InvalidLink, Tokens


class Closable(Protocol):
    def close(self) -> Awaitable[None]: ...


# A closed action's page shows the latest of the case's news; the case page has the rest.
NEWS_SHOWN = 3


@dataclass(frozen=True)
class PublicAction:
    page: ActionPage
    news: list[TimelineEntry]  # the case's latest published events, once the action is not open


@dataclass(frozen=True)
class PreviewLink:
    token: str
    locale: str
    expires_at: datetime


@dataclass(frozen=True)
class Preview:
    page: ActionPage
    locale: str  # the language asked for (the words may be the source's, if not written yet)
    expires_at: datetime


async def read_public_action(pool: Pool, slug: str, locale: str) -> PublicAction:
    """The action page; when it no longer takes signatures, with the case's latest news."""
    page = await read_action_page(pool, slug, locale)
    if page.status is ActionStatus.OPEN:
        return PublicAction(page, [])
    async with pool.acquire() as conn:
        case_id = await editing.get_case_id(conn, page.case_slug)
        news = [] if case_id is None else await cases.list_public_timeline(conn, case_id, locale)
    return PublicAction(page, news[:NEWS_SHOWN])


async def watch_page_changes(
    database_url: str, on_change: Callable[[], None], on_lost: Callable[[], None]
) -> Closable:
    """Hear of every committed change to what public pages show (an edit, a publication, a
    takedown, a new translation, the case's news): `on_change` for each, `on_lost` once if
    the watch ends. Close what it returns to stop watching."""
    return await page_changes.listen(database_url, on_change, on_lost)


async def make_preview_link(
    pool: Pool, clock: Clock, tokens: Tokens, actor: Staff, slug: str, locale: str
) -> PreviewLink:
    """A link to the action in `locale` as it stands, whatever its status; the log keeps that
    one was made (never the link itself, which opens the page to whoever holds it)."""
    now = clock.now()
    expires_at = now + PREVIEW_MAX_AGE
    async with pool.acquire() as conn, conn.transaction():
        action = await editing.get_action_settings(conn, slug)
        if action is None:
            raise ActionNotFound
        await audit.record(
            conn, actor.id, "action.preview_link_made", now, ("action", action.id), locale=locale
        )
    return PreviewLink(tokens.preview_token(action.id, locale, expires_at), locale, expires_at)


async def read_preview(pool: Pool, clock: Clock, tokens: Tokens, token: str) -> Preview:
    """The page a preview link shows. Raises InvalidLink or ExpiredLink for a bad link, and
    ActionRemoved for an action taken down (a preview must not bring it back)."""
    action_id, locale, expires_at = tokens.read_preview_token(token, clock.now())
    if not i18n.is_supported(locale):  # signed by us, so only if a language was dropped since
        raise InvalidLink
    async with pool.acquire() as conn:
        if await editing.get_status(conn, action_id) is ActionStatus.REMOVED:
            raise ActionRemoved
        page = await editing.get_preview_page(conn, action_id, locale)
    if page is None:
        raise ActionNotFound
    return Preview(page, locale, expires_at)
