"""The arrows of docs/design.md §3, kept true by a test instead of by memory.

web -> domain -> db -> asyncpg; workers never import web; domain never imports a framework or
a provider's library; db never imports domain; senders are leaves; personal data is touched by
the db/personal/ package alone.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from campaign_engine.settings import SOURCE_HOME

PACKAGE = SOURCE_HOME / "campaign_engine"


def python_files(folder: Path) -> Iterator[Path]:
    yield from sorted(folder.rglob("*.py"))


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def offenders(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(SOURCE_HOME)} imports {name}"
        for path in python_files(folder)
        for name in imports_of(path)
        if any(name == f or name.startswith(f"{f}.") for f in forbidden)
    ]


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        (
            PACKAGE / "domain",
            ("starlette", "arq", "aiosmtplib", "twilio", "uvicorn", "campaign_engine.web"),
        ),
        (PACKAGE / "db", ("campaign_engine.domain", "campaign_engine.web", "starlette", "arq")),
        (SOURCE_HOME / "workers", ("campaign_engine.web", "starlette")),
        (
            PACKAGE / "senders",
            ("campaign_engine.domain", "campaign_engine.db", "campaign_engine.web", "workers"),
        ),
    ],
    ids=["domain", "db", "workers", "senders"],
)
def test_dependencies_point_one_way(folder: Path, forbidden: tuple[str, ...]) -> None:
    assert offenders(folder, forbidden) == []


def test_the_web_reaches_the_database_only_through_domain_verbs() -> None:
    """Handlers call a domain verb; they may name the pool's type, and tell its outages from
    bugs (db/outage.py), never run a query."""
    connection_layer = {"campaign_engine.db.pool", "campaign_engine.db.outage"}
    reaching = [
        f"{path.relative_to(SOURCE_HOME)} imports {name}"
        for path in python_files(PACKAGE / "web")
        for name in imports_of(path)
        if name.startswith("campaign_engine.db") and name not in connection_layer
    ]
    assert reaching == []


PERSONAL_TABLES = re.compile(r"\b(supporters|signer_details)\b")
SQL_VERBS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b")


def test_personal_data_is_read_and_written_in_one_package() -> None:
    touching = {
        path.relative_to(PACKAGE / "db")
        for path in python_files(PACKAGE / "db")
        if path.name != "__init__.py" and PERSONAL_TABLES.search(_sql_of(path))
    }
    assert touching, "the personal tables are read somewhere"
    assert {path.parts[0] for path in touching} == {"personal"}


def _sql_of(path: Path) -> str:
    """The SQL of a module: its string constants that read or write rows."""
    return "\n".join(
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and SQL_VERBS.search(node.value)
    )


def test_nothing_reads_the_environment_but_settings() -> None:
    readers = [
        str(path.relative_to(SOURCE_HOME))
        for folder in (PACKAGE, SOURCE_HOME / "workers")
        for path in python_files(folder)
        if "os.environ" in path.read_text() or "getenv(" in path.read_text()
    ]
    # `serve` (cli/running.py) and the benchmark only hand local servers' addresses to the
    # processes they start.
    assert sorted(readers) == [
        "campaign_engine/bench/stack.py",
        "campaign_engine/cli/running.py",
        "campaign_engine/settings.py",
    ]


def test_sealed_columns_are_opened_by_the_modules_that_own_them() -> None:
    """Only the queries of personal data (and of campaigners' second factor) ask their
    connection for the data keys."""
    asking = {
        str(path.relative_to(SOURCE_HOME))
        for path in python_files(PACKAGE)
        if "sealer_of(" in path.read_text() and path.name != "pool.py"
    }
    personal = {path for path in asking if path.startswith("campaign_engine/db/personal/")}
    assert personal, "the personal package opens what it reads"
    # Campaigners' second-factor secrets are sealed too, and read beside their accounts.
    assert asking - personal == {"campaign_engine/db/workspace/staff.py"}
