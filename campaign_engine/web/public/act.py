"""The one-click act from an alert (domain/signing/one_click.py): `/act/{token}` shows the
action with the member's name and country filled in and one button; the POST signs,
confirmed at once. The signed link is the authority (no cookie, no form token, as for the
member's own page); a GET never signs. Both speak the alert's language."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine.domain.campaigns.actions import read_action_page
from campaign_engine.domain.errors import ActionClosed, ActionNotFound, ActionRemoved
from campaign_engine.domain.signing.one_click import (
    ActLink,
    NotAMember,
    SignatureWithdrawn,
    act_in_one_click,
    read_act_link,
)
from campaign_engine.formats.countries import country_choices
from campaign_engine.i18n import _, active, is_supported
from campaign_engine.security.tokens import InvalidLink
from campaign_engine.web.errors import error_response
from campaign_engine.web.forms import FieldErrors, parse_act
from campaign_engine.web.public.thanks import thanks_path
from campaign_engine.web.rendering import PRIVATE, render, render_error
from campaign_engine.web.services import services

# Why a link no longer signs, each said on its own page.
REFUSALS = (InvalidLink, ActionNotFound, ActionRemoved, ActionClosed, NotAMember)


async def act_page(request: Request) -> Response:
    """The action, the member's name and country, and the button. Changes nothing."""
    s = services(request)
    with s.catalogues.activate(_language(request)):
        try:
            link = await read_act_link(s.pool, s.tokens, request.path_params["token"])
        except REFUSALS as refused:
            return _refused(request, refused)
        values = {"name": link.actor.name or "", "country": link.actor.country or ""}
        return await _page(request, link, values, FieldErrors())


async def act(request: Request) -> Response:
    """Sign as the link's member, then the thanks page; pressed again, the page only shows
    that they signed."""
    s, token = services(request), request.path_params["token"]
    with s.catalogues.activate(_language(request)):
        try:
            link = await read_act_link(s.pool, s.tokens, token)
            form = await request.form(max_files=0, max_fields=10)
            values = {key: value for key, value in form.items() if isinstance(value, str)}
            fields = parse_act(values)
            if link.signed or isinstance(fields, FieldErrors):
                errors = fields if isinstance(fields, FieldErrors) and not link.signed else None
                code = 422 if errors else 200
                return await _page(request, link, values, errors or FieldErrors(), status_code=code)
            acted = await act_in_one_click(s.pool, s.queue, s.tokens, token, fields)
        except REFUSALS as refused:
            return _refused(request, refused)
        except SignatureWithdrawn:
            return render_error(
                request,
                409,
                _("You cannot sign this action again"),
                _("Your signature of this action was taken back. Nothing was signed."),
            )
    thanks = thanks_path(request, acted.locale, acted.action_slug, acted.thanked_signature)
    return RedirectResponse(thanks, status_code=303)


def _language(request: Request) -> str:
    """The alert's language, which the link carries; the reader's own for a link not ours."""
    try:
        locale = services(request).tokens.read_act_token(request.path_params["token"])[2]
    except InvalidLink:
        return active().tag
    return locale if is_supported(locale) else active().tag


async def _page(
    request: Request,
    link: ActLink,
    values: Mapping[str, str],
    errors: FieldErrors,
    *,
    status_code: int = 200,
) -> Response:
    page = await read_action_page(services(request).pool, link.actor.action_slug, link.locale)
    context = {
        "page": page,
        "link": link,
        "token": request.path_params["token"],
        "values": values,
        "errors": errors.errors,
        "countries": country_choices(link.locale),
    }
    return render(request, "public/act.html", context, status_code=status_code, cache=PRIVATE)


def _refused(request: Request, refused: Exception) -> Response:
    if isinstance(refused, ActionClosed):
        return error_response(request, "action_closed")
    if isinstance(refused, ActionRemoved):
        return error_response(request, "action_removed")
    if isinstance(refused, NotAMember):
        return render_error(
            request,
            410,
            _("This link no longer signs"),
            _("It signs only for a member of the Urgent Action Network."),
        )
    return render_error(
        request,
        404,
        _("This link does not work"),
        _("Check that you copied the whole link from the email."),
    )
