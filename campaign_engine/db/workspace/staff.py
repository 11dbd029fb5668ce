"""Campaigners' accounts and the one-time links that let them choose a password."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from asyncpg import Record

from campaign_engine.db.pool import Connection, sealer_of
from campaign_engine.models.workspace import Role, Staff, StaffSecrets

STAFF_COLUMNS = """
id, email, name, role, locale, password_hash IS NOT NULL AS has_password,
totp_secret_sealed IS NOT NULL AS has_second_factor, disabled_at IS NOT NULL AS disabled
"""


def staff_from(row: Record) -> Staff:
    """The account in a row, which may hold other columns beside STAFF_COLUMNS."""
    values = {field.name: row[field.name] for field in fields(Staff)}
    return Staff(**{**values, "role": Role(row["role"])})


INSERT_STAFF = f"""
INSERT INTO staff (email, name, role, locale) VALUES ($1, $2, $3, $4)
ON CONFLICT (email) DO NOTHING
RETURNING {STAFF_COLUMNS}
"""


async def insert_staff(
    conn: Connection, email: str, name: str, role: Role, locale: str
) -> Staff | None:
    """The new account, or None if the address has one already."""
    row = await conn.fetchrow(INSERT_STAFF, email, name, role, locale)
    return None if row is None else staff_from(row)


SELECT_STAFF = f"SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1"


async def get_staff(conn: Connection, staff_id: int) -> Staff | None:
    row = await conn.fetchrow(SELECT_STAFF, staff_id)
    return None if row is None else staff_from(row)


SELECT_STAFF_BY_EMAIL = f"SELECT {STAFF_COLUMNS} FROM staff WHERE email = $1"


async def get_staff_by_email(conn: Connection, email: str) -> Staff | None:
    row = await conn.fetchrow(SELECT_STAFF_BY_EMAIL, email)
    return None if row is None else staff_from(row)


SELECT_TEAM = f"SELECT {STAFF_COLUMNS} FROM staff ORDER BY disabled_at IS NOT NULL, name, id"


async def list_staff(conn: Connection) -> list[Staff]:
    return [staff_from(row) for row in await conn.fetch(SELECT_TEAM)]


# The second factor's secret is sealed like supporters' data (sealing.py): a stolen backup
# must not be enough to make a campaigner's codes.
TOTP_COLUMN = "staff.totp_secret"


def secrets_from(conn: Connection, row: Record) -> StaffSecrets:
    sealed = row["totp_secret_sealed"]
    return StaffSecrets(
        staff_id=row["staff_id"],
        password_hash=row["password_hash"],
        totp_secret=sealer_of(conn).open_optional(sealed, TOTP_COLUMN),
    )


SELECT_SECRETS = """
SELECT id AS staff_id, password_hash, totp_secret_sealed FROM staff
WHERE email = $1 AND disabled_at IS NULL
"""


async def get_secrets_by_email(conn: Connection, email: str) -> StaffSecrets | None:
    """An enabled account's secrets; None for an unknown or disabled address."""
    row = await conn.fetchrow(SELECT_SECRETS, email)
    return None if row is None else secrets_from(conn, row)


SELECT_SECRETS_BY_ID = """
SELECT id AS staff_id, password_hash, totp_secret_sealed FROM staff WHERE id = $1
"""


async def get_secrets(conn: Connection, staff_id: int) -> StaffSecrets | None:
    row = await conn.fetchrow(SELECT_SECRETS_BY_ID, staff_id)
    return None if row is None else secrets_from(conn, row)


UPDATE_PASSWORD_HASH = "UPDATE staff SET password_hash = $2, updated_at = $3 WHERE id = $1"  # noqa: S105  # nosec B105 # SQL, not a password


async def set_password_hash(conn: Connection, staff_id: int, hashed: str, at: datetime) -> None:
    await conn.execute(UPDATE_PASSWORD_HASH, staff_id, hashed, at)


UPDATE_SECOND_FACTOR = """
UPDATE staff SET totp_secret_sealed = $2, totp_last_step = $3, updated_at = $4 WHERE id = $1
"""


async def set_second_factor(
    conn: Connection, staff_id: int, secret: str | None, step: int | None, at: datetime
) -> None:
    """Enrol a secret (with the step of the code that proved it), or remove it (None)."""
    sealed = sealer_of(conn).seal_optional(secret, TOTP_COLUMN)
    await conn.execute(UPDATE_SECOND_FACTOR, staff_id, sealed, step, at)


# Atomic, so two requests racing with one code cannot both pass.
USE_TOTP_STEP = """
UPDATE staff SET totp_last_step = $2
WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)
RETURNING id
"""


async def use_totp_step(conn: Connection, staff_id: int, step: int) -> bool:
    """Spend a code's time step; False if that step (or a later one) was used already."""
    return await conn.fetchval(USE_TOTP_STEP, staff_id, step) is not None


UPDATE_ROLE = "UPDATE staff SET role = $2, updated_at = $3 WHERE id = $1"


async def set_role(conn: Connection, staff_id: int, role: Role, at: datetime) -> None:
    await conn.execute(UPDATE_ROLE, staff_id, role, at)


