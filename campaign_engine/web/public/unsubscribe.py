"""The unsubscribe link under every update: a page with one button, and the same address for
a mail program's one-click POST (RFC 8058), which carries no cookie and no form token: the
signed link is the authority. A GET changes nothing, because mail scanners open links."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from campaign_engine.domain.signing.unsubscribe import (
    ONE_CLICK,
    UNSUBSCRIBE_PAGE,
    UnsubscribeLinkInvalid,
    is_subscribed,
    unsubscribe,
)
from campaign_engine.i18n import _
from campaign_engine.web.rendering import PRIVATE, render, render_error
from campaign_engine.web.services import services


async def unsubscribe_page(request: Request) -> Response:
    s, token = services(request), request.path_params["token"]
    try:
        link, subscribed = await is_subscribed(s.pool, s.tokens, token)
    except UnsubscribeLinkInvalid:
        return _bad_link(request)
    with s.catalogues.activate(link.locale):
        context = {"token": token, "subscribed": subscribed}
        return render(request, "public/unsubscribe.html", context, cache=PRIVATE)


async def unsubscribe_now(request: Request) -> Response:
    s, token = services(request), request.path_params["token"]
    source = ONE_CLICK if await is_one_click(request) else UNSUBSCRIBE_PAGE
    try:
        link = await unsubscribe(s.pool, s.tokens, token, source)
    except UnsubscribeLinkInvalid:
        return _bad_link(request)
    with s.catalogues.activate(link.locale):
        return render(request, "public/unsubscribed.html", cache=PRIVATE)


async def is_one_click(request: Request) -> bool:
    """A mail program's POST says `List-Unsubscribe=One-Click`, form-encoded or multipart. A
    body we cannot read still unsubscribes: the link alone says who."""
    try:
        form = await request.form(max_files=0, max_fields=10)
    except HTTPException:
        return False
    return form.get("List-Unsubscribe") == "One-Click"


def _bad_link(request: Request) -> Response:
    return render_error(
        request,
        404,
        _("This link does not work"),
        _(
            "Check that you copied the whole link from the email, "
            "or use the unsubscribe link of another of our emails."
        ),
    )
