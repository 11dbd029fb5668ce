"""The OpenAPI document against the server as operators run it: `campaign-engine serve` in a
process of its own, over TCP, fuzzed by schemathesis's own command line with every check it
has (status codes, schemas, headers, positive data accepted, negative data refused, 405 with
`Allow` for methods the document does not list, authentication honoured, ...).

tests/test_openapi.py runs the same document in-process, example by example; this is the
whole run, bounded by examples per operation.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from campaign_engine.db.pool import Pool
from campaign_engine.dev.mailbox import free_port
from campaign_engine.settings import Settings
from campaign_engine.web.api.openapi import document
from campaign_engine.web.api.public import LOCALE_PATTERN, SIGNATURE_FIELDS
from campaign_engine.web.api.reads import SIGNATURE_CURSOR
from tests.conftest import served_environ, wait_until_ready
from tests.factories import make_action
from tests.test_openapi import _key_and_action

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES_PER_OPERATION = 30
EXAMPLES_DRAWN = 15
# schemathesis's default for a schema-valid request (positive_data_acceptance), with 410 (an
# action of that slug was closed or removed: the suite's other tests leave such actions for
# schemathesis's links to find, and 410 is documented), and 422 where meaning is checked.
GONE_BY_MEANING = ["2xx", "3xx", "401", "403", "404", "409", "410", "429", "5xx"]
ACCEPTED_OR_REFUSED_ON_MEANING = [*GONE_BY_MEANING, "422"]
# And for a schema-violating request, schemathesis's default refusals with 410: a removed
# action is gone whatever is sent to it (docs/design.md), so it says so before reading a body.
REFUSED_OR_GONE = ["400", "401", "403", "404", "405", "406", "409", "410", "415", "422", "428"]
REFUSED_OR_GONE += ["429", "5xx"]


@pytest.fixture(scope="module")
def served(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`campaign-engine serve` on a port of its own, against the tests' servers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environ = served_environ(settings, base, tmp_path_factory.mktemp("serve-data"))
    log_path = tmp_path_factory.mktemp("serve-log") / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own command, no shell
            [sys.executable, "-m", "campaign_engine", "serve", "--port", str(port)],
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_ready(base, process, "serve")
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    served_log = log_path.read_text()
    # web/errors.py logs a bug as "unhandled <exception> on <request>".
    assert "Traceback" not in served_log, served_log[-4000:]
    assert "unhandled" not in served_log, served_log[-4000:]


# A signature's fields have checks no schema can state (an address that takes mail, a phone
# number that exists in the country): a schema-valid body may be answered 422, as the document
# says. Every other operation takes what its schema allows.
SIGNATURE_POST_MAY_REFUSE_ON_MEANING = [
    "[[operations]]",
    'include-path = "/api/v1/actions/{slug}/signatures"',
    'include-method = "POST"',
    "[operations.checks.positive_data_acceptance]",
    f"expected-statuses = {json.dumps(ACCEPTED_OR_REFUSED_ON_MEANING)}",
]


def schemathesis_run(served: str, folder: Path, config: list[str], examples: int) -> Any:
    """schemathesis's command line, every check, every phase; its JSON report."""
    (folder / "schemathesis.toml").write_text("\n".join(config))
    report = folder / "report.json"
    run = subprocess.run(  # noqa: S603 - the venv's own schemathesis, no shell
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(folder / "schemathesis.toml"),
            "run",
            f"{served}/api/v1/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(examples),
            "--generation-deterministic",
            "--workers",
            "1",
            "--no-color",
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--request-timeout",
            "10",
        ],
        cwd=folder,  # its cache folder goes there
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]
    summary = json.loads(report.read_text())
    print(  # noqa: T201 - the figures, for the record
        f"schemathesis: {summary['operations']['tested']} operations, "
        f"{summary['test_cases']['generated']} requests, {len(summary['failures'])} failures, "
        f"{summary['running_time']:.1f} s"
    )
    assert summary["complete"]
    assert summary["operations"]["tested"] == summary["operations"]["total"] == 8
    assert summary["failures"] == []
    return summary


@pytest.mark.slow
def test_schemathesis_finds_nothing_with_a_real_action_and_key(
    served: str, settings: Settings, tmp_path: Path
) -> None:
    """Every request names an open action with confirmed signatures, and carries an
    organisation key: the answers are pages, counts and signatures, not only 404s."""
    assert settings.database_url is not None
    key, known = asyncio.run(_key_and_action(settings.database_url))
    config = [
        f'headers = {{ Authorization = "Bearer {key}" }}',
        "[parameters]",
        f'"path.slug" = "{known}"',
        *SIGNATURE_POST_MAY_REFUSE_ON_MEANING,
    ]
    schemathesis_run(served, tmp_path, config, EXAMPLES_PER_OPERATION)


