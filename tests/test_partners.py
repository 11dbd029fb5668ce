"""Partners in the workspace: who may see and manage them, the form's checks, the embed key,
switching a partner off and on, and the audit log of it all."""

from __future__ import annotations

import html
import uuid
from typing import Any

from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.dev.demo import load_demo
from campaign_engine.i18n import Catalogues
from campaign_engine.models.workspace import Role
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from tests.staff import Campaigner, signed_in


def unique_slug() -> str:
    return f"p-{uuid.uuid4().hex[:10]}"


def partner_form(slug: str, **fields: str) -> dict[str, str]:
    return {
        "slug": slug,
        "name": "Amnesty Lyon",
        "contact_email": "web@example.org",
        "allowed_origins": "https://Amnesty-Lyon.example:443/\nhttp://localhost:8001",
        "consent_fr": "J'accepte qu'Amnesty Lyon me contacte.",
        **fields,
    }


async def create(admin: Campaigner, slug: str, **fields: str) -> int:
    response = await admin.post("/admin/partners", partner_form(slug, **fields))
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/admin/partners/")
    assert location.endswith("?saved=1")
    return int(location.removeprefix("/admin/partners/").removesuffix("?saved=1"))


async def partner_row(pool: Pool, partner_id: int) -> Any:
    async with pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM partners WHERE id = $1", partner_id)


async def audit_verbs(pool: Pool, partner_id: int) -> list[tuple[str, Any]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT verb, detail FROM audit_log WHERE object_type = 'partner' AND object_id = $1"
            " ORDER BY id",
            str(partner_id),
        )
    return [(row["verb"], row["detail"]) for row in rows]


