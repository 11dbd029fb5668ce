"""A supporter's own data, through the link in the emails we send them: a page, the download
of everything we hold about them, and erasure. The signed link is the authority (no cookie,
no form token, as for unsubscribing); a GET changes nothing, because mail scanners open
links; the link expires after two weeks (tokens.PRIVACY_MAX_AGE)."""

from __future__ import annotations

import json
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine.domain.privacy.rights import (
    SupporterData,
    disown_signature,
    erase_supporter,
    export_supporter,
    send_privacy_link,
    tally_supporter,
)
from campaign_engine.i18n import _
from campaign_engine.security.tokens import ExpiredLink, InvalidLink
from campaign_engine.web.forms import FieldErrors, parse_email
from campaign_engine.web.rendering import PRIVATE, render, render_error
from campaign_engine.web.services import services


async def ask_for_link(request: Request) -> Response:
    """`/{locale}/privacy`: a supporter without a recent email asks for a fresh link."""
    return render(request, "public/privacy-request.html", {"values": {}, "errors": {}})


async def send_link(request: Request) -> Response:
    s = services(request)
    form = await request.form(max_files=0, max_fields=5)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    parsed = parse_email(values)
    if isinstance(parsed, FieldErrors):
        context = {"values": values, "errors": parsed.errors}
        return render(
            request, "public/privacy-request.html", context, status_code=422, cache=PRIVATE
        )
    await send_privacy_link(s.pool, s.queue, parsed)
    # The same page whether we hold the address or not: it tells nobody who signed.
    return render(request, "public/privacy-sent.html", cache=PRIVATE)


async def privacy_page(request: Request) -> Response:
    s = services(request)
    link = _read(request)
    if link is None:
        return _bad_link(request)
    supporter_id, locale = link
    with s.catalogues.activate(locale):
        tally = await tally_supporter(s.pool, supporter_id)
        context = {"token": request.path_params["token"], "tally": tally}
        return render(request, "public/privacy.html", context, cache=PRIVATE)


async def download_my_data(request: Request) -> Response:
    s = services(request)
    link = _read(request)
    if link is None:
        return _bad_link(request)
    data = await export_supporter(s.pool, s.clock, link[0])
    if data is None:
        with s.catalogues.activate(link[1]):
            return _nothing_held(request)
    return data_download(data)


async def erase_me(request: Request) -> Response:
    s = services(request)
    link = _read(request)
    if link is None:
        return _bad_link(request)
    supporter_id, locale = link
    await erase_supporter(s.pool, s.clock, supporter_id)
    with s.catalogues.activate(locale):
        return render(request, "public/erased.html", cache=PRIVATE)


async def not_me_page(request: Request) -> Response:
    """ "This wasn't me", from a signer's email: what taking the signature back does, and the
    button that does it (a GET changes nothing: mail scanners open links)."""
    s = services(request)
    link = _not_me(request)
    if link is None:
        return _bad_link(request)
    with s.catalogues.activate(link[1]):
        return render(
            request, "public/not-me.html", {"token": request.path_params["token"]}, cache=PRIVATE
        )


async def take_back(request: Request) -> Response:
    s = services(request)
    link = _not_me(request)
    if link is None:
        return _bad_link(request)
    await disown_signature(s.pool, s.clock, link[0])
    with s.catalogues.activate(link[1]):
        return render(request, "public/not-me-done.html", cache=PRIVATE)


def _not_me(request: Request) -> tuple[UUID, str] | None:
    try:
        return services(request).tokens.read_not_me_token(request.path_params["token"])
    except InvalidLink:
        return None


def data_download(data: SupporterData) -> Response:
    """Everything about one supporter as a JSON file: for them, or for the campaigner who
    answers their request."""
    document = {
        "made_at": data.made_at,
        "supporter": data.supporter,
        "signatures": data.signatures,
        "consents": data.consents,
        "messages": data.messages,
        "network": data.network,
        "following": data.following or [],
        "solidarity_messages": data.solidarity or [],
    }
    return Response(
        json.dumps(document, default=str, ensure_ascii=False, indent=2),
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="my-data.json"',
            "Cache-Control": "no-store",
        },
    )


def _read(request: Request) -> tuple[UUID, str] | None:
    try:
        return services(request).tokens.read_privacy_token(request.path_params["token"])
    except (InvalidLink, ExpiredLink):
        return None


def _bad_link(request: Request) -> Response:
    return render_error(
        request,
        404,
        _("This link does not work"),
        _(
            "It may have expired: links to your data work for two weeks. The next email we "
            "send you will carry a fresh one, or write to us and we will answer."
        ),
    )


def _nothing_held(request: Request) -> Response:
    return render_error(
        request, 404, _("We hold nothing about you"), _("Your data was erased, or never kept.")
    )
