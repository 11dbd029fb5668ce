"""JSON API v1, as a script or a partner's site calls it."""

from __future__ import annotations

import httpx

from campaign_engine.db.personal import sealed
from campaign_engine.db.pool import Pool
from campaign_engine.web.middleware import MAX_BODY_BYTES
from tests.conftest import TEST_SEALER
from tests.factories import make_action, unique_email


def signature(**fields: object) -> dict[str, object]:
    return {"name": "Amina", "email": unique_email(), "country": "NG", **fields}


async def test_actions_are_listed_and_read_in_a_language(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool, locales=("en", "ar"))
    listed = await client.get("/api/v1/actions?locale=ar")
    assert listed.status_code == 200
    assert listed.json()["locale"] == "ar"
    [card] = [card for card in listed.json()["actions"] if card["slug"] == slug]
    assert card["title"] == f"Free the defender (ar) {slug}"
    assert card["confirmed"] == 0
    assert card["goal"] == 100
    assert card["status"] == "open"

    action = await client.get(f"/api/v1/actions/{slug}", headers={"Accept-Language": "ru"})
    body = action.json()
    assert body["locale"] == "en", "no Russian text: the action's own language"
    assert body["locales"] == ["ar", "en"]
    assert body["letter"] == {"subject": "Letter subject in en", "body": "Letter in en."}
    assert body["case"]["slug"] == f"case-{slug}"


async def test_the_count_is_small_and_cacheable(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool, goal=250)
    response = await client.get(f"/api/v1/actions/{slug}/count")
    assert response.json() == {"confirmed": 0, "goal": 250}
    assert response.headers["cache-control"].startswith("public, max-age=5")


async def test_signing_through_the_api(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    response = await client.post(
        f"/api/v1/actions/{slug}/signatures",
        json=signature(locale="es", phone="+52 55 1234 5678", consent_updates=True),
    )
    assert response.status_code == 202
    assert response.json() == {"status": "pending_confirmation"}
    row = await pool.fetchrow(
        """SELECT s.locale, s.country, d.phone_sealed FROM signatures s
           JOIN signer_details d ON d.signature_id = s.id
           JOIN actions a ON a.id = s.action_id WHERE a.slug = $1""",
        slug,
    )
    assert row is not None
    assert (row["locale"], row["country"]) == ("es", "NG")
    assert TEST_SEALER.open(row["phone_sealed"], sealed.PHONE) == "+525512345678"


async def test_every_error_has_one_shape(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    closed = await make_action(pool, status="closed")
    removed = await make_action(pool, status="removed")
    cases: list[tuple[str, object, int, str]] = [
        (slug, b"{not json", 400, "invalid_json"),
        (slug, [1, 2], 400, "invalid_json"),
        (slug, b"[" * 50_000, 400, "invalid_json"),
        (slug, signature(locale="ZH-hans"), 202, ""),
        (slug, signature(email="nope"), 422, "validation_failed"),
        (slug, signature(locale="tlh"), 422, "validation_failed"),
        ("no-such-action", signature(), 404, "not_found"),
        ("no-such-action", signature(email="nope"), 404, "not_found"),
        (closed, signature(), 410, "action_closed"),
        (removed, signature(), 410, "action_removed"),
    ]
    for target, body, status, code in cases:
        path = f"/api/v1/actions/{target}/signatures"
        response = await (
            client.post(path, content=body, headers={"Content-Type": "application/json"})
            if isinstance(body, bytes)
            else client.post(path, json=body)
        )
        assert response.status_code == status, (target, body)
        if status == 202:
            continue
        error = response.json()["error"]
        assert error["code"] == code
        assert isinstance(error["message"], str)
        assert error["message"]
    assert (await client.get("/api/v1/actions/no-such-action")).json()["error"]["code"] == (
        "not_found"
    )
    assert (await client.get(f"/api/v1/actions/{removed}/count")).status_code == 410
    assert (await client.get(f"/api/v1/actions/{closed}/count")).status_code == 200
    wrong_method = await client.get(f"/api/v1/actions/{slug}/signatures")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


async def test_an_oversized_body_is_refused(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    response = await client.post(
        f"/api/v1/actions/{slug}/signatures", json=signature(comment="x" * 70_000)
    )
    assert response.status_code == 413


async def test_a_body_just_under_the_limit_is_read(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    padded = signature(comment="x" * 900, padding="y" * (MAX_BODY_BYTES - 2_000))
    response = await client.post(f"/api/v1/actions/{slug}/signatures", json=padded)
    assert response.status_code == 202
    too_large = await client.post(
        f"/api/v1/actions/{slug}/signatures",
        content=b"{" + b" " * MAX_BODY_BYTES + b"}",
        headers={"Content-Type": "application/json", "Accept-Language": "es"},
    )
    assert too_large.status_code == 413
    assert too_large.json()["error"]["code"] == "too_large"


async def test_only_json_is_taken(client: httpx.AsyncClient, pool: Pool) -> None:
    """A form post from any web page could otherwise sign in its visitors' names."""
    slug = await make_action(pool)
    response = await client.post(
        f"/api/v1/actions/{slug}/signatures",
        content=b'{"name": "A", "email": "a@example.org", "country": "FR"}',
        headers={"Content-Type": "text/plain", "Accept-Language": "fr"},
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert "JSON" in response.json()["error"]["message"]


async def test_paths_that_are_not_slugs_are_not_found(client: httpx.AsyncClient) -> None:
    for path in ("/en/actions/%00", "/api/v1/actions/%00/count", "/en/cases/A%20B"):
        assert (await client.get(path)).status_code == 404, path