UPDATE_DISABLED = """
UPDATE staff SET disabled_at = CASE WHEN $2 THEN $3::timestamptz END, updated_at = $3
WHERE id = $1
"""


async def set_disabled(conn: Connection, staff_id: int, disabled: bool, at: datetime) -> None:
    await conn.execute(UPDATE_DISABLED, staff_id, disabled, at)


UPDATE_LOCALE = "UPDATE staff SET locale = $2, updated_at = $3 WHERE id = $1"


async def set_locale(conn: Connection, staff_id: int, locale: str, at: datetime) -> None:
    await conn.execute(UPDATE_LOCALE, staff_id, locale, at)


COUNT_ACTIVE_OWNERS = "SELECT count(*) FROM staff WHERE role = 'owner' AND disabled_at IS NULL"


async def count_active_owners(conn: Connection) -> int:
    return int(await conn.fetchval(COUNT_ACTIVE_OWNERS))


INSERT_INVITATION = """
INSERT INTO staff_invitations (token_hash, staff_id, created_by, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5)
"""


async def insert_invitation(
    conn: Connection,
    token_hash: bytes,
    staff_id: int,
    created_by: int | None,
    at: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(INSERT_INVITATION, token_hash, staff_id, created_by, at, expires_at)


SELECT_INVITATION = f"""
SELECT {STAFF_COLUMNS} FROM staff
WHERE disabled_at IS NULL AND id = (
    SELECT staff_id FROM staff_invitations
    WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
)
"""


async def get_invited_staff(conn: Connection, token_hash: bytes, now: datetime) -> Staff | None:
    """Whose unused, unexpired link this is; None if it is not one."""
    row = await conn.fetchrow(SELECT_INVITATION, token_hash, now)
    return None if row is None else staff_from(row)


# Using a link spends it, and every other link of the same account with it: the newest
# password choice stands alone.
USE_INVITATION = """
WITH spent AS (
    UPDATE staff_invitations SET used_at = $2
    WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
    RETURNING staff_id
), others AS (
    UPDATE staff_invitations i SET used_at = $2
    FROM spent
    WHERE i.staff_id = spent.staff_id AND i.used_at IS NULL AND i.token_hash <> $1
)
SELECT staff_id FROM spent
"""


async def use_invitation(conn: Connection, token_hash: bytes, now: datetime) -> int | None:
    """Spend a link; the account's id, or None if it was not a live link."""
    staff_id: int | None = await conn.fetchval(USE_INVITATION, token_hash, now)
    return staff_id


# Sealing (sealing.py): `keys rotate` and migration 0018. A team has a handful of rows, so
# each walks them all at once. A campaigner may enrol a new second factor meanwhile: a value
# is written back only if it is still the one that was read.
SELECT_SEALED_TOTP_SECRETS = """
SELECT id, totp_secret_sealed FROM staff WHERE totp_secret_sealed IS NOT NULL
"""
RESEAL_SECOND_FACTOR = """
UPDATE staff SET totp_secret_sealed = $2
WHERE id = $1 AND totp_secret_sealed IS NOT DISTINCT FROM $3
"""


async def reseal_totp_secrets(conn: Connection) -> int:
    """Reseal under the sealing key every second-factor secret sealed under another; returns
    how many."""
    sealer = sealer_of(conn)
    rows = await conn.fetch(SELECT_SEALED_TOTP_SECRETS)
    stale = [row for row in rows if not sealer.is_current(row["totp_secret_sealed"])]
    await conn.executemany(
        RESEAL_SECOND_FACTOR,
        [
            (
                row["id"],
                sealer.reseal(row["totp_secret_sealed"], TOTP_COLUMN),
                row["totp_secret_sealed"],
            )
            for row in stale
        ],
    )
    return len(stale)


# What `keys rotate` reports beside supporters' values (db/supporters.count_sealed_by_key).
COUNT_TOTP_SECRETS_BY_KEY = """
SELECT substring(totp_secret_sealed FROM 2 FOR 4) AS key_id, count(*) AS sealed FROM staff
WHERE totp_secret_sealed IS NOT NULL
GROUP BY 1
"""


async def count_totp_secrets_by_key(conn: Connection) -> dict[bytes, int]:
    rows = await conn.fetch(COUNT_TOTP_SECRETS_BY_KEY)
    return {bytes(row["key_id"]): row["sealed"] for row in rows}


# Migration 0018 only (db/migrate.py): secrets 0017 found in the plain column, under a lock so
# that none enrolled meanwhile by older code is left behind when 0018 drops it.
LOCK_STAFF = "LOCK TABLE staff IN EXCLUSIVE MODE"
SELECT_PLAIN_TOTP_SECRETS = "SELECT id, totp_secret FROM staff WHERE totp_secret IS NOT NULL"


async def seal_plain_totp_secrets(conn: Connection) -> int:
    await conn.execute(LOCK_STAFF)
    rows = await conn.fetch(SELECT_PLAIN_TOTP_SECRETS)
    if rows:
        sealer = sealer_of(conn)
        await conn.executemany(
            RESEAL_SECOND_FACTOR,  # over nothing sealed yet
            [(row["id"], sealer.seal(row["totp_secret"], TOTP_COLUMN), None) for row in rows],
        )
    return len(rows)