async def test_an_admin_creates_a_partner_with_normalised_origins(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    new = await admin.client.get("/admin/partners/new")
    assert new.status_code == 200
    assert "Opt-in sentence in French" in new.text

    slug = unique_slug()
    partner_id = await create(admin, slug)
    row = await partner_row(pool, partner_id)
    assert row["slug"] == slug
    assert row["name"] == "Amnesty Lyon"
    assert row["allowed_origins"] == ["https://amnesty-lyon.example", "http://localhost:8001"]
    assert len(row["embed_key"]) >= 24
    async with pool.acquire() as conn:
        texts = await conn.fetch(
            "SELECT locale, text FROM partner_consent_texts WHERE partner_id = $1", partner_id
        )
    assert [(t["locale"], t["text"]) for t in texts] == [
        ("fr", "J'accepte qu'Amnesty Lyon me contacte.")
    ]

    page = await admin.client.get(f"/admin/partners/{partner_id}?saved=1")
    assert page.status_code == 200
    assert "Saved." in page.text
    snippet = html.unescape(page.text)
    assert f'data-partner="{slug}" data-key="{row["embed_key"]}"></div>' in snippet
    assert '/embed.js" async></script>' in snippet

    listing = await admin.client.get("/admin/partners")
    assert "Amnesty Lyon" in listing.text
    assert "https://amnesty-lyon.example" in listing.text
    assert [verb for verb, _ in await audit_verbs(pool, partner_id)] == ["partner.created"]


async def test_the_form_says_what_is_wrong_with_each_field(asgi_app: ASGIApp, pool: Pool) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    taken = unique_slug()
    await create(admin, taken)

    cases = {
        "allowed_origins": {"allowed_origins": "https://example.org/petition"},
        "contact_email": {"contact_email": "not-an-address"},
        "slug": {"slug": taken},
        "name": {"name": "   "},
    }
    messages = {
        "allowed_origins": "is not an origin",
        "contact_email": "Enter a valid email address",
        "slug": "Another partner has this short name.",
        "name": "Enter the partner&#39;s name.",
    }
    for field, fields in cases.items():
        slug = fields.pop("slug", unique_slug())
        response = await admin.post("/admin/partners", partner_form(slug, **fields))
        assert response.status_code == 422, field
        assert messages[field] in response.text, field
        assert f'id="{field}-error"' in response.text
        assert f'id="{field}" name="{field}"' in response.text
        assert 'aria-invalid="true"' in response.text

    for origin in ("ftp://example.org", "https://example.org?x=1", "https://user@example.org"):
        response = await admin.post(
            "/admin/partners", partner_form(unique_slug(), allowed_origins=origin)
        )
        assert response.status_code == 422, origin


async def test_editing_keeps_the_slug_and_logs_the_changed_fields(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    owner = await signed_in(asgi_app, pool, Role.OWNER)
    slug = unique_slug()
    partner_id = await create(owner, slug)

    invalid = await owner.post(
        f"/admin/partners/{partner_id}",
        {"name": "Amnesty Lyon", "allowed_origins": "example.org"},
    )
    assert invalid.status_code == 422
    assert "is not an origin" in invalid.text

    saved = await owner.post(
        f"/admin/partners/{partner_id}",
        {
            "slug": "someone-else",  # not a field of the edit form: ignored
            "name": "Amnesty International Lyon",
            "allowed_origins": "HTTPS://www.amnesty-lyon.example",
            "consent_en": "I agree that Amnesty Lyon may contact me.",
        },
    )
    assert saved.status_code == 303
    row = await partner_row(pool, partner_id)
    assert row["slug"] == slug
    assert row["name"] == "Amnesty International Lyon"
    assert row["contact_email"] is None
    assert row["allowed_origins"] == ["https://www.amnesty-lyon.example"]
    (verb, detail) = (await audit_verbs(pool, partner_id))[-1]
    assert verb == "partner.updated"
    assert detail["fields"] == [
        "name",
        "contact_email",
        "allowed_origins",
        "consent_text_en",
        "consent_text_fr",
    ]


async def test_a_new_embed_key_and_switching_off_and_on(asgi_app: ASGIApp, pool: Pool) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    partner_id = await create(admin, unique_slug())
    old_key = (await partner_row(pool, partner_id))["embed_key"]

    changed = await admin.post(f"/admin/partners/{partner_id}/key")
    assert changed.status_code == 303
    new_key = (await partner_row(pool, partner_id))["embed_key"]
    assert new_key != old_key
    page = await admin.client.get(f"/admin/partners/{partner_id}")
    assert f'data-key="{new_key}"' in html.unescape(page.text)

    assert (await admin.post(f"/admin/partners/{partner_id}/disable")).status_code == 303
    assert (await partner_row(pool, partner_id))["disabled_at"] is not None
    listing = await admin.client.get("/admin/partners")
    assert "Disabled" in listing.text
    page = await admin.client.get(f"/admin/partners/{partner_id}")
    assert "Enable partner" in page.text
    assert (await admin.post(f"/admin/partners/{partner_id}/disable")).status_code == 303

    assert (await admin.post(f"/admin/partners/{partner_id}/enable")).status_code == 303
    assert (await partner_row(pool, partner_id))["disabled_at"] is None

    assert [verb for verb, _ in await audit_verbs(pool, partner_id)] == [
        "partner.created",
        "partner.key_changed",
        "partner.disabled",  # once: disabling a disabled partner changes nothing
        "partner.enabled",
    ]


async def test_campaigners_read_partners_but_do_not_manage_them(
    asgi_app: ASGIApp, pool: Pool
) -> None:
    admin = await signed_in(asgi_app, pool, Role.ADMIN)
    partner_id = await create(admin, unique_slug())
    campaigner = await signed_in(asgi_app, pool, Role.CAMPAIGNER)

    listing = await campaigner.client.get("/admin/partners")
    assert listing.status_code == 200
    assert 'href="/admin/partners"' in listing.text, "in the menu"
    assert "New partner" not in listing.text
    page = await campaigner.client.get(f"/admin/partners/{partner_id}")
    assert page.status_code == 200
    assert "Save partner" not in page.text
    assert "Make a new embed key" not in page.text
    assert "data-key=" in html.unescape(page.text), (
        "the snippet is for whoever talks to the partner"
    )

    assert (await campaigner.client.get("/admin/partners/new")).status_code == 403
    refused = await campaigner.post("/admin/partners", partner_form(unique_slug()))
    assert refused.status_code == 403
    for path in ("", "/key", "/disable"):
        assert (await campaigner.post(f"/admin/partners/{partner_id}{path}")).status_code == 403
    assert (await partner_row(pool, partner_id))["disabled_at"] is None


async def test_the_demo_partner_loads_again_and_again(pool: Pool, settings: Settings) -> None:
    await load_demo(pool, Catalogues(settings.locales_dir), Tokens(settings.secret_key))
    await load_demo(pool, Catalogues(settings.locales_dir), Tokens(settings.secret_key))
    async with pool.acquire() as conn:
        partner = await conn.fetchrow("SELECT * FROM partners WHERE slug = 'demo-partner'")
        assert partner is not None
        locales = await conn.fetchval(
            "SELECT array_agg(locale ORDER BY locale) FROM partner_consent_texts"
            " WHERE partner_id = $1",
            partner["id"],
        )
    assert partner["name"] == "Demo Partner"
    assert partner["allowed_origins"] == ["http://localhost:8001"]
    assert partner["embed_key"] == "demo-embed-key"
    assert sorted(locales) == sorted(["ar", "en", "es", "fr", "ru", "zh-Hans"])
