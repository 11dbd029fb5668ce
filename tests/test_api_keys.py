"""API keys and the authenticated JSON API v1: made in the workspace and shown once, kept as a
hash, revoked; scopes, pages, a partner key's narrow view of signers; CORS on the public
signature POST for partners' origins only; rate limits answered 429 with Retry-After."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time

import httpx
import redis.asyncio
from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.models.workspace import Role
from campaign_engine.settings import Settings
from campaign_engine.web.rate_limits import WINDOW_SECONDS
from tests.conftest import http_client
from tests.factories import email_key, make_action, unique_email
from tests.staff import Campaigner, signed_in
from tests.test_partner_signing import make_partner

SECRET = re.compile(r'value="(ce_[A-Za-z0-9]{8}_[A-Za-z0-9_-]+)"')
ALL_SCOPES = {"scope_actions": "yes", "scope_cases": "yes", "scope_signatures": "yes"}


async def make_key(admin: Campaigner, **form: str) -> str:
    page = await admin.post("/admin/api-keys", {"name": "CRM sync", **ALL_SCOPES, **form})
    assert page.status_code == 200
    found = SECRET.search(page.text)
    assert found, "the new key is shown on the answer page"
    return found.group(1)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def sign_through(
    client: httpx.AsyncClient, pool: Pool, slug: str, email: str, **fields: object
) -> None:
    body = {"name": "Léa Martin", "email": email, "country": "FR", **fields}
    answer = await client.post(f"/api/v1/actions/{slug}/signatures", json=body)
    assert answer.status_code == 202
    await pool.execute(
        """UPDATE signatures SET status = 'confirmed', confirmed_at = now()
           WHERE supporter_id = (SELECT id FROM supporters WHERE email_key = $1)""",
        email_key(email),
    )


async def test_a_key_is_shown_once_kept_as_a_hash_and_revoked(
    asgi_app: ASGIApp, pool: Pool, client: httpx.AsyncClient
) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    key = await make_key(admin)
    prefix = key.split("_")[1]
    row = await pool.fetchrow("SELECT * FROM api_keys WHERE prefix = $1", prefix)
    assert row is not None
    assert bytes(row["secret_hash"]) == hashlib.sha256(key.encode()).digest()
    assert key not in str(dict(row)), "the secret itself is stored nowhere"
    listing = await admin.client.get("/admin/api-keys")
    assert f"ce_{prefix}_…" in listing.text
    assert key not in listing.text, "never shown again"
    audit = await pool.fetchval(
        "SELECT detail::text FROM audit_log WHERE verb = 'api_key.created' AND object_id = $1",
        str(row["id"]),
    )
    assert prefix in audit
    assert key not in audit

    assert (await client.get("/api/v1/admin/actions", headers=bearer(key))).status_code == 200
    assert await pool.fetchval("SELECT last_used_at FROM api_keys WHERE id = $1", row["id"])

    revoked = await admin.post(f"/admin/api-keys/{row['id']}/revoke")
    assert revoked.status_code == 303
    refused = await client.get("/api/v1/admin/actions", headers=bearer(key))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert refused.json()["error"]["code"] == "unauthorized"
    assert await pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE verb = 'api_key.revoked' AND object_id = $1",
        str(row["id"]),
    )
    await admin.client.aclose()


async def test_the_form_says_what_is_wrong_and_campaigners_may_not_make_keys(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    wrong = await admin.post("/admin/api-keys", {"name": " ", "partner": "x1"})
    assert wrong.status_code == 422
    assert 'aria-describedby="name-hint name-error"' in wrong.text
    assert "Choose at least one thing the key may read." in wrong.text
    assert "Choose a partner from the list." in wrong.text
    gone = await admin.post("/admin/api-keys", {"name": "K", "partner": "999999999", **ALL_SCOPES})
    assert gone.status_code == 422
    campaigner = await signed_in(asgi_app, pool, Role.CAMPAIGNER)
    assert (
        await campaigner.post("/admin/api-keys", {"name": "K", **ALL_SCOPES})
    ).status_code == 403
    for member in (admin, campaigner):
        await member.client.aclose()


async def test_unknown_keys_and_missing_scopes_are_refused_in_the_one_shape(
    asgi_app: ASGIApp, pool: Pool, client: httpx.AsyncClient
) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    actions_only = await make_key(admin, scope_cases="", scope_signatures="")
    await admin.client.aclose()
    for headers in ({}, {"Authorization": "Basic abc"}, bearer("ce_AAAAAAAA_" + "x" * 43)):
        answer = await client.get("/api/v1/admin/cases", headers=headers)
        assert answer.status_code == 401
        assert set(answer.json()["error"]) >= {"code", "message"}
    assert (await client.get("/api/v1/admin/actions", headers=bearer(actions_only))).is_success
    forbidden = await client.get("/api/v1/admin/cases", headers=bearer(actions_only))
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "forbidden"


async def test_lists_come_in_pages_with_an_opaque_cursor(
    asgi_app: ASGIApp, pool: Pool, client: httpx.AsyncClient
) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    key = await make_key(admin)
    await admin.client.aclose()
    made = {await make_action(pool, status=status) for status in ("draft", "open", "removed")}
    seen: list[dict[str, object]] = []
    cursor = ""
    while True:
        answer = await client.get(
            f"/api/v1/admin/actions?limit=2&cursor={cursor}", headers=bearer(key)
        )
        body = answer.json()
        assert len(body["data"]) <= 2
        seen += body["data"]
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    ours = {action["slug"]: action for action in seen if action["slug"] in made}
    assert set(ours) == made, "every status, every page"
    assert len({action["id"] for action in seen}) == len(seen), "no action twice"
    assert {str(action["status"]) for action in ours.values()} == {"draft", "open", "removed"}
    for garbage in ("!!!", "bm90LWEtbnVtYmVy", "x" * 300):
        bad = await client.get(f"/api/v1/admin/actions?cursor={garbage}", headers=bearer(key))
        assert bad.status_code == 400
        assert "cursor" in bad.json()["error"]["fields"]
    for limit in ("0", "101", "ten"):
        bad = await client.get(f"/api/v1/admin/actions?limit={limit}", headers=bearer(key))
        assert bad.status_code == 400
        assert "limit" in bad.json()["error"]["fields"]

    cases = (await client.get("/api/v1/admin/cases?limit=100", headers=bearer(key))).json()
    assert all(isinstance(case["events"], list) for case in cases["data"])


async def test_a_partner_key_reads_only_its_own_opted_in_signers(
    asgi_app: ASGIApp, pool: Pool, client: httpx.AsyncClient
) -> None:
    partner_id, partner = await make_partner(pool)
    _other_id, other = await make_partner(pool)
    slug = await make_action(pool)
    opted_in, declined, elsewhere, direct = (unique_email(n) for n in ("in", "no", "other", "own"))
    await sign_through(client, pool, slug, opted_in, partner=partner, consent_partner=True)
    await sign_through(client, pool, slug, declined, partner=partner)
    await sign_through(client, pool, slug, elsewhere, partner=other, consent_partner=True)
    await sign_through(client, pool, slug, direct)
    await client.post(  # pending: never listed
        f"/api/v1/actions/{slug}/signatures",
        json={"name": "P", "email": unique_email(), "country": "FR", "partner": partner},
    )
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    partner_key = await make_key(admin, partner=str(partner_id))
    own_key = await make_key(admin)
    await admin.client.aclose()

    path = f"/api/v1/admin/actions/{slug}/signatures"
    partner_view = (await client.get(path, headers=bearer(partner_key))).json()["data"]
    assert [row["email"] for row in partner_view] == [opted_in]
    assert partner_view[0]["partner"] == partner
    assert partner_view[0]["name"] == "Léa Martin"
    organisation_view = (await client.get(path, headers=bearer(own_key))).json()["data"]
    assert {row["email"] for row in organisation_view} == {opted_in, declined, elsewhere, direct}
    missing = await client.get(
        "/api/v1/admin/actions/no-such-action/signatures", headers=bearer(own_key)
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"

    await pool.execute("UPDATE partners SET disabled_at = now() WHERE id = $1", partner_id)
    assert (await client.get(path, headers=bearer(partner_key))).status_code == 401


async def test_only_partners_origins_pass_cors(client: httpx.AsyncClient, pool: Pool) -> None:
    await make_partner(pool)  # allows http://localhost:8001
    slug = await make_action(pool)
    path = f"/api/v1/actions/{slug}/signatures"
    listed, unlisted = "http://localhost:8001", "https://evil.example"
    preflight = {"Access-Control-Request-Method": "POST"}

    allowed = await client.options(path, headers={"Origin": listed, **preflight})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == listed
    assert allowed.headers["access-control-allow-methods"] == "POST"
    assert allowed.headers["access-control-allow-headers"] == "Content-Type"
    assert allowed.headers["access-control-max-age"] == "600"
    assert "Origin" in allowed.headers["vary"]
    body = {"name": "A", "email": unique_email(), "country": "FR"}
    posted = await client.post(path, json=body, headers={"Origin": listed})
    assert posted.status_code == 202
    assert posted.headers["access-control-allow-origin"] == listed
    error = await client.post(path, json={}, headers={"Origin": listed})
    assert error.status_code == 422
    assert error.headers["access-control-allow-origin"] == listed, "so the page can show it"
    gone = await client.post(
        "/api/v1/actions/no-such-action/signatures", json=body, headers={"Origin": listed}
    )
    assert gone.status_code == 404
    assert gone.headers["access-control-allow-origin"] == listed

    for origin in (unlisted, "null", "http://localhost:8002"):
        refused = await client.options(path, headers={"Origin": origin, **preflight})
        assert "access-control-allow-origin" not in refused.headers
        assert "access-control-allow-methods" not in refused.headers
        posted = await client.post(path, json=body, headers={"Origin": origin})
        assert "access-control-allow-origin" not in posted.headers
    # Nor can it frame the widget: the policy names only the partner's origins.
    widget = await client.get(f"/en/embed/{slug}")
    assert unlisted not in widget.headers["content-security-policy"]


async def test_too_many_signatures_from_one_client_are_answered_429(
    asgi_app: ASGIApp,
    client: httpx.AsyncClient,
    pool: Pool,
    redis_client: redis.asyncio.Redis,
    settings: Settings,
) -> None:
    """Each client address has its own count; one past the limit is refused, another's first
    is not."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < 10:  # the whole burst must fall in one window
        await asyncio.sleep(left + 0.1)
    slug = await make_action(pool)
    path = f"/api/v1/actions/{slug}/signatures"
    json = {"Content-Type": "application/json"}
    async with http_client(asgi_app, "203.0.113.7") as remote:
        answers = [
            await remote.post(path, content=b"[]", headers=json)
            for _ in range(settings.signatures_per_client + 1)
        ]
    async with http_client(asgi_app, "203.0.113.8") as neighbour:
        assert (await neighbour.post(path, content=b"[]", headers=json)).status_code == 400
    assert {answer.status_code for answer in answers[:-1]} == {400}
    limited = answers[-1]
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= WINDOW_SECONDS
    names = [name.decode() for name in await redis_client.keys("ratelimit:*")]
    assert names
    assert not any("203.0.113.7" in name for name in names), "Redis holds hashes only"
