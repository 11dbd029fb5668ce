"""Reading urgent actions for the public: pages, lists and counts."""

from __future__ import annotations

from campaign_engine.db.campaigns import actions
from campaign_engine.db.pool import Pool
from campaign_engine.domain.errors import ActionClosed, ActionNotFound, ActionRemoved
from campaign_engine.models.campaigns import (
    ActionCard,
    ActionCount,
    ActionPage,
    ActionRef,
    ActionStatus,
    FeedEntry,
    WorkspaceAction,
)


async def read_action_page(pool: Pool, slug: str, locale: str) -> ActionPage:
    async with pool.acquire() as conn:
        page = await actions.get_action_page(conn, slug, locale)
        # A removed action is gone (410) even if it never had a published language.
        ref = await actions.get_public_action_ref(conn, slug) if page is None else None
    if ref is not None and ref.status is ActionStatus.REMOVED:
        raise ActionRemoved
    if page is None:
        raise ActionNotFound
    if page.status is ActionStatus.REMOVED:
        raise ActionRemoved
    return page


def check_signable(action: ActionRef | None) -> ActionRef:
    """The action if it takes signatures now; else the reason it does not, raised."""
    if action is None:
        raise ActionNotFound
    if action.status is ActionStatus.REMOVED:
        raise ActionRemoved
    if action.status is not ActionStatus.OPEN:
        raise ActionClosed(action.slug)
    return action


async def ensure_signable(pool: Pool, slug: str) -> None:
    """Raise what signing this action would raise, before looking at what was submitted."""
    async with pool.acquire() as conn:
        check_signable(await actions.get_public_action_ref(conn, slug))


async def list_open_actions(pool: Pool, locale: str) -> list[ActionCard]:
    async with pool.acquire() as conn:
        return await actions.list_open_action_cards(conn, locale)


# Entries in a language's feed: readers keep what they saw, so the newest few suffice.
FEED_ENTRIES = 50


async def list_feed_entries(pool: Pool, locale: str) -> list[FeedEntry]:
    """The Atom feed's open actions in one language, the latest changed first."""
    async with pool.acquire() as conn:
        return await actions.list_feed_entries(conn, locale, FEED_ENTRIES)


async def list_workspace_actions(pool: Pool, locale: str) -> list[WorkspaceAction]:
    """Every action, whatever its status, as the workspace lists them."""
    async with pool.acquire() as conn:
        return await actions.list_workspace_actions(conn, locale)


async def read_count(pool: Pool, slug: str) -> ActionCount:
    async with pool.acquire() as conn:
        count = await actions.get_count(conn, slug)
    if count is None:
        raise ActionNotFound
    if count.status is ActionStatus.REMOVED:
        raise ActionRemoved
    return count
