"""Signing through a partner: the signature is credited to it with the page's campaign tags,
its opt-in keeps the partner's own sentence, and a partner that is unknown or disabled changes
nothing a signer (or a prober) could see."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.models.workspace import Role
from tests.dashboard_data import rows_by_label, tables_of
from tests.factories import email_key, make_action, unique_email
from tests.staff import signed_in

TEXTS = {
    "en": "I agree that Amnesty Lyon may email me about its campaigns.",
    "fr": "J'accepte qu'Amnesty Lyon m'écrive au sujet de ses campagnes.",
}


async def make_partner(pool: Pool, *, disabled: bool = False) -> tuple[int, str]:
    slug = f"p-{uuid.uuid4().hex[:10]}"
    async with pool.acquire() as conn:
        partner_id: int = await conn.fetchval(
            """INSERT INTO partners (slug, name, allowed_origins, embed_key, disabled_at)
               VALUES ($1, 'Amnesty Lyon', '{http://localhost:8001}', $2,
                       CASE WHEN $3 THEN now() END)
               RETURNING id""",
            slug,
            uuid.uuid4().hex,
            disabled,
        )
        for locale, text in TEXTS.items():
            await conn.execute(
                "INSERT INTO partner_consent_texts (partner_id, locale, text) VALUES ($1, $2, $3)",
                partner_id,
                locale,
                text,
            )
    return partner_id, slug


async def sign(
    client: httpx.AsyncClient, slug: str, locale: str, email: str, **fields: str
) -> httpx.Response:
    form = {"name": "Léa Martin", "email": email, "country": "FR", **fields}
    return await client.post(f"/{locale}/actions/{slug}/sign", data=form)


async def signature_of(pool: Pool, email: str) -> Any:
    async with pool.acquire() as conn:
        return await conn.fetchrow(
            """SELECT s.id, s.partner, s.partner_id, s.utm FROM signatures s
               JOIN supporters p ON p.id = s.supporter_id WHERE p.email_key = $1""",
            email_key(email),
        )


async def consents_of(pool: Pool, signature_id: uuid.UUID) -> list[Any]:
    async with pool.acquire() as conn:
        return list(
            await conn.fetch(
                """SELECT r.scope, r.partner_id, t.locale, t.text FROM consent_records r
                   JOIN consent_texts t ON t.id = r.consent_text_id
                   WHERE r.signature_id = $1 ORDER BY r.scope""",
                signature_id,
            )
        )


async def test_a_partners_signature_is_credited_with_its_own_opt_in(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    action = await make_action(pool)
    partner_id, partner = await make_partner(pool)
    email = unique_email()
    response = await sign(
        client,
        action,
        "fr",
        email,
        partner=partner,
        consent_partner="yes",
        utm_source="newsletter",
        utm_campaign="  printemps 2026 ",
        utm_medium="x" * 201,  # too long: dropped, never an error
        utm_other="ignored",
    )
    assert response.status_code == 303

    signature = await signature_of(pool, email)
    assert signature["partner_id"] == partner_id
    assert signature["partner"] == partner
    assert signature["utm"] == {"utm_source": "newsletter", "utm_campaign": "printemps 2026"}
    [consent] = await consents_of(pool, signature["id"])
    assert consent["scope"] == "partner"
    assert consent["partner_id"] == partner_id
    assert (consent["locale"], consent["text"]) == ("fr", TEXTS["fr"])

    # A reader whose language the partner did not write in agreed to its English sentence.
    other = unique_email()
    await sign(client, action, "ru", other, partner=partner, consent_partner="yes")
    [consent] = await consents_of(pool, (await signature_of(pool, other))["id"])
    assert (consent["locale"], consent["text"]) == ("en", TEXTS["en"])


async def test_without_the_box_ticked_the_partner_is_credited_but_not_given_consent(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    action = await make_action(pool)
    partner_id, partner = await make_partner(pool)
    email = unique_email()
    await sign(client, action, "en", email, partner=partner, consent_updates="yes")
    signature = await signature_of(pool, email)
    assert signature["partner_id"] == partner_id
    assert signature["utm"] is None
    [consent] = await consents_of(pool, signature["id"])
    assert consent["scope"] == "updates"
    assert consent["partner_id"] == partner_id, "given on the partner's form"


async def test_an_unknown_or_disabled_partner_credits_nobody_and_looks_the_same(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    action = await make_action(pool)
    _disabled_id, disabled = await make_partner(pool, disabled=True)
    answers = []
    for partner in ("", "no-such-partner", disabled):
        email = unique_email()
        response = await sign(client, action, "es", email, partner=partner, consent_partner="yes")
        answers.append((response.status_code, response.headers.get("location"), response.content))
        signature = await signature_of(pool, email)
        assert signature is not None, "the signature counts all the same"
        assert signature["partner_id"] is None
        assert signature["partner"] is None
        assert await consents_of(pool, signature["id"]) == [], "no partner to agree to"
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 303

    _known_id, known = await make_partner(pool)
    credited = await sign(client, action, "es", unique_email(), partner=known)
    assert (credited.status_code, credited.headers.get("location"), credited.content) == answers[0]


async def test_the_action_page_shows_the_partners_own_sentence(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    action = await make_action(pool)
    _partner_id, partner = await make_partner(pool)

    french = await client.get(f"/fr/actions/{action}?partner={partner}")
    assert french.status_code == 200
    assert 'name="consent_partner"' in french.text
    assert "J&#39;accepte qu&#39;Amnesty Lyon m&#39;écrive" in french.text

    # In Arabic the partner wrote nothing: its English sentence, marked as English.
    arabic = await client.get(f"/ar/actions/{action}?partner={partner}")
    assert "I agree that Amnesty Lyon may email me" in arabic.text
    assert '<div lang="en" dir="ltr">' in arabic.text

    unknown = await client.get(f"/fr/actions/{action}?partner=no-such-partner")
    assert 'name="consent_partner"' not in unknown.text
    plain = await client.get(f"/fr/actions/{action}")
    assert 'name="consent_partner"' not in plain.text

    # A form sent back with an error still shows the partner's sentence.
    invalid = await sign(client, action, "fr", "not-an-address", partner=partner)
    assert invalid.status_code == 422
    assert "J&#39;accepte qu&#39;Amnesty Lyon m&#39;écrive" in invalid.text


async def test_the_dashboard_names_the_partner(
    client: httpx.AsyncClient, asgi_app: ASGIApp, pool: Pool
) -> None:
    action = await make_action(pool)
    _partner_id, partner = await make_partner(pool)
    await sign(client, action, "en", unique_email(), partner=partner)
    await sign(client, action, "en", unique_email(), partner="no-such-partner")
    viewer = await signed_in(asgi_app, pool, Role.VIEWER)
    page = await viewer.client.get(f"/admin/actions/{action}")
    partners = rows_by_label(tables_of(page.text)["chart-partner-table"])
    assert partners["Amnesty Lyon"] == ["0", "1"], "by name: nobody confirmed, one pending"
    assert partners["No partner"] == ["0", "1"]


async def test_the_api_credits_the_partner_and_keeps_the_campaign_tags(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    action = await make_action(pool)
    partner_id, partner = await make_partner(pool)
    email = unique_email()
    response = await client.post(
        f"/api/v1/actions/{action}/signatures",
        json={
            "name": "Léa Martin",
            "email": email,
            "country": "FR",
            "locale": "fr",
            "partner": partner,
            "consent_partner": True,
            "utm_source": "partner-site",
            "utm_content": "bandeau\nrouge",  # a line break: not a tag, dropped
        },
    )
    assert response.status_code == 202
    signature = await signature_of(pool, email)
    assert signature["partner_id"] == partner_id
    assert signature["utm"] == {"utm_source": "partner-site"}
    [consent] = await consents_of(pool, signature["id"])
    assert (consent["locale"], consent["text"]) == ("fr", TEXTS["fr"])
