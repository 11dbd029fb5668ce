"""Following a case without signing (domain/campaigns/following.py): the form on the case's
page asks; the link in the email that follows says yes (shown on GET, done on POST: mail
scanners open links); the link in every update stops it (a page with one button, and the POST
a mail program's one-click sends, RFC 8058)."""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine.domain.campaigns.following import (
    STOPPED_IN_ONE_CLICK,
    STOPPED_THROUGH_LINK,
    ask_to_follow,
    following,
    say_yes_to_follow,
    stop_following,
)
from campaign_engine.domain.errors import CaseNotFound
from campaign_engine.domain.signing.consent import consent_wording
from campaign_engine.i18n import _, active, is_supported
from campaign_engine.models.signing import ConsentScope
from campaign_engine.security.tokens import InvalidLink
from campaign_engine.web.errors import error_response
from campaign_engine.web.forms import FieldErrors, parse_email
from campaign_engine.web.public.network import JOINS_PER_CLIENT, bad_link, too_many
from campaign_engine.web.public.unsubscribe import is_one_click
from campaign_engine.web.rendering import PRIVATE, render
from campaign_engine.web.services import client_address, services


async def follow(request: Request) -> Response:
    """`POST /{locale}/cases/{slug}/follow`: the same answer whoever asks, limited per client
    address like joining the network (each request may send an email)."""
    s, slug = services(request), request.path_params["slug"]
    verdict = await s.limiter.hit("follow", client_address(request) or "unknown", JOINS_PER_CLIENT)
    if not verdict.allowed:
        return too_many(request, verdict.retry_after)
    form = await request.form(max_files=0, max_fields=10)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    email = parse_email(values)
    errors = email.errors if isinstance(email, FieldErrors) else {}
    if values.get("consent_follow") != "yes":
        errors["consent_follow"] = _("Tick the box to say that you want the case's news.")
    if errors or isinstance(email, FieldErrors):
        context = {
            "errors": errors,
            "values": values,
            "slug": slug,
            "consent_follow": consent_wording(ConsentScope.FOLLOW),
        }
        return render(
            request, "public/follow-refused.html", context, status_code=422, cache=PRIVATE
        )
    try:
        if not values.get("website"):  # the field nobody sees: only a robot fills it in
            await ask_to_follow(s.pool, s.queue, s.clock, slug, email, active().tag)
    except CaseNotFound:
        return error_response(request, "not_found")
    return render(request, "public/follow-asked.html", {"slug": slug}, cache=PRIVATE)


async def follow_page(request: Request) -> Response:
    """The link in the email: the case, and the button that says yes. Changes nothing."""
    return await _page(request, "public/follow.html")


async def say_yes(request: Request) -> Response:
    s = services(request)
    link = _read(request)
    if link is None:
        return bad_link(request)
    supporter_id, case_id, _locale = link
    await say_yes_to_follow(s.pool, s.clock, supporter_id, case_id)
    return await _page(request, "public/follow.html")


async def stop_page(request: Request) -> Response:
    """The link in every update to a follower: a page with one button. Changes nothing."""
    return await _page(request, "public/follow-stop.html")


async def stop_now(request: Request) -> Response:
    s = services(request)
    link = _read(request)
    if link is None:
        return bad_link(request)
    supporter_id, case_id, _locale = link
    source = STOPPED_IN_ONE_CLICK if await is_one_click(request) else STOPPED_THROUGH_LINK
    await stop_following(s.pool, s.clock, supporter_id, case_id, source)
    return await _page(request, "public/follow-stop.html")


async def _page(request: Request, template: str) -> Response:
    s = services(request)
    link = _read(request)
    if link is None:
        return bad_link(request)
    supporter_id, case_id, locale = link
    with s.catalogues.activate(locale if is_supported(locale) else active().tag):
        try:
            found = await following(s.pool, supporter_id, case_id, active().tag)
        except CaseNotFound:
            return error_response(request, "not_found")
        context = {"following": found, "token": request.path_params["token"]}
        return render(request, template, context, cache=PRIVATE)


def _read(request: Request) -> tuple[UUID, int, str] | None:
    try:
        return services(request).tokens.read_follow_token(request.path_params["token"])
    except InvalidLink:
        return None
