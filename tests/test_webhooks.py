"""Webhooks, through the front door: a campaigner who manages partners adds an endpoint, a
supporter confirms, and a real HTTP receiver on this machine gets the event, signed so that
the Standard Webhooks reference library accepts it; a receiver that fails on purpose sees the
retries (under one webhook-id), the endpoint switched off after too many failures, and what
it missed delivered once it is switched on again."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import pytest
from aiohttp import web
from standardwebhooks import Webhook
from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.domain.integrations.webhooks import DISABLE_AFTER_FAILURES
from campaign_engine.models.workspace import Role
from tests.conftest import Drain
from tests.factories import confirmation_path, email_key, make_action, unique_email
from tests.smtp import RecordingHandler
from tests.staff import Campaigner, signed_in
from tests.test_case_timeline import add
from tests.test_partner_signing import make_partner

ALL_EVENTS = {
    "event_signature_confirmed": "yes",
    "event_action_published": "yes",
    "event_action_closed": "yes",
    "event_outcome_recorded": "yes",
}


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """A webhook receiver on a free local port: it answers `script` in order, then `then`."""

    url: str = ""
    script: list[int] = field(default_factory=list)
    then: int = 200
    received: list[Received] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.received.append(Received(headers, await request.read()))
        status = self.script.pop(0) if self.script else self.then
        return web.Response(status=status, text="thanks" if status < 300 else "no")

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.received if r.event["type"] == event_type]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    found.url = f"http://127.0.0.1:{port}/hook"
    yield found
    await runner.cleanup()


@pytest.fixture
async def admin(asgi_app: ASGIApp, pool: Pool) -> AsyncIterator[Campaigner]:
    member = await signed_in(asgi_app, pool, Role.ADMIN)
    yield member
    await member.client.aclose()


@pytest.fixture(autouse=True)
async def no_endpoints_left(pool: Pool) -> AsyncIterator[None]:
    """Endpoints are the whole organisation's: remove this test's, so no other test's
    signatures are posted to a receiver that has gone."""
    yield
    await pool.execute("DELETE FROM webhook_endpoints")


async def add_endpoint(
    admin: Campaigner, url: str, owner: str = "organisation", **events: str
) -> int:
    answer = await admin.post(
        "/admin/webhooks", {"url": url, "owner": owner, **(events or ALL_EVENTS)}
    )
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/admin/webhooks/([0-9]+)\?created=1", answer.headers["location"])
    assert found is not None
    return int(found.group(1))


async def secret_of(admin: Campaigner, endpoint_id: int) -> str:
    page = await admin.client.get(f"/admin/webhooks/{endpoint_id}")
    assert page.status_code == 200
    found = re.search(r'id="secret-value"[^>]*value="(whsec_[A-Za-z0-9+/=]+)"', page.text)
    assert found is not None, "the secret is shown to those who manage partners"
    return found.group(1)


async def sign_and_confirm(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    slug: str,
    *,
    name: str = "Ana Pérez",
    partner: str = "",
) -> tuple[str, UUID]:
    """A supporter signs and clicks their link; returns their address and signature id."""
    email = unique_email()
    form = {"name": name, "email": email, "country": "ES", "partner": partner}
    assert (await client.post(f"/en/actions/{slug}/sign", data=form)).status_code == 303
    await drain()
    [mail] = smtp.to(email)
    assert (await client.get(confirmation_path(mail))).status_code == 303
    signature_id: UUID = await pool.fetchval(
        """SELECT s.id FROM signatures s JOIN supporters p ON p.id = s.supporter_id
           WHERE p.email_key = $1""",
        email_key(email),
    )
    return email, signature_id


async def attempts_of(pool: Pool, endpoint_id: int) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """SELECT delivery_id, attempt, status_code, error FROM webhook_attempts
           WHERE endpoint_id = $1 ORDER BY id""",
        endpoint_id,
    )
    return [dict(row) for row in rows]


async def endpoint_row(pool: Pool, endpoint_id: int) -> dict[str, Any]:
    row = await pool.fetchrow(
        """SELECT enabled, disabled_reason, consecutive_failures FROM webhook_endpoints
           WHERE id = $1""",
        endpoint_id,
    )
    assert row is not None
    return dict(row)


async def delivery_status(pool: Pool, delivery_id: UUID) -> str:
    status: str = await pool.fetchval("SELECT status FROM deliveries WHERE id = $1", delivery_id)
    return status


def assert_no_personal_data(received: list[Received], *personal: str) -> None:
    for post in received:
        text = post.body.decode()
        assert "@" not in text
        for value in personal:
            assert value not in text


async def test_a_confirmed_signature_is_posted_signed_the_standard_way(
    admin: Campaigner,
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    receiver: Receiver,
) -> None:
    endpoint_id = await add_endpoint(admin, receiver.url)
    secret = await secret_of(admin, endpoint_id)
    slug = await make_action(pool)

    email, signature_id = await sign_and_confirm(client, pool, smtp, drain, slug)
    await drain()

    [post] = receiver.of_type("signature.confirmed")
    verified = Webhook(secret).verify(post.body, post.headers)  # the reference library
    assert verified["type"] == "signature.confirmed"
    data = verified["data"]
    assert data["signature_id"] == str(signature_id)
    assert (data["action"], data["country"], data["partner"]) == (slug, "ES", None)
    assert data["confirmed_at"]
    delivery_id = await pool.fetchval(
        "SELECT id FROM deliveries WHERE kind = 'webhook' AND webhook_endpoint_id = $1",
        endpoint_id,
    )
    assert post.headers["webhook-id"] == str(delivery_id)
    assert await delivery_status(pool, delivery_id) == "sent"
    assert_no_personal_data(receiver.received, email, "Ana", "Pérez")
    stored = await pool.fetch("SELECT payload::text AS text FROM webhook_events")
    assert all("@" not in row["text"] and "Ana" not in row["text"] for row in stored)

    # The delivery log shows the attempt; a new secret signs what goes next.
    page = await admin.client.get(f"/admin/webhooks/{endpoint_id}")
    assert "HTTP 200" in page.text
    assert "signature.confirmed" in page.text
    rotated = await admin.post(f"/admin/webhooks/{endpoint_id}/secret", {})
    assert rotated.status_code == 303
    new_secret = await secret_of(admin, endpoint_id)
    assert new_secret != secret
    await sign_and_confirm(client, pool, smtp, drain, slug, name="Li Wei")
    await drain()
    latest = receiver.of_type("signature.confirmed")[-1]
    assert Webhook(new_secret).verify(latest.body, latest.headers)["type"] == "signature.confirmed"
    verbs = await pool.fetch(
        "SELECT verb FROM audit_log WHERE object_type = 'webhook' AND object_id = $1 ORDER BY id",
        str(endpoint_id),
    )
    assert [row["verb"] for row in verbs] == ["webhook.created", "webhook.secret_rotated"]


async def test_a_partners_endpoint_hears_only_of_its_own_signatures(
    admin: Campaigner,
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    receiver: Receiver,
) -> None:
    partner_id, partner = await make_partner(pool)
    _other_id, other = await make_partner(pool)
    await add_endpoint(admin, receiver.url, str(partner_id), event_signature_confirmed="yes")
    slug = await make_action(pool)

    _email, ours = await sign_and_confirm(client, pool, smtp, drain, slug, partner=partner)
    await sign_and_confirm(client, pool, smtp, drain, slug, partner=other)
    await sign_and_confirm(client, pool, smtp, drain, slug)
    await drain()

    assert [post.event["data"] for post in receiver.received] == [
        {
            "signature_id": str(ours),
            "action": slug,
            "country": "ES",
            "partner": partner,
            "confirmed_at": receiver.received[0].event["data"]["confirmed_at"],
        }
    ]


async def test_failures_are_retried_under_one_webhook_id_and_logged(
    admin: Campaigner,
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    receiver: Receiver,
) -> None:
    receiver.script = [500, 503, 429]
    endpoint_id = await add_endpoint(admin, receiver.url, event_signature_confirmed="yes")
    secret = await secret_of(admin, endpoint_id)
    slug = await make_action(pool)

    await sign_and_confirm(client, pool, smtp, drain, slug)
    await drain()

    assert len(receiver.received) == 4
    assert len({post.headers["webhook-id"] for post in receiver.received}) == 1
    for post in receiver.received:
        Webhook(secret).verify(post.body, post.headers)
    attempts = await attempts_of(pool, endpoint_id)
    assert [(a["attempt"], a["status_code"]) for a in attempts] == [
        (1, 500),
        (2, 503),
        (3, 429),
        (4, 200),
    ]
    assert await delivery_status(pool, attempts[0]["delivery_id"]) == "sent"
    assert (await endpoint_row(pool, endpoint_id))["consecutive_failures"] == 0


async def test_a_refusal_other_than_429_is_not_retried(
    admin: Campaigner,
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    receiver: Receiver,
) -> None:
    receiver.script = [410]
    endpoint_id = await add_endpoint(admin, receiver.url, event_signature_confirmed="yes")
    await sign_and_confirm(client, pool, smtp, drain, await make_action(pool))
    await drain()
    await drain()

    assert len(receiver.received) == 1
    [attempt] = await attempts_of(pool, endpoint_id)
    assert attempt["status_code"] == 410
    assert await delivery_status(pool, attempt["delivery_id"]) == "failed"


async def test_an_endpoint_that_keeps_failing_is_switched_off_and_catches_up_when_on(
    admin: Campaigner,
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    receiver: Receiver,
) -> None:
    receiver.then = 500
    endpoint_id = await add_endpoint(admin, receiver.url, event_signature_confirmed="yes")
    slug = await make_action(pool)

    await sign_and_confirm(client, pool, smtp, drain, slug)
    await drain()

    assert len(receiver.received) == DISABLE_AFTER_FAILURES
    state = await endpoint_row(pool, endpoint_id)
    assert (state["enabled"], state["disabled_reason"]) == (False, "failing")
    [attempt, *_] = await attempts_of(pool, endpoint_id)
    held = attempt["delivery_id"]
    assert await delivery_status(pool, held) == "retry", "held, not dropped"
    page = await admin.client.get(f"/admin/webhooks/{endpoint_id}")
    assert "switched off because its address failed again and again" in page.text
    assert "1 event is waiting for it" in page.text
    await drain()
    assert len(receiver.received) == DISABLE_AFTER_FAILURES, "nothing goes while it is off"

    receiver.then = 200
    assert (await admin.post(f"/admin/webhooks/{endpoint_id}/enable", {})).status_code == 303
    await drain()

    assert len(receiver.received) == DISABLE_AFTER_FAILURES + 1
    assert receiver.received[-1].headers["webhook-id"] == str(held)
    assert await delivery_status(pool, held) == "sent"
    state = await endpoint_row(pool, endpoint_id)
    assert (state["enabled"], state["consecutive_failures"]) == (True, 0)
    verbs = await pool.fetch(
        """SELECT verb, staff_id FROM audit_log WHERE object_type = 'webhook' AND object_id = $1
           ORDER BY id""",
        str(endpoint_id),
    )
    assert [(row["verb"], row["staff_id"] is None) for row in verbs] == [
        ("webhook.created", False),
        ("webhook.disabled", True),  # by the worker
        ("webhook.enabled", False),
    ]


async def test_publication_closing_and_an_outcome_are_told(
    admin: Campaigner, pool: Pool, drain: Drain, receiver: Receiver
) -> None:
    await add_endpoint(admin, receiver.url)
    slug = await make_action(pool, status="draft")
    case_id = await pool.fetchval("SELECT case_id FROM actions WHERE slug = $1", slug)

    assert (await admin.post(f"/admin/actions/{slug}/publish", {})).status_code == 303
    assert (await admin.post(f"/admin/actions/{slug}/close", {})).status_code == 303
    source = "Her lawyer, Juan Gómez"
    event_id = await add(admin, case_id, "outcome", outcome="released", source=source)
    publish = f"/admin/cases/{case_id}/events/{event_id}/publish"
    unpublish = f"/admin/cases/{case_id}/events/{event_id}/unpublish"
    for path in (publish, unpublish, publish):  # published twice: told once
        assert (await admin.post(path, {})).status_code == 303
    await drain()

    # Each is a delivery of its own, sent side by side: they may arrive in any order.
    told = {post.event["type"]: post.event["data"] for post in receiver.received}
    assert len(receiver.received) == 3
    assert set(told) == {"action.published", "action.closed", "outcome.recorded"}
    published, closed, outcome = (
        told["action.published"],
        told["action.closed"],
        told["outcome.recorded"],
    )
    assert (published["action"], published["case"]) == (slug, f"case-{slug}")
    assert closed["status"] == "closed"
    assert (outcome["outcome"], outcome["event_id"]) == ("released", event_id)
    assert_no_personal_data(receiver.received, "Juan", "Gómez")


async def test_only_those_who_manage_partners_see_webhooks(
    admin: Campaigner, campaigner: Campaigner, viewer: Campaigner
) -> None:
    for member in (campaigner, viewer):
        assert (await member.client.get("/admin/webhooks")).status_code == 403
        assert 'href="/admin/webhooks"' not in (await member.client.get("/admin")).text
    page = await admin.client.get("/admin/webhooks")
    assert page.status_code == 200
    assert 'href="/admin/webhooks"' in page.text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter the address that will receive the events."),
        ("ftp://example.org/hook", "The address must start with https://"),
        ("http://example.org/hook", "The address must start with https://"),
        ("https:///no-host", "Enter a web address such as https://example.org/hooks."),
    ],
)
async def test_a_bad_address_or_no_event_is_refused_by_field(
    admin: Campaigner, url: str, message: str
) -> None:
    answer = await admin.post("/admin/webhooks", {"url": url, "owner": "organisation"})
    assert answer.status_code == 422
    assert re.search(r'id="url"[^>]*aria-invalid="true"', answer.text)
    assert message in answer.text
    assert "Choose at least one event to send." in answer.text


async def test_an_endpoint_is_edited_and_switched_off_by_hand(
    admin: Campaigner,
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    receiver: Receiver,
) -> None:
    endpoint_id = await add_endpoint(admin, "https://hooks.example.org/in")
    path = f"/admin/webhooks/{endpoint_id}"

    refused = await admin.post(path, {"url": "http://hooks.example.org/in"})
    assert refused.status_code == 422
    assert "Choose at least one event to send." in refused.text
    edited = await admin.post(path, {"url": receiver.url, "event_signature_confirmed": "yes"})
    assert edited.status_code == 303
    page = await admin.client.get(path)
    assert receiver.url in page.text
    assert re.search(r'id="event_signature_confirmed"[^>]*checked', page.text)
    assert not re.search(r'id="event_action_closed"[^>]*checked', page.text)

    # Off by hand: a confirmation while it is off is not written for it.
    assert (await admin.post(f"{path}/disable", {})).status_code == 303
    await sign_and_confirm(client, pool, smtp, drain, await make_action(pool))
    await drain()
    assert receiver.received == []
    assert (await endpoint_row(pool, endpoint_id))["disabled_reason"] == "manual"
    verbs = await pool.fetch(
        "SELECT verb FROM audit_log WHERE object_type = 'webhook' AND object_id = $1 ORDER BY id",
        str(endpoint_id),
    )
    assert [row["verb"] for row in verbs] == [
        "webhook.created",
        "webhook.updated",
        "webhook.disabled",
    ]
