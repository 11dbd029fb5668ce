"""The arrows of docs/design.md §3, kept true by a test instead of by memory.

web -> domain -> db -> asyncpg; workers never import web; domain never imports a framework or
a provider's library; db never imports domain; senders are leaves; personal data is touched by
the db/personal/ package alone.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from campaign_engine.settings import SOURCE_HOME, Settings
from campaign_engine.web.routes import every_route, routes

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
        (PACKAGE / "messages", ("campaign_engine.db", "campaign_engine.web", "workers")),
        (
            PACKAGE / "formats",
            ("campaign_engine.db", "campaign_engine.domain", "campaign_engine.web", "workers"),
        ),
    ],
    ids=["domain", "db", "workers", "senders", "messages", "formats"],
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


# --- The rooms: capabilities named alike in every layer, small modules, no loops ---

CAPABILITIES = {
    "campaigns",
    "targets",
    "signing",
    "delivery",
    "workspace",
    "integrations",
    "privacy",
    "network",
}


def subpackages(folder: Path) -> set[str]:
    return {init.parent.name for init in folder.glob("*/__init__.py")}


def test_each_layer_is_grouped_by_the_same_capabilities() -> None:
    """domain/signing/ finds its queries in db/signing/ and its pages in web/admin/signing/."""
    assert subpackages(PACKAGE / "domain") == CAPABILITIES
    assert subpackages(PACKAGE / "db") == CAPABILITIES | {"personal"}
    assert subpackages(PACKAGE / "web" / "admin") <= CAPABILITIES
    assert {path.stem for path in (PACKAGE / "models").glob("*.py")} - {"__init__"} <= CAPABILITIES


def test_every_package_says_what_lives_there_and_what_it_may_import() -> None:
    silent = [
        str(init.relative_to(SOURCE_HOME))
        for init in sorted(PACKAGE.rglob("__init__.py"))
        if "May import" not in (ast.get_docstring(ast.parse(init.read_text())) or "")
    ]
    assert silent == []


def test_modules_stay_small_and_packages_few_rooms() -> None:
    """No module over 500 lines, no package of more than 15 modules: past that, a newcomer
    reads a list instead of a name."""
    long = [
        f"{path.relative_to(SOURCE_HOME)}: {lines} lines"
        for folder in (PACKAGE, SOURCE_HOME / "workers")
        for path in python_files(folder)
        if (lines := len(path.read_text().splitlines())) > 500
    ]
    crowded = [
        f"{folder.relative_to(SOURCE_HOME)}: {modules} modules"
        for folder in [PACKAGE, *(init.parent for init in PACKAGE.rglob("__init__.py"))]
        if (modules := len([p for p in folder.glob("*.py") if p.name != "__init__.py"])) > 15
    ]
    assert long == []
    assert crowded == []


def test_models_and_security_stand_on_nothing_of_the_app() -> None:
    """The shapes import only each other; the security primitives nothing of ours at all."""
    assert offenders(PACKAGE / "models", ("campaign_engine",)) == [
        entry
        for entry in offenders(PACKAGE / "models", ("campaign_engine",))
        if entry.split(" imports ")[1].startswith("campaign_engine.models.")
    ]
    assert offenders(PACKAGE / "security", ("campaign_engine",)) == []


def test_only_the_commands_start_development_servers() -> None:
    """dev/ (embedded servers, the mailbox, the demo) is for one machine: the product's code
    never reaches it, only the commands, the benchmark, the drill and the mailbox's page."""
    allowed = ("campaign_engine/cli/", "campaign_engine/bench/", "campaign_engine/drill/")
    reaching = [
        entry
        for entry in offenders(PACKAGE, ("campaign_engine.dev",))
        if not entry.startswith((*allowed, "campaign_engine/dev/", "campaign_engine/web/dev.py"))
    ]
    assert reaching == []


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE_HOME).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The modules of ours `path` imports, at its top or inside a function (an import put
    inside a function to dodge a cycle is still the cycle)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & known


def test_no_module_imports_itself_in_a_loop() -> None:
    """An import cycle is a knot a newcomer must untie before changing either side."""
    paths = [*python_files(PACKAGE), *python_files(SOURCE_HOME / "workers")]
    known = {module_name(path) for path in paths}
    # (A package's __init__ naming its own modules, `from package import module`, is no loop.)
    graph = {
        module_name(path): imported_modules(path, known) - {module_name(path)} for path in paths
    }
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as loop:
        pytest.fail(f"an import cycle: {' -> '.join(loop.args[1])}")


def test_every_route_has_a_name_of_its_own(settings: Settings) -> None:
    """Links are built from route names (`url_path`), so a name may lead to one place only."""
    named = [getattr(route, "name", None) for _path, route in every_route(routes(settings))]
    assert all(named)
    assert len(named) == len(set(named)), "two routes share a name"


# Session state a borrower could leave on a pooled connection for the next one (db/pool.py
# sends no reset query): a session-level lock, a LISTEN, a SET that is not LOCAL, a cursor
# held past its transaction.
SESSION_SQL = re.compile(
    r"pg_(try_)?advisory_lock(_shared)?\(|\bLISTEN\b|\A\s*SET\s+(?!LOCAL\b)|\bWITH HOLD\b"
    r"|set_config\(",  # case kept: our SQL's keywords are in capitals, prose's "listen" is not
)
# Each on a connection of its own, or (the migrations' lock) let go in a `finally`.
OWN_CONNECTIONS = {
    "campaign_engine/db/delivery/workers.py",  # a worker's lock, on the worker's connection
    "campaign_engine/db/campaigns/page_changes.py",  # the pages' listener, ditto
    "campaign_engine/db/migrate.py",
}


def _makes_session_state(path: Path) -> bool:
    source = path.read_text()
    strings = [
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    return "add_listener(" in source or any(SESSION_SQL.search(text) for text in strings)


def test_no_borrower_leaves_session_state_on_a_pooled_connection() -> None:
    found = {
        str(path.relative_to(SOURCE_HOME))
        for folder in (PACKAGE, SOURCE_HOME / "workers")
        for path in python_files(folder)
        if _makes_session_state(path)
    }
    assert found == OWN_CONNECTIONS
