"""The OpenAPI document of the JSON API v1 stays true: it describes exactly the /api/v1 routes
the app serves, and schemathesis, generating requests from it, meets no server error and no
answer outside the schema (public endpoints, and the authenticated ones with a valid key)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import hypothesis
import schemathesis
from asgi_lifespan import LifespanManager
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Route

from campaign_engine.app import create_app
from campaign_engine.db.pool import create_pool
from campaign_engine.settings import Settings
from campaign_engine.web.api.openapi import document
from campaign_engine.web.routes import every_route, routes
from tests.conftest import TEST_SEALER
from tests.factories import make_action, make_confirmed_signatures

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def api_routes(settings: Settings) -> set[tuple[str, str]]:
    served = set()
    for whole_path, route in every_route(routes(replace(settings, environment="development"))):
        if isinstance(route, Route) and whole_path.startswith("/api/v1"):
            path = whole_path.replace(":slug}", "}")
            served |= {(method, path) for method in (route.methods or {"GET"}) - {"HEAD"}}
    return served


def test_the_document_describes_every_api_route_and_no_other(settings: Settings) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in document()["paths"].items()
        for method in operations
    }
    assert documented == api_routes(settings)


async def test_the_document_is_served(client: httpx.AsyncClient, settings: Settings) -> None:
    answer = await client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.json()["openapi"].startswith("3.1")
    # The limit it states is the one this server enforces (SIGNATURES_PER_CLIENT), not a
    # constant beside it.
    signing = answer.json()["paths"]["/api/v1/actions/{slug}/signatures"]["post"]
    assert f"At most {settings.signatures_per_client} per client" in signing["description"]
    assert (
        "No limit per client"
        in document(0)["paths"]["/api/v1/actions/{slug}/signatures"]["post"]["description"]
    )


async def _key_and_action(database_url: str) -> tuple[str, str]:
    """An organisation key, and an open action with confirmed signatures for the requests to
    find (random slugs alone would only ever meet 404)."""
    prefix = "".join(secrets.choice(string.ascii_letters) for _ in range(8))
    key = f"ce_{prefix}_{secrets.token_urlsafe(32)}"
    pool = await create_pool(database_url, sealer=TEST_SEALER)
    try:
        await pool.execute(
            """INSERT INTO api_keys (name, scopes, prefix, secret_hash)
               VALUES ('schemathesis', '{actions:read,cases:read,signatures:read}', $1, $2)""",
            prefix,
            hashlib.sha256(key.encode()).digest(),
        )
        slug = await make_action(pool)
        await make_confirmed_signatures(pool, slug, 3, with_appeals=False)
    finally:
        await pool.close()
    return key, slug


class AppInAThread:
    """The app on an event loop of its own, in a thread: hypothesis calls the test body
    synchronously, and each call hands a request over to that loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.stop: asyncio.Event | None = None
        self.client: httpx.AsyncClient | None = None
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._serve(),))

    async def _serve(self) -> None:
        self.stop = asyncio.Event()
        app = create_app(self.settings)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.9", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                self.client = c
                self.ready.set()
                await self.stop.wait()

    def __enter__(self) -> Callable[[dict[str, Any]], httpx.Response]:
        self.thread.start()
        assert self.ready.wait(30)

        def call(sent: dict[str, Any]) -> httpx.Response:
            assert self.client is not None
            request = self.client.request(**sent)
            return asyncio.run_coroutine_threadsafe(request, self.loop).result(30)

        return call

    def __exit__(self, *exc: object) -> None:
        assert self.stop is not None
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(30)
        self.loop.close()


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_schema(
    settings: Settings,
) -> None:
    assert settings.database_url is not None
    key, known = asyncio.run(_key_and_action(settings.database_url))
    schema = schemathesis.openapi.from_dict(document())
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "every operation of the document is readable"
    failures: list[str] = []
    examples = 0
    with AppInAThread(settings) as call:
        for operation in operations:

            @hypothesis.settings(
                max_examples=EXAMPLES_PER_OPERATION,
                phases=[Phase.explicit, Phase.generate],
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(), _=st.just(None))
            def run(case: Any, _: None) -> None:
                nonlocal examples
                examples += 1
                if "slug" in (case.path_parameters or {}) and examples % 2:
                    case.path_parameters["slug"] = known
                sent = case.as_transport_kwargs(
                    base_url="http://testserver", headers={"Authorization": f"Bearer {key}"}
                )
                sent.pop("cookies", None)
                response = call(sent)
                try:
                    case.validate_response(response, checks=CHECKS)
                except Exception as failure:  # every failure is reported below
                    failures.append(f"{case.method} {case.formatted_path}: {failure}"[:2000])

            run()
    print(  # noqa: T201  (the figures, for the record)
        f"schemathesis: {len(operations)} operations, {examples} examples, {len(failures)} failures"
    )
    assert failures == []
