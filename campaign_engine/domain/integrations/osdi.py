"""What the OSDI API reads: public actions as petitions, and a petition's confirmed
signatures (a partner key: only its own opted-in signers, as in the API v1). Signing goes
through domain/signatures.sign_action, like every other way in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from campaign_engine.db.integrations import osdi
from campaign_engine.db.personal import signers
from campaign_engine.db.pool import Pool
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.models.integrations import ApiKey, ApiSignature, OsdiPetition

# OSDI's own ceiling for a page.
MAX_PER_PAGE = 25

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


async def list_petitions(pool: Pool, locale: str, page: int, per_page: int) -> Page[OsdiPetition]:
    per_page = min(per_page, MAX_PER_PAGE)
    async with pool.acquire() as conn:
        items = await osdi.list_petitions_page(conn, locale, (page - 1) * per_page, per_page)
        return Page(items, await osdi.count_petitions(conn))


async def read_petition(pool: Pool, locale: str, slug: str) -> OsdiPetition:
    async with pool.acquire() as conn:
        petition = await osdi.get_petition(conn, locale, slug)
    if petition is None:
        raise ActionNotFound
    return petition


async def list_petition_signatures(
    pool: Pool, key: ApiKey, locale: str, slug: str, page: int, per_page: int
) -> tuple[OsdiPetition, Page[ApiSignature]]:
    """The petition, and a page of its confirmed signatures that `key` may read."""
    per_page = min(per_page, MAX_PER_PAGE)
    async with pool.acquire() as conn:
        petition = await osdi.get_petition(conn, locale, slug)
        if petition is None:
            raise ActionNotFound
        items = await signers.list_osdi_signatures(
            conn, slug, key.partner_id, (page - 1) * per_page, per_page
        )
        total = await signers.count_osdi_signatures(conn, slug, key.partner_id)
    return petition, Page(items, total)
