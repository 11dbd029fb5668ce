"""Apply the numbered plain-SQL migrations in `migrations/`, forward only.

Each file runs in its own transaction and is recorded in `schema_migrations` with a checksum.
The few steps SQL cannot take (sealing and keyed hashes need keys the database never holds)
run in Python, in the transaction of the file they come before, through the migrating
connection's keys.
An advisory lock lets several processes start at once: one migrates, the others wait and then
find nothing to do. A migration that was applied and then edited stops the runner, because the
database no longer matches the files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from campaign_engine.db.personal import upgrade_0018
from campaign_engine.db.pool import Connection
from campaign_engine.db.signing import abuse
from campaign_engine.db.workspace import staff

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any constant shared by every process that migrates this database; spells "camp".
ADVISORY_LOCK_ID = 0x63616D70


class MigrationError(Exception):
    pass


async def _seal_plain_columns(conn: Connection) -> None:
    await upgrade_0018.seal_plain_supporters(conn)
    await upgrade_0018.seal_plain_signer_details(conn)
    await staff.seal_plain_totp_secrets(conn)


# Python steps, by the file they run just before (in its transaction).
BEFORE: dict[str, Callable[[Connection], Awaitable[object]]] = {
    # 0017 added the sealed columns; 0018 drops the plain ones once this has filled them.
    "0018_plain_columns_dropped.sql": _seal_plain_columns,
    # 0021 added signatures' domain keys; 0022 drops the plain domains once they are keyed.
    "0022_plain_email_domains_dropped.sql": abuse.hash_plain_email_domains,
}


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_words.sql")
        migrations.append(Migration(match.group(1), path.name, path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a number")
    return migrations


CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""

SELECT_APPLIED = "SELECT version, checksum FROM schema_migrations"


async def applied_checksums(conn: Connection) -> dict[str, str]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return {}
    return {row["version"]: row["checksum"] for row in await conn.fetch(SELECT_APPLIED)}


INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"


async def migrate(conn: Connection, folder: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply what is pending; return the names of the files applied."""
    migrations = load_migrations(folder)
    await conn.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_ID)
    try:
        await conn.execute(CREATE_SCHEMA_MIGRATIONS)
        applied = await applied_checksums(conn)
        done = []
        for migration in migrations:
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationError(f"{migration.name} changed after it was applied")
                continue
            async with conn.transaction():
                if migration.name in BEFORE:
                    await BEFORE[migration.name](conn)
                await conn.execute(migration.sql)
                await conn.execute(
                    INSERT_APPLIED, migration.version, migration.name, migration.checksum
                )
            done.append(migration.name)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_ID)


async def is_at_head(conn: Connection, folder: Path = MIGRATIONS_DIR) -> bool:
    """True when every migration file is applied, unchanged."""
    applied = await applied_checksums(conn)
    return all(applied.get(m.version) == m.checksum for m in load_migrations(folder))
