"""The widget (an action's form in an iframe on a partner's site) and its loader, /embed.js.

The widget is the canonical embed: a plain iframe works without any script on the partner's
page. The loader only inserts that iframe, forwards the host page's attribution, resizes it
and tells the host page what happened. No response here sets a cookie.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.errors import ActionClosed, ActionRemoved
from campaign_engine.domain.integrations.embeds import (
    EmbeddingPartner,
    Widget,
    frame_ancestors,
    page_source,
    read_widget,
    sign_in_widget,
)
from campaign_engine.models.campaigns import ActionStatus
from campaign_engine.web.forms import (
    UTM_KEYS,
    FieldErrors,
    attribution,
    campaign_tags,
    parse_signature,
)
from campaign_engine.web.middleware import embed_policy
from campaign_engine.web.public.pages import action_context
from campaign_engine.web.public.proof_of_work import with_proof_of_work
from campaign_engine.web.public.share import ShareLink, share_links
from campaign_engine.web.rendering import absolute_url, render, url_path
from campaign_engine.web.services import client_address, services

# A closed or removed action must reach every partner's page at once: browsers always ask
# again, and a shared cache may keep a widget 10 seconds at most (no stale serving).
EMBED_CACHE = "public, max-age=0, s-maxage=10"
NO_STORE = "no-store"
# The loader's address never changes, so partners' pages may keep it an hour.
LOADER_CACHE = "public, max-age=3600"
MAX_ORIGIN = 200
# What travels from the widget's page to its form and on to the "check your email" page.
CARRIED = ("partner", "key", "source", "page", "origin", *UTM_KEYS)


async def widget(request: Request) -> Response:
    tag, slug = i18n.active().tag, request.path_params["slug"]
    values = _carried(request.query_params)
    found = await read_widget(
        services(request).pool, slug, tag, values["partner"] or None, values["key"] or None
    )
    return _render_widget(request, found, values, FieldErrors())


async def sign(request: Request) -> Response:
    tag, slug = i18n.active().tag, request.path_params["slug"]
    form = await request.form(max_files=0, max_fields=40)
    submitted = {key: value for key, value in form.items() if isinstance(value, str)}
    values = {**submitted, **_carried(submitted)}
    partner, key = values["partner"] or None, values["key"] or None
    s = services(request)
    parsed = parse_signature(values, tag, client_address(request))
    if isinstance(parsed, FieldErrors):
        # A closed or removed action says so, whatever was wrong with the fields.
        found = await read_widget(s.pool, slug, tag, partner, key)
        status = 422 if found.action is not None and _is_open(found) else 410
        return _render_widget(request, found, values, parsed, status_code=status)
    # Without a source the embedding page is one; parse_signature already took the utm_* tags.
    signed = replace(parsed, source=parsed.source or page_source(values["page"]))
    signed = await with_proof_of_work(request, values, signed)
    try:
        await sign_in_widget(s.signatures, s.tokens, slug, signed, key, limits=s.client_limits)
    except (ActionClosed, ActionRemoved):
        # Closed or removed since the form was shown: the widget says so instead.
        found = await read_widget(s.pool, slug, tag, partner, key)
        return _render_widget(request, found, values, FieldErrors(), status_code=410)
    onward = {name: values[name] for name in ("partner", "key", "origin") if values[name]}
    where = url_path(request, "embed.check_email", locale=tag, slug=slug)
    return RedirectResponse(f"{where}?{urlencode(onward)}" if onward else where, 303)


async def check_email(request: Request) -> Response:
    tag, slug = i18n.active().tag, request.path_params["slug"]
    values = _carried(request.query_params)
    found = await read_widget(
        services(request).pool, slug, tag, values["partner"] or None, values["key"] or None
    )
    if found.action is None:
        return _render_widget(request, found, values, FieldErrors())
    page = found.action.page
    context = {
        "page": page,
        "parent_origin": _parent_origin(request, found.partner, values["origin"]),
        "share": _share(request, page.slug, page.share_text, page.title),
    }
    response = render(request, "embed/check_email.html", context, cache=NO_STORE)
    return _framed(response, found.partner)


async def loader(request: Request) -> Response:
    return Response(
        _loader_source(services(request).settings.static_dir / "embed.js"),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": LOADER_CACHE},
    )


@cache
def _loader_source(path: Path) -> bytes:
    return path.read_bytes()


def _render_widget(
    request: Request,
    found: Widget,
    values: dict[str, str],
    errors: FieldErrors,
    *,
    status_code: int = 200,
) -> Response:
    parent_origin = _parent_origin(request, found.partner, values.get("origin", ""))
    if found.action is None:
        context: dict[str, Any] = {"parent_origin": parent_origin}
        response = render(request, "embed/removed.html", context, status_code=410, cache=NO_STORE)
        return _framed(response, found.partner)
    page = found.action.page
    # The partner travels on while it may embed (its origins frame the pages that follow);
    # only a credited one gets its opt-in box, with the sentence it wrote.
    partner = found.partner
    values = {**values, "partner": partner.partner.slug if partner else ""}
    context = {
        **action_context(page, values, errors, news=found.action.news),
        "partner_consent": partner.consent if partner and partner.credited else None,
        "carried": [(key, values.get(key, "")) for key in CARRIED if values.get(key)],
        "parent_origin": parent_origin,
        "share": _share(request, page.slug, page.share_text, page.title),
    }
    cache_control = EMBED_CACHE if status_code == 200 else NO_STORE
    response = render(
        request, "embed/widget.html", context, status_code=status_code, cache=cache_control
    )
    return _framed(response, found.partner)


def _framed(response: Response, partner: EmbeddingPartner | None) -> Response:
    response.headers["Content-Security-Policy"] = embed_policy(frame_ancestors(partner))
    return response


def _is_open(found: Widget) -> bool:
    return found.action is not None and found.action.page.status is ActionStatus.OPEN


def _parent_origin(request: Request, partner: EmbeddingPartner | None, origin: str) -> str:
    """The origin the frame may post its height and events to: the one the loader named, if
    it may frame us; never a wildcard, so nothing reaches a page we did not vouch for."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    allowed = partner.allows(origin) if partner else origin == own
    return origin if allowed else ""


def _share(request: Request, slug: str, text: str, title: str) -> list[ShareLink]:
    tag = i18n.active().tag
    url = absolute_url(request, "pages.action_page", locale=tag, slug=slug)
    return share_links(url, text, title)


def _carried(data: Mapping[str, Any]) -> dict[str, str]:
    """The attribution the iframe's address brought, as the form's hidden fields carry it on;
    anything malformed is dropped (attribution never costs a signature)."""
    page = data.get("page") or ""
    origin = data.get("origin") or ""
    return {
        "partner": attribution(data.get("partner")) or "",
        "key": _key(data) or "",
        "source": attribution(data.get("source")) or "",
        # Only its origin and path travel on: a query string may carry personal data.
        "page": (isinstance(page, str) and page_source(page)) or "",
        "origin": origin if isinstance(origin, str) and len(origin) <= MAX_ORIGIN else "",
        **dict.fromkeys(UTM_KEYS, ""),
        **(campaign_tags(data) or {}),
    }


def _key(data: Mapping[str, Any]) -> str | None:
    return attribution(data.get("key"))
