"""The public site in every language: the right language, direction, content and headers."""

from __future__ import annotations

import itertools
import re

import httpx
import pytest
from starlette.responses import PlainTextResponse

from campaign_engine.db.pool import Pool
from campaign_engine.i18n import LOCALES
from campaign_engine.web.middleware import SecurityHeadersMiddleware
from tests.factories import make_action

RTL = {"ar"}


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "/zh-Hans/"),
        ("ar-EG", "/ar/"),
        ("fr-CA, en;q=0.5", "/fr/"),
        ("de-DE, ru;q=0.7, es;q=0.8", "/es/"),
        ("de", "/en/"),
        ("", "/en/"),
    ],
)
async def test_the_front_door_speaks_the_readers_language(
    client: httpx.AsyncClient, accept_language: str, expected: str
) -> None:
    response = await client.get("/", headers={"Accept-Language": accept_language})
    assert response.status_code == 302
    assert response.headers["location"] == expected
    assert "Accept-Language" in response.headers["vary"]


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_page_in_every_language(
    client: httpx.AsyncClient, pool: Pool, locale: str
) -> None:
    slug = await make_action(pool)
    direction = "rtl" if locale in RTL else "ltr"
    for path in (
        f"/{locale}/",
        f"/{locale}/actions/{slug}",
        f"/{locale}/actions/{slug}/check-email",
        f"/{locale}/actions/{slug}/thanks",
        f"/{locale}/cases/case-{slug}",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{locale}" dir="{direction}">' in response.text, path
        assert response.headers["content-language"] == locale
        assert f"Free the defender ({locale}) {slug}" in response.text, path
        assert "s-maxage" in response.headers["cache-control"]
        headings = [int(level) for level in re.findall(r"<h([1-6])", response.text)]
        assert headings[0] == 1, f"{path}: the first heading is the page's h1"
        assert all(b - a <= 1 for a, b in itertools.pairwise(headings)), path


async def test_an_action_not_yet_translated_falls_back_and_says_so(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool, locales=("en", "es"))
    page = await client.get(f"/ru/actions/{slug}")
    assert page.status_code == 200
    assert '<html lang="ru"' in page.text
    assert f"Free the defender (en) {slug}" in page.text
    assert 'lang="en" dir="ltr"' in page.text, "the fallback text is marked as English"
    spanish = await client.get(f"/es/actions/{slug}")
    assert f"Free the defender (es) {slug}" in spanish.text
    assert 'class="notice"' not in spanish.text

    index = await client.get("/ru/")
    assert slug not in index.text, "an index lists what is published in its language"
    assert slug in (await client.get("/es/")).text


async def test_an_unknown_language_or_page_is_not_found(client: httpx.AsyncClient) -> None:
    for path in ("/de/", "/xx/actions/demo", "/en/nowhere", "/en/cases/nobody"):
        response = await client.get(path)
        assert response.status_code == 404, path
    french = await client.get("/fr/actions/nobody")
    assert '<html lang="fr"' in french.text


async def test_responses_carry_protective_headers(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    response = await client.get(f"/en/actions/{slug}")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"


async def test_production_tells_browsers_to_use_https_only(client: httpx.AsyncClient) -> None:
    """HSTS for a year in production; never elsewhere, where the site runs on plain HTTP."""
    assert "strict-transport-security" not in (await client.get("/en/")).headers
    production = SecurityHeadersMiddleware(PlainTextResponse("ok"), hsts=True)
    transport = httpx.ASGITransport(app=production)
    async with httpx.AsyncClient(transport=transport, base_url="https://example.org") as https:
        answer = await https.get("/")
    assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_pages_load_nothing_from_another_origin(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    page = await client.get(f"/en/actions/{slug}")
    for attribute in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert attribute.startswith(("/", "#", "http://testserver/")), attribute
    thanks = await client.get(f"/en/actions/{slug}/thanks")
    assert "<script" not in thanks.text
    assert 'href="https://wa.me/?text=' in thanks.text, "sharing is a plain link"
    assert "source%3Dshare-whatsapp" in thanks.text


async def test_static_files_are_served(client: httpx.AsyncClient) -> None:
    css = await client.get("/static/site.css")
    assert css.status_code == 200
    assert "margin-left" not in css.text, "layout uses logical properties only"
    assert "padding-right" not in css.text


async def test_the_development_mailbox_exists_only_in_development(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/dev/mail")).status_code == 404
    assert (await client.get("/dev/mail.json")).status_code == 404


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).text == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "checks": {"postgresql": True, "migrations": True, "redis": True},
    }
