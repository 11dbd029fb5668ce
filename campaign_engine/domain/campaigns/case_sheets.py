"""An action's case sheet (docs/letters.md): the UA document members know, in one of the
languages the action is published in: its code and date, the person and the concern, what
happened, what to ask for and the model letter, the officials to write to with the
salutation in each one's language, the deadline, and the way to the action online. And a
supporter's own letters on paper, one to each official, in the official's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import case_sheets, posted_letters
from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.actions import read_action_page
from campaign_engine.models.campaigns import ActionPage, LetterTarget, SheetTarget


@dataclass(frozen=True)
class CaseSheet:
    page: ActionPage  # the action page's own texts, in the sheet's language
    issued_at: datetime  # when the action first opened
    targets: list[SheetTarget]
    copies: list[SheetTarget]  # "copies to": diplomats, usually


async def read_case_sheet(pool: Pool, slug: str, locale: str) -> CaseSheet:
    """ActionNotFound or ActionRemoved as the action page says them."""
    page = await read_action_page(pool, slug, locale)
    async with pool.acquire() as conn:
        extras = await case_sheets.get_sheet_extras(conn, page.id)
    return CaseSheet(page, extras.issued_at, extras.targets, extras.copies)


@dataclass(frozen=True)
class Letters:
    page: ActionPage  # the action's texts in the supporter's language (theirs to read)
    targets: list[LetterTarget]  # each with the letter in their own language
    copies: list[SheetTarget]  # whom to post copies to


async def read_letters(pool: Pool, slug: str, locale: str) -> Letters:
    """ActionNotFound or ActionRemoved as the action page says them."""
    page = await read_action_page(pool, slug, locale)
    async with pool.acquire() as conn:
        targets = await case_sheets.list_letter_targets(conn, page.id)
        copies = await case_sheets.list_copies(conn, page.id)
    return Letters(page, targets, copies)


async def count_posted_letters(
    pool: Pool, clock: Clock, slug: str, locale: str, target_ids: list[int]
) -> int:
    """ "I posted it": one more letter counted to each of these officials of the action (those
    it does not write to are ignored); returns how many were counted. ActionNotFound or
    ActionRemoved as the action page says them. Nobody's name is asked or kept: it is a
    supporter's word, counted, as a paper letter cannot be seen arriving."""
    page = await read_action_page(pool, slug, locale)
    async with pool.acquire() as conn:
        return await posted_letters.count_posted(conn, page.id, target_ids, clock.now().date())