@pytest.mark.slow
def test_schemathesis_finds_nothing_with_slugs_of_its_own(
    served: str, settings: Settings, tmp_path: Path
) -> None:
    """Slugs drawn by schemathesis, of the documented form and of others (404 before any
    handler, the CORS preflight's included): every door answers as documented."""
    assert settings.database_url is not None
    key, _known = asyncio.run(_key_and_action(settings.database_url))
    config = [
        f'headers = {{ Authorization = "Bearer {key}" }}',
        "[checks.positive_data_acceptance]",
        f"expected-statuses = {json.dumps(GONE_BY_MEANING)}",
        "[checks.negative_data_rejection]",
        f"expected-statuses = {json.dumps(REFUSED_OR_GONE)}",
        *SIGNATURE_POST_MAY_REFUSE_ON_MEANING,
    ]
    schemathesis_run(served, tmp_path, config, EXAMPLES_DRAWN)


# The findings of the first run, each pinned in-process ------------------------------------


async def test_a_405_names_every_method_the_address_takes(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    wrong = await client.get(f"/api/v1/actions/{slug}/signatures")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "OPTIONS, POST"  # two routes, one address
    page = await client.put("/admin/login")
    assert page.status_code == 405
    assert page.headers["allow"] == "GET, HEAD, POST"


async def test_a_language_we_do_not_offer_is_refused_in_any_case_ours_are_not(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    for path in ("/api/v1/actions", f"/api/v1/actions/{slug}"):
        for unknown in ("tlh", "", "en-GB", "AAA"):
            refused = await client.get(path, params={"locale": unknown})
            assert refused.status_code == 400, (path, unknown)
            assert "locale" in refused.json()["error"]["fields"]
        taken = await client.get(path, params={"locale": "ZH-hans"})
        assert taken.status_code == 200
        assert taken.json()["locale"] == "zh-Hans"


async def test_any_cursor_of_the_documented_form_is_a_place_to_start(
    client: httpx.AsyncClient, pool: Pool, settings: Settings
) -> None:
    assert settings.database_url is not None
    key, known = await _key_and_action(settings.database_url)
    bearer = {"Authorization": f"Bearer {key}"}
    for cursor in ("0", "999999999999999999", ""):
        page = await client.get("/api/v1/admin/actions", params={"cursor": cursor}, headers=bearer)
        assert page.status_code == 200, cursor
    signatures = f"/api/v1/admin/actions/{known}/signatures"
    first = await client.get(signatures, params={"limit": 2}, headers=bearer)
    cursor = first.json()["next_cursor"]
    assert re.fullmatch(SIGNATURE_CURSOR, cursor)
    rest = await client.get(signatures, params={"cursor": cursor}, headers=bearer)
    assert len(first.json()["data"]) + len(rest.json()["data"]) == 3
    assert not {s["id"] for s in first.json()["data"]} & {s["id"] for s in rest.json()["data"]}
    for drawn in ("0-" + "0" * 32, "99999999999999999-" + "f" * 32):
        assert (await client.get(signatures, params={"cursor": drawn}, headers=bearer)).is_success
    for foreign in ("x", "1|2", "0-" + "F" * 32, "1\n"):
        refused = await client.get(signatures, params={"cursor": foreign}, headers=bearer)
        assert refused.status_code == 400, foreign


async def test_a_signature_without_its_required_fields_or_with_wrong_types_is_refused(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    path = f"/api/v1/actions/{slug}/signatures"
    empty = await client.post(path, json={})
    assert empty.status_code == 422
    assert set(empty.json()["error"]["fields"]) == {"name", "email", "country"}
    good = {"name": "Ana", "email": "ana@example.org", "country": "mx"}
    for field, value in [
        ("consent_updates", "yes"),
        ("comment", 12),
        ("locale", "tlh"),
        ("locale", ""),
        ("country", " MX"),
        ("utm_source", ["a"]),
    ]:
        refused = await client.post(path, json={**good, field: value})
        assert refused.status_code == 422, (field, value)
        assert field in refused.json()["error"]["fields"]
    taken = await client.post(path, json={**good, "phone": None, "locale": "ES", "anonymous": True})
    assert taken.status_code == 202


def test_the_documents_patterns_take_exactly_what_the_server_takes() -> None:
    """Each pattern the document states, read as JSON Schema reads it (ECMA-262, by the
    validator schemathesis uses), against the server's own full match."""
    body = document()["paths"]["/api/v1/actions/{slug}/signatures"]["post"]["requestBody"]
    properties = body["content"]["application/json"]["schema"]["properties"]
    patterns = [
        (properties[name]["pattern"], spec.pattern)
        for name, spec in SIGNATURE_FIELDS.items()
        if spec.pattern
    ]
    parameters = document()["paths"]["/api/v1/actions"]["get"]["parameters"]
    patterns.append((parameters[0]["schema"]["pattern"], LOCALE_PATTERN))
    signatures = document()["paths"]["/api/v1/admin/actions/{slug}/signatures"]["get"]
    patterns.append((signatures["parameters"][-1]["schema"]["pattern"], f"({SIGNATURE_CURSOR})?"))
    values = ["en", "ZH-hans", "ru", "MX", "mx", "enx", "xen", "en\n", "m", "MXX", ""]
    values += ["0-" + "0" * 32, "1-" + "a" * 32 + "\n", "1-" + "A" * 32, "x1-" + "a" * 32]
    assert len(patterns) == 4
    for documented, served in patterns:
        validator = jsonschema_rs.validator_for({"type": "string", "pattern": documented})
        for value in values:
            server = re.fullmatch(served, value) is not None
            assert validator.is_valid(value) == server, (documented, value)
