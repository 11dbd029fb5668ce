"""Rendering a public page: the template, plus what every page's layout needs."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import Response

from campaign_engine import i18n
from campaign_engine.web.services import services

# Public pages hold nothing personal, so a shared cache may keep them for a few seconds and
# serve them stale through an origin outage; browsers always ask again, so a supporter who
# just confirmed sees the new count.
PUBLIC_CACHE = "public, max-age=0, s-maxage=10, stale-while-revalidate=30, stale-if-error=600"
PRIVATE = "no-store"
# The same for everyone, but read right after one's own act (the thanks page after a
# confirmation): shared caches may keep it briefly; this process does not hold it
# (web/page_cache.py holds only what allows stale-if-error), so the count includes the reader.
JUST_NOW = "public, max-age=0, s-maxage=1"


def url_path(request: Request, name: str, /, **params: object) -> str:
    """The path of the route named `name` in routes.py (`team.team_page`), its parameters
    filled in: links are built from the route's name, never written out by hand."""
    return str(request.app.url_path_for(name, **{key: str(value) for key, value in params.items()}))


def absolute_url(request: Request, name: str, /, **params: object) -> str:
    """url_path with the site's public address before it: for links that leave the page
    (share links, snippets to paste, links handed to a colleague, HAL links)."""
    return services(request).settings.public_base_url + url_path(request, name, **params)


@pass_context
def route_path(context: Context, name: str, /, **params: object) -> str:
    """`{{ route_path("pages.action_page", locale=locale, slug=page.slug) }}`: url_path for
    templates, from the request every page is rendered with."""
    return url_path(context["request"], name, **params)


@pass_context
def route_url(context: Context, name: str, /, **params: object) -> str:
    """route_path with the site's public address before it, for links that leave the page
    (`og:url`, `hreflang` alternates, the widget's links out of its frame)."""
    return absolute_url(context["request"], name, **params)


def path_in(request: Request, tag: str) -> str:
    """This page's path in another language; a page outside the languages' paths has none, so
    its language menu leads to each language's home page."""
    first, _slash, rest = request.url.path.lstrip("/").partition("/")
    return f"/{tag}/{rest}" if i18n.is_supported(first) else f"/{tag}/"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    cache: str = PUBLIC_CACHE,
    media_type: str | None = None,
) -> Response:
    tag = i18n.active().tag
    page = {
        "locale": tag,
        "dir": i18n.text_direction(tag),
        "languages": [
            (other, i18n.native_name(other), path_in(request, other)) for other in i18n.LOCALES
        ],
        **(context or {}),
    }
    response = services(request).templates.TemplateResponse(
        request, template, page, status_code=status_code, media_type=media_type
    )
    response.headers["Cache-Control"] = cache
    response.headers["Content-Language"] = tag
    return response


def render_error(request: Request, status: int, title: str, message: str) -> Response:
    """The page of an error, in the reader's language; never cached."""
    context = {"status": status, "title": title, "message": message}
    return render(request, "public/error.html", context, status_code=status, cache=PRIVATE)
