"""The workspace's door: every workspace handler is wrapped by `staff_page`, which finds the
session, checks the capability the page needs, checks the form's CSRF token and the request's
origin on anything that changes state, and speaks the campaigner's language.

Sessions are server-side (`domain/workspace/sign_in.py`); the cookie holds only a random token. Over
HTTPS it is a `__Host-` cookie: Secure, for this host only, unreadable by scripts, and never
sent along by another site (SameSite=Strict).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine.domain.workspace.access import Capability, may
from campaign_engine.domain.workspace.sign_in import IDLE_TIMEOUT, current_session
from campaign_engine.i18n import _
from campaign_engine.models.workspace import StaffSession
from campaign_engine.settings import Settings
from campaign_engine.web.rendering import render_error, url_path
from campaign_engine.web.services import services

Handler = Callable[[Request], Awaitable[Response]]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The sign-in forms, before any session: a random cookie, and a form token made from it.
FORM_COOKIE = "ce-form"


def session_cookie(settings: Settings) -> str:
    return "__Host-ce-session" if _secure(settings) else "ce-session"


def _secure(settings: Settings) -> bool:
    return settings.public_base_url.startswith("https://")


def staff_page(
    capability: Capability | None, *, unverified: bool = False
) -> Callable[[Handler], Handler]:
    """Guard a workspace handler. `capability` None: any signed-in campaigner (their own
    account page). `unverified`: also a session that has shown a password and still owes its
    second factor's code: only the page where the code is given, and signing out
    (docs/security.md, "Half signed in")."""

    def wrap(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request) -> Response:
            s = services(request)
            token = request.cookies.get(session_cookie(s.settings))
            session = await current_session(s.pool, s.clock, token) if token else None
            if session is None or not (session.verified or unverified):
                return _to_sign_in(request, session)
            if capability is not None and not may(session.staff, capability):
                return forbidden(request)
            if request.method not in SAFE_METHODS and not await _same_origin_form(
                request, session.token_hash
            ):
                return forbidden(request)
            if await _carries_nul(request):
                return unacceptable(request)
            request.state.session = session
            with s.catalogues.activate(session.staff.locale):
                response = await handler(request)
            response.headers["Cache-Control"] = "no-store"
            return response

        guarded.capability = capability  # type: ignore[attr-defined]  # read by the route matrix
        guarded.unverified = unverified  # type: ignore[attr-defined]  # and by the state matrix
        return guarded

    return wrap


def staff_session(request: Request) -> StaffSession:
    session: StaffSession = request.state.session
    return session


# What a workspace URL names. The route's convertor has checked the text already
# (`{slug:slug}`, `{case_id:id}`, `{locale:locale}` in web/routes.py), so these only read it.


def path_slug(request: Request) -> str:
    slug: str = request.path_params["slug"]
    return slug


def path_id(request: Request, name: str) -> int:
    """A row id from the path, like `path_id(request, "case_id")`."""
    row_id: int = request.path_params[name]
    return row_id


def path_locale(request: Request) -> str:
    locale: str = request.path_params["locale"]
    return locale


def _to_sign_in(request: Request, session: StaffSession | None) -> Response:
    if session is not None:  # a password was given; the second factor's code is still owed
        if request.method in SAFE_METHODS:
            return RedirectResponse(url_path(request, "auth.second_factor_page"), status_code=303)
        return forbidden(request)
    if request.method in SAFE_METHODS:
        login = url_path(request, "auth.login_page")
        return RedirectResponse(f"{login}?next={quote(request.url.path)}", status_code=303)
    return forbidden(request)


def unacceptable(request: Request) -> Response:
    return render_error(
        request,
        400,
        _("This cannot be saved"),
        _("What was sent holds a character no text can carry (a NUL). Remove it and try again."),
    )


async def _carries_nul(request: Request) -> bool:
    """A NUL character, which PostgreSQL cannot store and nobody types: refused here, once for
    every workspace form and filter, rather than by each page."""
    values = list(request.query_params.values())
    if request.method not in SAFE_METHODS:
        values += [value for value in (await request.form()).values() if isinstance(value, str)]
    return any("\x00" in value for value in values)


def forbidden(request: Request) -> Response:
    return render_error(
        request,
        403,
        _("You cannot do this"),
        _("Your role does not allow this, or the form had expired. Go back and try again."),
    )


async def _same_origin_form(request: Request, binding: bytes) -> bool:
    """A state change must come from our own pages: a browser that says the request crossed
    sites is refused, and the form must carry the token made for this session."""
    if not _same_origin(request):
        return False
    form = await request.form(max_files=1, max_fields=200)
    given = form.get("csrf_token")
    return isinstance(given, str) and services(request).tokens.csrf_matches(binding, given)


def _same_origin(request: Request) -> bool:
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def csrf_token(request: Request) -> str:
    """The form token for the current session."""
    return services(request).tokens.csrf_token(staff_session(request).token_hash)


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        session_cookie(settings),
        token,
        # The browser may forget it sooner; the server ends it after the idle timeout anyway.
        max_age=int(IDLE_TIMEOUT.total_seconds()) * 24,
        path="/",
        secure=_secure(settings),
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        session_cookie(settings),
        path="/",
        secure=_secure(settings),
        httponly=True,
        samesite="strict",
    )


# The sign-in forms (before a session exists) are protected by a double submission: a random
# cookie, and in the form a token made from it that another site cannot read or forge.


def form_binding(request: Request) -> tuple[str, bool]:
    """The sign-in form cookie's value, and whether it must be set (it was missing)."""
    existing = request.cookies.get(FORM_COOKIE)
    return (existing, False) if existing else (secrets.token_urlsafe(24), True)


def anonymous_form_token(request: Request, binding: str) -> str:
    return services(request).tokens.csrf_token(binding.encode())


def set_form_cookie(response: Response, settings: Settings, binding: str) -> None:
    response.set_cookie(
        FORM_COOKIE,
        binding,
        path="/admin",
        secure=_secure(settings),
        httponly=True,
        samesite="strict",
    )


async def anonymous_form_ok(request: Request) -> bool:
    binding = request.cookies.get(FORM_COOKIE)
    if binding is None or not _same_origin(request):
        return False
    form = await request.form(max_files=0, max_fields=20)
    given = form.get("csrf_token")
    return isinstance(given, str) and services(request).tokens.csrf_matches(binding.encode(), given)


def form_values(form: Any) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}
