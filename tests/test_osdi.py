"""OSDI under /api/osdi/v1/: the entry point, petitions and their signatures in HAL+JSON with
numbered pages, a partner key's narrow view, and the record_signature helper signing like
the public form (pending until the person confirms by email)."""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.models.workspace import Role
from tests.conftest import Drain
from tests.factories import email_key, make_action, unique_email
from tests.smtp import RecordingHandler
from tests.staff import signed_in
from tests.test_api_keys import bearer, make_key, sign_through
from tests.test_partner_signing import make_partner

ROOT = "/api/osdi/v1"
HAL = "application/hal+json"


async def keys(asgi_app: ASGIApp, pool: Pool, **form: str) -> str:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    key = await make_key(admin, **form)
    await admin.client.aclose()
    return key


def path(href: str) -> str:
    return "/api/" + href.split("/api/", 1)[1]


async def test_the_entry_point_links_to_the_petitions(client: httpx.AsyncClient) -> None:
    answer = await client.get(f"{ROOT}/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(HAL)
    body = answer.json()
    assert body["motd"]
    assert body["_links"]["osdi:petitions"]["href"].endswith(f"{ROOT}/petitions")
    assert body["_links"]["curies"][0]["name"] == "osdi"


async def test_petitions_come_in_numbered_pages_with_next_and_previous_links(
    asgi_app: ASGIApp, pool: Pool, client: httpx.AsyncClient
) -> None:
    key = await keys(asgi_app, pool, scope_cases="", scope_signatures="")
    made = [await make_action(pool) for _ in range(3)]
    draft = await make_action(pool, status="draft")
    seen: list[str] = []
    href = f"{ROOT}/petitions?per_page=2"
    previous: str | None = None
    while True:
        answer = await client.get(href, headers=bearer(key))
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith(HAL)
        body = answer.json()
        assert body["per_page"] == 2
        assert body["total_pages"] == -(-body["total_records"] // 2)
        embedded = body["_embedded"]["osdi:petitions"]
        assert 1 <= len(embedded) <= 2
        assert body["_links"]["osdi:petitions"] == [item["_links"]["self"] for item in embedded]
        seen += [item["identifiers"][0] for item in embedded]
        if previous is None:
            assert "previous" not in body["_links"]
        else:
            assert path(body["_links"]["previous"]["href"]) == previous
        if "next" not in body["_links"]:
            assert body["page"] == body["total_pages"]
            break
        previous = path(body["_links"]["self"]["href"])
        href = path(body["_links"]["next"]["href"])
    assert {f"campaign_engine:{slug}" for slug in made} <= set(seen)
    assert f"campaign_engine:{draft}" not in seen, "a draft has no public page: no petition"
    assert len(seen) == len(set(seen))

    wrong = await client.get(f"{ROOT}/petitions?per_page=26", headers=bearer(key))
    assert wrong.status_code == 400
    assert "per_page" in wrong.json()["error"]["fields"]


async def test_one_petition_says_what_it_asks_of_whom_and_how_many_signed(
    asgi_app: ASGIApp, pool: Pool, client: httpx.AsyncClient
) -> None:
    key = await keys(asgi_app, pool)
    slug = await make_action(pool)
    await pool.execute(
        """WITH t AS (INSERT INTO targets (name, preferred_locale)
                      VALUES ('Minister of Justice', 'es') RETURNING id)
           INSERT INTO action_targets (action_id, target_id, channel)
           SELECT a.id, t.id, 'email' FROM actions a, t WHERE a.slug = $1""",
        slug,
    )
    await sign_through(client, pool, slug, unique_email())
    await pool.execute(
        """INSERT INTO action_counts (action_id, shard, confirmed)
           SELECT id, 0, 1 FROM actions WHERE slug = $1""",
        slug,
    )
    answer = await client.get(f"{ROOT}/petitions/{slug}", headers=bearer(key))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(HAL)
    petition = answer.json()
    assert petition["identifiers"] == [f"campaign_engine:{slug}"]
    assert petition["origin_system"] == "campaign-engine"
    for field in ("title", "description", "petition_text", "created_date", "modified_date"):
        assert petition[field], field
    assert petition["target"] == [{"name": "Minister of Justice"}]
    assert petition["total_signatures"] == 1
    assert petition["browser_url"].endswith(f"/en/actions/{slug}")
    links = petition["_links"]
    assert links["osdi:signatures"]["href"].endswith(f"/petitions/{slug}/signatures")
    assert links["osdi:record_signature_helper"] == links["osdi:signatures"]
    missing = await client.get(f"{ROOT}/petitions/no-such-thing", headers=bearer(key))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


async def test_signatures_are_scoped_like_the_api_v1(
    asgi_app: ASGIApp, pool: Pool, client: httpx.AsyncClient
) -> None:
    partner_id, partner = await make_partner(pool)
    slug = await make_action(pool)
    opted_in, declined, direct = (unique_email(n) for n in ("in", "no", "own"))
    await sign_through(client, pool, slug, opted_in, partner=partner, consent_partner=True)
    await sign_through(client, pool, slug, declined, partner=partner)
    await sign_through(client, pool, slug, direct)
    partner_key = await keys(asgi_app, pool, partner=str(partner_id))
    own_key = await keys(asgi_app, pool)
    signatures = f"{ROOT}/petitions/{slug}/signatures"

    partner_view = (await client.get(signatures, headers=bearer(partner_key))).json()
    assert partner_view["total_records"] == 1
    [signature] = partner_view["_embedded"]["osdi:signatures"]
    assert signature["identifiers"][0].startswith("campaign_engine:")
    person = signature["_embedded"]["osdi:person"]
    assert person["given_name"] == "Léa Martin"
    assert person["family_name"] == ""
    assert person["email_addresses"] == [{"address": opted_in, "primary": True}]
    assert person["postal_addresses"] == [{"country": "FR"}]

    first = await client.get(f"{signatures}?per_page=2", headers=bearer(own_key))
    assert first.headers["content-type"].startswith(HAL)
    body = first.json()
    assert (body["total_records"], body["total_pages"], body["page"]) == (3, 2, 1)
    assert "next" in body["_links"]
    second = (
        await client.get(path(body["_links"]["next"]["href"]), headers=bearer(own_key))
    ).json()
    assert "next" not in second["_links"]
    assert "previous" in second["_links"]
    emails = [
        item["_embedded"]["osdi:person"]["email_addresses"][0]["address"]
        for page in (body, second)
        for item in page["_embedded"]["osdi:signatures"]
    ]
    assert sorted(emails) == sorted([opted_in, declined, direct])


async def test_scopes_are_enforced(
    asgi_app: ASGIApp, pool: Pool, client: httpx.AsyncClient
) -> None:
    slug = await make_action(pool)
    cases_only = await keys(asgi_app, pool, scope_actions="", scope_signatures="")
    actions_only = await keys(asgi_app, pool, scope_cases="", scope_signatures="")
    for method, where in (
        ("GET", f"{ROOT}/petitions"),
        ("GET", f"{ROOT}/petitions/{slug}"),
        ("GET", f"{ROOT}/petitions/{slug}/signatures"),
        ("POST", f"{ROOT}/petitions/{slug}/signatures"),
    ):
        unknown = await client.request(method, where, json={})
        assert unknown.status_code == 401
        assert unknown.headers["www-authenticate"].startswith("Bearer")
        refused = await client.request(method, where, json={}, headers=bearer(cases_only))
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
    for method, where in (
        ("GET", f"{ROOT}/petitions/{slug}/signatures"),
        ("POST", f"{ROOT}/petitions/{slug}/signatures"),
    ):
        refused = await client.request(method, where, json={}, headers=bearer(actions_only))
        assert refused.status_code == 403


async def test_record_signature_signs_for_the_keys_partner_pending_confirmation(
    asgi_app: ASGIApp, pool: Pool, client: httpx.AsyncClient, smtp: RecordingHandler, drain: Drain
) -> None:
    partner_id, partner = await make_partner(pool)
    slug = await make_action(pool)
    key = await keys(asgi_app, pool, partner=str(partner_id), scope_signatures_write="yes")
    email = unique_email("osdi")
    helper = f"{ROOT}/petitions/{slug}/signatures"
    person = {
        "given_name": "Léa",
        "family_name": "Martin",
        "email_addresses": [{"address": email}],
        "postal_addresses": [{"country": "FR"}],
    }
    answer = await client.post(
        helper, json={"person": person, "add_tags": ["x"]}, headers=bearer(key)
    )
    assert answer.status_code == 202
    assert answer.headers["content-type"].startswith(HAL)
    assert answer.json()["status"] == "pending_confirmation"
    assert answer.json()["_links"]["osdi:petition"]["href"].endswith(f"/petitions/{slug}")
    row = await pool.fetchrow(
        """SELECT s.status, s.source, s.partner, s.partner_id FROM signatures s
           JOIN supporters p ON p.id = s.supporter_id WHERE p.email_key = $1""",
        email_key(email),
    )
    assert row is not None
    assert dict(row) == {
        "status": "pending",
        "source": "osdi",
        "partner": partner,
        "partner_id": partner_id,
    }
    await drain()
    [mail] = smtp.to(email)
    assert "Léa Martin" in str(mail["To"])

    wrong = await client.post(
        helper,
        json={"person": {"email_addresses": [{"address": "nope"}]}},
        headers=bearer(key),
    )
    assert wrong.status_code == 422
    assert set(wrong.json()["error"]["fields"]) == {
        "person.given_name",
        "person.email_addresses",
        "person.postal_addresses",
    }
    not_json = await client.post(helper, json=["person"], headers=bearer(key))
    assert not_json.status_code == 400
    gone = await client.post(
        f"{ROOT}/petitions/no-such-thing/signatures", json={"person": person}, headers=bearer(key)
    )
    assert gone.status_code == 404
