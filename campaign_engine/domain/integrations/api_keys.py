"""API keys: made by those who manage partners, shown once, kept only as a hash; and the
check every authenticated API request goes through.

A key reads `ce_<prefix>_<secret>`. The prefix (8 letters and digits) names the key in the
workspace's list and finds its row; the whole key's sha256 is what we keep, so a copy of the
database lets nobody call the API. sha256 and not a slow password hash: the secret is 256
random bits, which no dictionary holds, and every API request checks it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass

from campaign_engine.clock import Clock
from campaign_engine.db.integrations import api_keys, partners
from campaign_engine.db.pool import Pool
from campaign_engine.domain.errors import DomainError
from campaign_engine.domain.workspace import audit
from campaign_engine.models.integrations import ApiKey, ApiScope
from campaign_engine.models.workspace import Staff

PREFIX_LENGTH = 8
KEY_SHAPE = re.compile(r"^ce_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{20,100})$")
_ALPHABET = string.ascii_letters + string.digits


class ApiKeyNotFound(DomainError):
    pass


class PartnerUnknown(DomainError):
    """The partner chosen for a new key does not exist."""


@dataclass(frozen=True)
class NewApiKey:
    """A key just made: `secret` is the whole key, shown once and never again."""

    id: int
    secret: str


def key_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def list_api_keys(pool: Pool) -> list[ApiKey]:
    async with pool.acquire() as conn:
        return await api_keys.list_api_keys(conn)


async def create_api_key(
    pool: Pool,
    clock: Clock,
    actor: Staff,
    name: str,
    partner_id: int | None,
    scopes: tuple[ApiScope, ...],
) -> NewApiKey:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        if partner_id is not None and await partners.get_partner(conn, partner_id) is None:
            raise PartnerUnknown
        while True:  # a prefix drawn twice (1 in 2^47) is drawn again
            prefix = "".join(secrets.choice(_ALPHABET) for _ in range(PREFIX_LENGTH))
            secret = f"ce_{prefix}_{secrets.token_urlsafe(32)}"
            key_id = await api_keys.insert_api_key(
                conn, name, partner_id, scopes, prefix, key_hash(secret), actor.id, now
            )
            if key_id is not None:
                break
        # The prefix identifies the key in the log; the secret never goes anywhere but the page.
        await audit.record(
            conn,
            actor.id,
            "api_key.created",
            now,
            ("api_key", key_id),
            name=name,
            partner_id=partner_id,
            scopes=[str(scope) for scope in scopes],
            prefix=prefix,
        )
    return NewApiKey(key_id, secret)


async def revoke_api_key(pool: Pool, clock: Clock, actor: Staff, key_id: int) -> None:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        key = await api_keys.lock_api_key(conn, key_id)
        if key is None:
            raise ApiKeyNotFound
        if key.revoked_at is not None:
            return
        await api_keys.revoke_api_key(conn, key_id, now)
        await audit.record(
            conn, actor.id, "api_key.revoked", now, ("api_key", key_id), prefix=key.prefix
        )


async def authenticate(pool: Pool, clock: Clock, presented: str) -> ApiKey | None:
    """The key a request presents, if it is one of ours, not revoked, and its partner (if any)
    not disabled; None otherwise, whatever the reason (a caller learns nothing more)."""
    shape = KEY_SHAPE.match(presented)
    if shape is None:
        return None
    async with pool.acquire() as conn:
        found = await api_keys.get_api_key_by_prefix(conn, shape.group(1))
        if found is None:
            return None
        key, stored_hash, partner_disabled = found
        if not hmac.compare_digest(stored_hash, key_hash(presented)):
            return None
        if key.revoked_at is not None or partner_disabled:
            return None
        await api_keys.touch_api_key(conn, key.id, clock.now())
    return key


async def origin_may_post(pool: Pool, origin: str) -> bool:
    """CORS: a browser page on this origin may post signatures to the API when an enabled
    partner lists it among its allowed origins."""
    async with pool.acquire() as conn:
        return await api_keys.origin_is_allowed(conn, origin.lower())
