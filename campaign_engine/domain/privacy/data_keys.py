"""Rotating the data keys (sealing.py, docs/privacy.md): every sealed value resealed under
the newest key, so the older ones can leave DATA_KEYS.

The walk goes a batch at a time, while the product runs, and holds no lock between
statements: only rotation rewrites a sealed value, and it writes one back only if it is still
the value it read (db/personal/resealing.py).
Run twice, the second run finds nothing to do; stopped
halfway (or by a deadlock with a retention run, which PostgreSQL breaks by failing one side),
it is simply run again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from campaign_engine.db.personal import resealing
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.workspace import staff

BATCH_SIZE = 1_000


@dataclass(frozen=True)
class Resealed:
    supporters: int  # addresses resealed
    signer_details: int  # rows of names, phones and messages resealed
    second_factors: int  # campaigners' TOTP secrets resealed
    by_key: dict[bytes, int]  # values (TOTP secrets included) under each key id, afterwards
    member_phones: int = 0  # members' mobile numbers resealed


Reseal = Callable[[Connection, UUID | None, int], Awaitable[tuple[UUID | None, int]]]


async def _walk(pool: Pool, reseal: Reseal, batch_size: int) -> int:
    resealed, after = 0, None
    while True:
        async with pool.acquire() as conn:
            last, count = await reseal(conn, after, batch_size)
        resealed += count
        if last is None:
            return resealed
        after = last


async def reseal_under_newest_key(pool: Pool, batch_size: int = BATCH_SIZE) -> Resealed:
    found_supporters = await _walk(pool, resealing.reseal_supporters, batch_size)
    found_details = await _walk(pool, resealing.reseal_signer_details, batch_size)
    # Solidarity messages count with the signers' other details.
    found_details += await _walk(pool, resealing.reseal_solidarity_messages, batch_size)
    found_phones = await _walk(pool, resealing.reseal_member_phones, batch_size)
    async with pool.acquire() as conn:
        second_factors = await staff.reseal_totp_secrets(conn)
        by_key = Counter(await resealing.count_sealed_by_key(conn))
        by_key.update(await staff.count_totp_secrets_by_key(conn))
    return Resealed(found_supporters, found_details, second_factors, dict(by_key), found_phones)
