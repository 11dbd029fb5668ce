"""The migration runner: forward only, once, under a lock, and it notices edited history."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from campaign_engine.db.migrate import (
    MIGRATIONS_DIR,
    MigrationError,
    is_at_head,
    load_migrations,
    migrate,
)
from tests.conftest import with_database


@pytest.fixture
async def empty_database(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    admin = await asyncpg.connect(server_urls[0])
    name = f"migrations_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield with_database(server_urls[0], name)
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


async def test_migrations_apply_once_even_when_started_together(empty_database: str) -> None:
    connections = [await asyncpg.connect(empty_database) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(conn) for conn in connections))
        applied = sorted(name for result in results for name in result)
        assert applied == [m.name for m in load_migrations()], "each file exactly once"
        assert await migrate(connections[0]) == []
        assert await is_at_head(connections[0])
    finally:
        for conn in connections:
            await conn.close()


def copy_migrations(folder: Path) -> None:
    for source in MIGRATIONS_DIR.glob("*.sql"):
        (folder / source.name).write_text(source.read_text())


def edit_first_migration(folder: Path) -> None:
    first = sorted(folder.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited afterwards\n")


async def test_an_edited_migration_stops_the_runner(empty_database: str, tmp_path: Path) -> None:
    copy_migrations(tmp_path)
    conn = await asyncpg.connect(empty_database)
    try:
        await migrate(conn, tmp_path)
        edit_first_migration(tmp_path)
        assert not await is_at_head(conn, tmp_path)
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, tmp_path)
    finally:
        await conn.close()


def test_migration_files_are_numbered(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "0001_second.sql").write_text("SELECT 2;")
    with pytest.raises(MigrationError, match="share a number"):
        load_migrations(tmp_path)
    (tmp_path / "0001_second.sql").rename(tmp_path / "second.sql")
    with pytest.raises(MigrationError, match="are named"):
        load_migrations(tmp_path)
