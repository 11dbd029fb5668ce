"""API keys: made, listed, found by their prefix, revoked; and which origins may post
signatures from a browser (CORS)."""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from campaign_engine.db.pool import Connection
from campaign_engine.models.integrations import ApiKey, ApiScope

API_KEY_COLUMNS = """
k.id, k.name, k.partner_id, p.name AS partner_name, p.slug AS partner_slug, k.scopes, k.prefix,
k.created_at, k.last_used_at, k.revoked_at
"""


def api_key_from(row: Record) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        partner_id=row["partner_id"],
        partner_name=row["partner_name"],
        partner_slug=row["partner_slug"],
        scopes=tuple(ApiScope(scope) for scope in row["scopes"]),
        prefix=row["prefix"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


INSERT_API_KEY = """
INSERT INTO api_keys (name, partner_id, scopes, prefix, secret_hash, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (prefix) DO NOTHING
RETURNING id
"""


async def insert_api_key(
    conn: Connection,
    name: str,
    partner_id: int | None,
    scopes: tuple[ApiScope, ...],
    prefix: str,
    secret_hash: bytes,
    created_by: int,
    at: datetime,
) -> int | None:
    """The new key's id; None when the prefix is taken already (draw another)."""
    key_id: int | None = await conn.fetchval(
        INSERT_API_KEY,
        name,
        partner_id,
        [str(scope) for scope in scopes],
        prefix,
        secret_hash,
        created_by,
        at,
    )
    return key_id


SELECT_API_KEYS = f"""
SELECT {API_KEY_COLUMNS}
FROM api_keys k LEFT JOIN partners p ON p.id = k.partner_id
ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC, k.id DESC
"""


async def list_api_keys(conn: Connection) -> list[ApiKey]:
    return [api_key_from(row) for row in await conn.fetch(SELECT_API_KEYS)]


# A partner key stops working with its partner: a disabled partner reads nothing.
SELECT_KEY_BY_PREFIX = f"""
SELECT {API_KEY_COLUMNS}, k.secret_hash, p.disabled_at IS NOT NULL AS partner_disabled
FROM api_keys k LEFT JOIN partners p ON p.id = k.partner_id
WHERE k.prefix = $1
"""


async def get_api_key_by_prefix(conn: Connection, prefix: str) -> tuple[ApiKey, bytes, bool] | None:
    """(the key, the sha256 of its secret, whether its partner is disabled), or None."""
    row = await conn.fetchrow(SELECT_KEY_BY_PREFIX, prefix)
    if row is None:
        return None
    return api_key_from(row), bytes(row["secret_hash"]), row["partner_disabled"]


SELECT_API_KEY = f"""
SELECT {API_KEY_COLUMNS}
FROM api_keys k LEFT JOIN partners p ON p.id = k.partner_id
WHERE k.id = $1
FOR UPDATE OF k
"""


async def lock_api_key(conn: Connection, key_id: int) -> ApiKey | None:
    row = await conn.fetchrow(SELECT_API_KEY, key_id)
    return None if row is None else api_key_from(row)


REVOKE_API_KEY = "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"


async def revoke_api_key(conn: Connection, key_id: int, at: datetime) -> None:
    await conn.execute(REVOKE_API_KEY, key_id, at)


# Written at most once a minute per key: a busy script must not turn every read into a write.
TOUCH_API_KEY = """
UPDATE api_keys SET last_used_at = $2
WHERE id = $1
  AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')
"""


async def touch_api_key(conn: Connection, key_id: int, at: datetime) -> None:
    await conn.execute(TOUCH_API_KEY, key_id, at)


SELECT_ORIGIN_ALLOWED = """
SELECT EXISTS (
    SELECT 1 FROM partners WHERE disabled_at IS NULL AND $1 = ANY(allowed_origins)
)
"""


async def origin_is_allowed(conn: Connection, origin: str) -> bool:
    """Whether an enabled partner lists this origin (scheme://host[:port], lower-case)."""
    allowed: bool = await conn.fetchval(SELECT_ORIGIN_ALLOWED, origin)
    return allowed
