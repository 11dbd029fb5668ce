"""Supporters' requests, answered by a campaigner (docs/privacy.md): find a supporter by the
address they wrote from, download everything held about them, or erase them. The address is
posted, never put in a URL; the pages after it name the supporter by a random id only."""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine.domain.privacy.rights import (
    erase_supporter,
    export_supporter,
    find_supporter,
    record_export,
    tally_supporter,
)
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.web.admin.guard import form_values, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.forms import FieldErrors, parse_email
from campaign_engine.web.public.privacy import data_download
from campaign_engine.web.services import services


@staff_page(Capability.EXPORT)
async def supporters_page(request: Request) -> Response:
    return _page(request)


@staff_page(Capability.EXPORT)
async def find(request: Request) -> Response:
    s = services(request)
    values = form_values(await request.form())
    # Checked and spelt as the signing form stores it (an international domain as ASCII).
    email = parse_email(values)
    if isinstance(email, FieldErrors):
        return _page(request, 400, values=values, errors=email.errors)
    supporter_id = await find_supporter(s.pool, email)
    tally = await tally_supporter(s.pool, supporter_id) if supporter_id else None
    return _page(request, values=values, searched=True, tally=tally, id=supporter_id)


@staff_page(Capability.EXPORT)
async def download(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    data = await export_supporter(s.pool, s.clock, _supporter_id(request))
    if data is None:
        return _gone(request)
    await record_export(s.pool, s.clock, actor)
    return data_download(data)


@staff_page(Capability.EXPORT)
async def erase(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    erased = await erase_supporter(s.pool, s.clock, _supporter_id(request), actor)
    if erased is None:
        return _gone(request)
    return _page(request, erased=erased)


def _supporter_id(request: Request) -> UUID:
    supporter_id: UUID = request.path_params["supporter_id"]
    return supporter_id


def _gone(request: Request) -> Response:
    return _page(request, 404, gone=True)


def _page(request: Request, status_code: int = 200, **shown: object) -> Response:
    context = {
        "values": {},
        "errors": {},
        "searched": False,
        "data": None,
        "id": None,
        "erased": None,
        "gone": False,
        **shown,
    }
    return render_admin(request, "admin/supporters.html", context, status_code=status_code)
