"""The widget and its loader over HTTP: who may frame it, what it carries into a signature,
that it never sets a cookie, and that a closed or removed action shows at once."""

from __future__ import annotations

import gzip
import uuid
from urllib.parse import urlencode

import httpx

from campaign_engine.db.pool import Pool
from campaign_engine.settings import SOURCE_HOME
from tests.conftest import Drain
from tests.factories import confirmation_path, make_action, unique_email
from tests.smtp import RecordingHandler
from tests.test_network import member_state

LOADER_LIMIT = 3072  # bytes, gzip -9: the loader runs on every partner page


async def make_partner(
    pool: Pool,
    origins: tuple[str, ...] = ("https://partner.example",),
    *,
    consent: dict[str, str] | None = None,
    disabled: bool = False,
) -> tuple[str, str]:
    """A partner allowed on `origins`; returns (slug, embed key)."""
    slug, key = f"p-{uuid.uuid4().hex[:10]}", f"k{uuid.uuid4().hex[:16]}"
    async with pool.acquire() as conn, conn.transaction():
        partner_id = await conn.fetchval(
            """INSERT INTO partners (slug, name, allowed_origins, embed_key, disabled_at)
               VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END) RETURNING id""",
            slug,
            f"Partner {slug}",
            list(origins),
            key,
            disabled,
        )
        for locale, text in (consent or {}).items():
            await conn.execute(
                "INSERT INTO partner_consent_texts (partner_id, locale, text) VALUES ($1, $2, $3)",
                partner_id,
                locale,
                text,
            )
    return slug, key


def frame_ancestors(response: httpx.Response) -> str:
    policy = response.headers["content-security-policy"]
    [directive] = [part.strip() for part in policy.split(";") if "frame-ancestors" in part]
    return directive.removeprefix("frame-ancestors ").strip()


async def test_only_the_partners_origins_may_frame_the_widget(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    partner, key = await make_partner(pool, ("https://a.example", "http://127.0.0.1:8001"))
    disabled, _key = await make_partner(pool, ("https://b.example",), disabled=True)

    framed = await client.get(f"/en/embed/{slug}?partner={partner}&key={key}")
    assert framed.status_code == 200
    assert frame_ancestors(framed) == "https://a.example http://127.0.0.1:8001"
    assert "x-frame-options" not in framed.headers
    assert "script-src 'self'" in framed.headers["content-security-policy"]
    # A partner's page that isolates itself (Cross-Origin-Embedder-Policy) still frames the
    # widget and runs the loader: both may be loaded across origins, and the widget is
    # isolated too (test_embed_browser.py shows it in Chromium). Opener isolation acts on top
    # windows only, so it changes nothing in the frame.
    assert framed.headers["cross-origin-resource-policy"] == "cross-origin"
    assert framed.headers["cross-origin-embedder-policy"] == "require-corp"
    assert framed.headers["cross-origin-opener-policy"] == "same-origin"
    loader = await client.get("/embed.js")
    assert loader.headers["cross-origin-resource-policy"] == "cross-origin"

    assert 'name="consent_partner"' in framed.text

    for who in ("", "?partner=no-such-partner", f"?partner={disabled}"):
        answer = await client.get(f"/en/embed/{slug}{who}")
        assert answer.status_code == 200
        assert frame_ancestors(answer) == "'self'", f"{who}: only our own pages may frame it"
        assert "consent_partner" not in answer.text, "no opt-in for a partner that cannot embed"

    # An old snippet (the key was changed since) still shows on the partner's site, but
    # credits nobody and offers no opt-in to the partner.
    stale = await client.get(f"/en/embed/{slug}?partner={partner}&key=an-old-key")
    assert frame_ancestors(stale) == "https://a.example http://127.0.0.1:8001"
    assert "consent_partner" not in stale.text
    form = {"name": "Amina", "email": unique_email(), "country": "FR"}
    signed = await client.post(
        f"/en/embed/{slug}/sign", data={**form, "partner": partner, "key": "an-old-key"}
    )
    after = await client.get(signed.headers["location"])
    assert frame_ancestors(after) == "https://a.example http://127.0.0.1:8001", "still framed"

    site = await client.get(f"/en/actions/{slug}")
    assert frame_ancestors(site) == "'none'", "every other page keeps refusing frames"
    assert site.headers["x-frame-options"] == "DENY"
    assert site.headers["cross-origin-resource-policy"] == "same-origin"


async def test_the_parent_origin_is_echoed_only_when_the_partner_allows_it(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    partner, key = await make_partner(pool, ("https://a.example",))

    def widget(origin: str) -> str:
        return f"/en/embed/{slug}?" + urlencode({"partner": partner, "key": key, "origin": origin})

    allowed = await client.get(widget("https://a.example"))
    assert 'data-parent-origin="https://a.example"' in allowed.text
    for other in ("https://evil.example", "*", "https://a.example.evil.example"):
        refused = await client.get(widget(other))
        assert "data-parent-origin" not in refused.text, other
    unpartnered = await client.get(f"/en/embed/{slug}?origin=https://a.example")
    assert "data-parent-origin" not in unpartnered.text


async def test_signing_inside_the_widget_carries_partner_source_and_tags(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    partner, key = await make_partner(
        pool, ("https://a.example",), consent={"fr": "Je veux des nouvelles de Partenaire."}
    )
    query = {
        "partner": partner,
        "key": key,
        "source": "newsletter",
        "utm_campaign": "spring",
        "utm_medium": "email",
        "page": "https://a.example/act/now?email=someone@example.org#top",
        "origin": "https://a.example",
    }
    shown = await client.get(f"/fr/embed/{slug}?{urlencode(query)}")
    assert shown.status_code == 200
    assert "Je veux des nouvelles de Partenaire." in shown.text, "the partner's own sentence"
    assert "someone@example.org" not in shown.text, "the host page's query never travels on"
    assert 'name="utm_campaign" value="spring"' in shown.text

    email = unique_email()
    form = {
        "name": "Amina",
        "email": email,
        "country": "FR",
        "consent_partner": "yes",
        **{name: value for name, value in query.items() if name != "page"},
        "page": "https://a.example/act/now",
    }
    signed = await client.post(f"/fr/embed/{slug}/sign", data=form)
    assert signed.status_code == 303
    assert "set-cookie" not in signed.headers
    location = signed.headers["location"]
    assert location.startswith(f"/fr/embed/{slug}/check-email?")
    assert email not in location

    check = await client.get(location)
    assert check.status_code == 200
    assert 'data-signed="true"' in check.text
    assert 'data-parent-origin="https://a.example"' in check.text
    assert frame_ancestors(check) == "https://a.example"
    assert "set-cookie" not in check.headers

    row = await pool.fetchrow(
        """SELECT p.slug AS credited, s.partner, s.source, s.locale, s.utm FROM signatures s
           JOIN actions a ON a.id = s.action_id LEFT JOIN partners p ON p.id = s.partner_id
           WHERE a.slug = $1""",
        slug,
    )
    assert row is not None
    assert (row["credited"], row["partner"], row["source"], row["locale"]) == (
        partner,
        partner,
        "newsletter",
        "fr",
    )
    assert row["utm"] == {"utm_campaign": "spring", "utm_medium": "email"}


async def test_without_a_source_the_embedding_page_is_kept_without_its_query(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    partner, key = await make_partner(pool)
    form = {
        "name": "Amina",
        "email": unique_email(),
        "country": "FR",
        "partner": partner,
        "key": key,
        "page": "https://user:secret@partner.example/petitions/ua?email=someone@example.org#x",
    }
    assert (await client.post(f"/en/embed/{slug}/sign", data=form)).status_code == 303
    source = await pool.fetchval(
        "SELECT s.source FROM signatures s JOIN actions a ON a.id = s.action_id WHERE a.slug = $1",
        slug,
    )
    assert source == "https://partner.example/petitions/ua"


async def test_a_made_up_partner_or_an_old_key_is_credited_nothing(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    partner, _key = await make_partner(pool)
    for who in ({"partner": "no-such"}, {"partner": partner, "key": "an-old-key"}):
        form = {"name": "Amina", "email": unique_email(), "country": "FR", **who}
        assert (await client.post(f"/en/embed/{slug}/sign", data=form)).status_code == 303
    credited = await pool.fetch(
        "SELECT s.partner FROM signatures s JOIN actions a ON a.id = s.action_id WHERE a.slug = $1",
        slug,
    )
    assert [row["partner"] for row in credited] == [None, None]


async def test_errors_are_shown_inside_the_widget_in_the_readers_language(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    partner, key = await make_partner(pool)
    form = {"name": "", "email": "not an email", "country": "FR", "partner": partner, "key": key}
    answer = await client.post(f"/en/embed/{slug}/sign", data=form)
    assert answer.status_code == 422
    assert "Enter your name." in answer.text
    assert 'id="email" name="email" type="email" value="not an email"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert "site-header" not in answer.text, "the widget has no site header"
    assert frame_ancestors(answer) == "https://partner.example"
    assert "set-cookie" not in answer.headers


async def test_closed_and_removed_actions_show_their_notice_in_the_widget(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    partner, key = await make_partner(pool)
    closed = await make_action(pool, status="closed")
    shown = await client.get(f"/en/embed/{closed}?partner={partner}&key={key}")
    assert shown.status_code == 200
    assert "This urgent action has closed" in shown.text
    assert 'method="post"' not in shown.text
    assert shown.headers["cache-control"] == "public, max-age=0, s-maxage=10"
    assert frame_ancestors(shown) == "https://partner.example"

    removed = await make_action(pool, status="removed")
    gone = await client.get(f"/en/embed/{removed}?partner={partner}&key={key}")
    assert gone.status_code == 410
    assert "This urgent action has been removed" in gone.text
    assert frame_ancestors(gone) == "https://partner.example", "the partner's page shows it"
    assert gone.headers["cache-control"] == "no-store"

    # An action closed while the form was open: the widget says so instead of signing.
    form = {"name": "Amina", "email": unique_email(), "country": "FR", "partner": partner}
    late = await client.post(f"/en/embed/{closed}/sign", data=form)
    assert late.status_code == 410
    assert "This urgent action has closed" in late.text
    assert (await client.post(f"/en/embed/{removed}/sign", data=form)).status_code == 410
    assert (await client.get("/en/embed/no-such-action")).status_code == 404


async def test_the_widget_is_compact_accessible_and_sets_no_cookie(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    answer = await client.get(f"/ar/embed/{slug}")
    assert answer.status_code == 200
    assert '<html lang="ar" dir="rtl"' in answer.text
    assert "set-cookie" not in answer.headers
    for piece in ('class="counter"', 'for="name"', 'for="email"', 'for="country"', "share-"):
        assert piece in answer.text
    assert '<script src="/static/embed-frame.js?v=' in answer.text
    assert "<script>" not in answer.text, "the policy forbids inline scripts"


async def test_the_loader_is_small_and_served_as_javascript(client: httpx.AsyncClient) -> None:
    answer = await client.get("/embed.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert answer.headers["cache-control"] == "public, max-age=3600"
    assert "set-cookie" not in answer.headers
    assert "data-campaign-engine-action" in answer.text
    size = len(gzip.compress((SOURCE_HOME / "static" / "embed.js").read_bytes(), 9))
    assert size <= LOADER_LIMIT, f"the loader is {size} bytes gzipped"
    assert answer.content == (SOURCE_HOME / "static" / "embed.js").read_bytes()


async def test_the_widget_offers_the_network_and_a_signer_who_ticks_it_joins_on_confirming(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    partner, key = await make_partner(pool, ("https://a.example",))
    query = {"partner": partner, "key": key, "origin": "https://a.example"}
    shown = await client.get(f"/ar/embed/{slug}?{urlencode(query)}")
    assert 'name="consent_network"' in shown.text
    email = unique_email()
    form = {"name": "Amina", "email": email, "country": "TN", "consent_network": "yes", **query}
    assert (await client.post(f"/ar/embed/{slug}/sign", data=form)).status_code == 303
    await drain()
    (mail,) = smtp.to(email)
    assert (await client.get(confirmation_path(mail))).status_code == 303
    member = await member_state(pool, email)
    assert member is not None
    assert (member["status"], member["languages"]) == ("active", ["ar"])
