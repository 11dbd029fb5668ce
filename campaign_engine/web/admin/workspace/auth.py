"""The way into the workspace: sign in, give the second factor (or enrol one), accept an
invitation, sign out."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine.domain.errors import (
    InvitationInvalid,
    NeedsSignInLink,
    PasswordRefused,
    SignInRefused,
    TooManyAttempts,
    WrongCode,
)
from campaign_engine.domain.workspace.access import needs_second_factor
from campaign_engine.domain.workspace.guesses import whole_seconds
from campaign_engine.domain.workspace.sign_in import (
    ENROLMENT_TIMEOUT,
    NewFactor,
    NextStep,
    confirm_second_factor,
    current_session,
    enrol_second_factor,
    sign_in,
    sign_out,
)
from campaign_engine.domain.workspace.staff import (
    Enrolment,
    LinkUse,
    accept_invitation,
    invited_staff,
)
from campaign_engine.i18n import _
from campaign_engine.models.workspace import Staff
from campaign_engine.security import passwords, second_factor
from campaign_engine.security.tokens import InvalidLink
from campaign_engine.templating import format_wait
from campaign_engine.web.admin.guard import (
    anonymous_form_ok,
    anonymous_form_token,
    clear_session_cookie,
    csrf_token,
    forbidden,
    form_binding,
    form_values,
    session_cookie,
    set_form_cookie,
    set_session_cookie,
    staff_page,
    staff_session,
)
from campaign_engine.web.admin.rendering import render_door
from campaign_engine.web.rendering import render_error, url_path
from campaign_engine.web.services import client_address, services


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a workspace page of ours, never another site."""
    if value and value.startswith("/admin") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin"


async def login_page(request: Request) -> Response:
    s = services(request)
    token = request.cookies.get(session_cookie(s.settings))
    session = await current_session(s.pool, s.clock, token) if token else None
    next_page = safe_next(request.query_params.get("next"))
    if session is not None and session.verified:
        return RedirectResponse(next_page, status_code=303)
    return _login_form(request, {"email": "", "next": next_page}, "", 200)


async def login(request: Request) -> Response:
    if not await anonymous_form_ok(request):
        return forbidden(request)
    s = services(request)
    values = form_values(await request.form())
    next_page = safe_next(values.get("next"))
    try:
        signed_in = await sign_in(
            s.pool,
            s.clock,
            s.tokens,
            values.get("email", ""),
            values.get("password", ""),
            client_address(request),
        )
    except SignInRefused:
        problem = _("That email address and password do not match an account. Check both.")
        return _login_form(request, {**values, "next": next_page}, problem, 401)
    except NeedsSignInLink:
        problem = _(
            "Your role needs a second factor, and your account has none: it was reset, or "
            "your role changed. Ask an administrator of your team for a new sign-in link, "
            "and set it up through that link."
        )
        return _login_form(request, {**values, "next": next_page}, problem, 403)
    except TooManyAttempts as throttled:
        form = _login_form(request, {**values, "next": next_page}, too_many(throttled), 429)
        return with_retry_after(form, throttled)
    target = {
        NextStep.DONE: next_page,
        NextStep.SECOND_FACTOR: (
            f"{url_path(request, 'auth.second_factor_page')}?next={quote(next_page)}"
        ),
    }[signed_in.next_step]
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, s.settings, signed_in.token)
    return response


def _login_form(request: Request, values: dict[str, str], problem: str, status: int) -> Response:
    binding, fresh = form_binding(request)
    values = {"email": values.get("email", ""), "next": values.get("next", "/admin")}
    response = render_door(
        request,
        "admin/login.html",
        {
            "values": values,
            "problem": problem,
            "form_token": anonymous_form_token(request, binding),
        },
        status_code=status,
    )
    if fresh:
        set_form_cookie(response, services(request).settings, binding)
    return response


@staff_page(None, unverified=True)
async def second_factor_page(request: Request) -> Response:
    if staff_session(request).verified:
        return RedirectResponse(url_path(request, "overview.overview"), status_code=303)
    next_page = safe_next(request.query_params.get("next"))
    return _code_form(request, next_page, "", 200)


@staff_page(None, unverified=True)
async def give_second_factor(request: Request) -> Response:
    s, session = services(request), staff_session(request)
    if session.verified:
        return RedirectResponse(url_path(request, "overview.overview"), status_code=303)
    values = form_values(await request.form())
    next_page = safe_next(values.get("next"))
    try:
        token = await confirm_second_factor(
            s.pool, s.clock, s.tokens, session, values.get("code", ""), client_address(request)
        )
    except WrongCode:
        return _code_form(request, next_page, wrong_code(), 401)
    except TooManyAttempts as throttled:
        return with_retry_after(_code_form(request, next_page, too_many(throttled), 429), throttled)
    response = RedirectResponse(next_page, status_code=303)
    set_session_cookie(response, s.settings, token)
    return response


def _code_form(request: Request, next_page: str, problem: str, status: int) -> Response:
    context = {"next": next_page, "problem": problem, "csrf_token": csrf_token(request)}
    return render_door(request, "admin/second-factor.html", context, status_code=status)


# Turning the second factor on, or moving it to another app: from a verified session only.
# (A session that has shown a password alone may give its code, or sign out: nothing else.)


@staff_page(None)
async def enrol_page(request: Request) -> Response:
    return _enrol_form(request, second_factor.new_secret(), {}, 200)


@staff_page(None)
async def enrol(request: Request) -> Response:
    s, session = services(request), staff_session(request)
    values = form_values(await request.form())
    try:
        secret = s.tokens.read_enrolment_token(
            values.get("enrolment", ""), session.staff.id, ENROLMENT_TIMEOUT
        )
    except InvalidLink:
        expired = {"code": _("The page was open too long. Scan this new code instead.")}
        return _enrol_form(request, second_factor.new_secret(), expired, 422)
    new = NewFactor(secret, values.get("code", ""), values.get("current_code", ""))
    try:
        token = await enrol_second_factor(
            s.pool, s.clock, s.tokens, session, new, client_address(request)
        )
    except WrongCode as wrong:
        field = "current_code" if wrong.which == "current" else "code"
        return _enrol_form(request, secret, {field: wrong_code()}, 422)
    except TooManyAttempts as throttled:
        form = _enrol_form(request, secret, {"code": too_many(throttled)}, 429)
        return with_retry_after(form, throttled)
    response = RedirectResponse(url_path(request, "account.account_page"), status_code=303)
    set_session_cookie(response, s.settings, token)
    return response


def _enrol_form(request: Request, secret: str, errors: dict[str, str], status: int) -> Response:
    session = staff_session(request)
    context = {
        **enrolment_context(request, session.staff, secret),
        "errors": errors,
        "csrf_token": csrf_token(request),
        "replacing": session.staff.has_second_factor,
    }
    return render_door(request, "admin/enrol.html", context, status_code=status)


def enrolment_context(request: Request, staff: Staff, secret: str) -> dict[str, Any]:
    """What an enrolment form shows: the QR code, the secret to type by hand, and the secret
    itself signed into the form, so nothing is stored before a code proves it."""
    s = services(request)
    uri = second_factor.enrolment_uri(secret, staff.email, s.settings.organisation_name)
    return {
        "qr_svg": second_factor.enrolment_qr_svg(uri),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "enrolment": s.tokens.enrolment_token(staff.id, secret),
    }


@staff_page(None, unverified=True)
async def logout(request: Request) -> Response:
    s = services(request)
    await sign_out(s.pool, s.clock, staff_session(request))
    response = RedirectResponse(url_path(request, "auth.login_page"), status_code=303)
    clear_session_cookie(response, s.settings)
    return response


async def welcome_page(request: Request) -> Response:
    s = services(request)
    try:
        staff = await invited_staff(s.pool, s.clock, request.path_params["token"])
    except InvitationInvalid:
        return _link_gone(request)
    return _welcome_form(request, staff, second_factor.new_secret(), {}, 200)


async def accept(request: Request) -> Response:
    if not await anonymous_form_ok(request):
        return forbidden(request)
    s, token = services(request), request.path_params["token"]
    try:
        staff = await invited_staff(s.pool, s.clock, token)
    except InvitationInvalid:
        return _link_gone(request)
    values = form_values(await request.form())
    try:
        secret = s.tokens.read_enrolment_token(
            values.get("enrolment", ""), staff.id, ENROLMENT_TIMEOUT
        )
    except InvalidLink:
        secret = None
    enrolment = Enrolment(secret, values.get("code", "")) if secret else None
    use = LinkUse(
        values.get("password", ""), client_address(request), values.get("code", ""), enrolment
    )
    fresh_secret = secret or second_factor.new_secret()
    try:
        session_token = await accept_invitation(s.pool, s.clock, s.tokens, token, use)
    except PasswordRefused as refused:
        errors = {"password": password_problem(refused.reason)}
        return _welcome_form(request, staff, fresh_secret, errors, 422)
    except WrongCode:
        return _welcome_form(request, staff, fresh_secret, {"code": wrong_code()}, 422)
    except TooManyAttempts as throttled:
        form = _welcome_form(request, staff, fresh_secret, {"code": too_many(throttled)}, 429)
        return with_retry_after(form, throttled)
    except InvitationInvalid:
        return _link_gone(request)
    response = RedirectResponse(url_path(request, "overview.overview"), status_code=303)
    set_session_cookie(response, s.settings, session_token)
    return response


def _welcome_form(
    request: Request, staff: Staff, secret: str, errors: dict[str, str], status: int
) -> Response:
    binding, fresh = form_binding(request)
    enrolling = not staff.has_second_factor and needs_second_factor(staff.role)
    context: dict[str, Any] = {
        "invited": staff,
        "errors": errors,
        "form_token": anonymous_form_token(request, binding),
        "enrolling": enrolling,
        "min_length": passwords.MIN_LENGTH,
        **(enrolment_context(request, staff, secret) if enrolling else {}),
    }
    # In the language the inviter chose for them: the first page of their workspace.
    with services(request).catalogues.activate(staff.locale):
        response = render_door(request, "admin/welcome.html", context, status_code=status)
    if fresh:
        set_form_cookie(response, services(request).settings, binding)
    return response


def _link_gone(request: Request) -> Response:
    return render_error(
        request,
        410,
        _("This sign-in link no longer works"),
        _("It was used already, or it has expired. Ask an administrator for a new one."),
    )


def password_problem(reason: str) -> str:
    return {
        "too_short": _(
            "Choose a password of at least %(min)d characters. A few words you will remember "
            "make a good one."
        )
        % {"min": passwords.MIN_LENGTH},
        "too_long": _("A password can have at most %(max)d characters.")
        % {"max": passwords.MAX_LENGTH},
        "is_email": _("Your password cannot be your email address."),
        "current_wrong": _("Your current password is not right."),
    }[reason]


def wrong_code() -> str:
    return _("That code is not right, or it was used already. Enter the code your app shows now.")


def too_many(throttled: TooManyAttempts) -> str:
    """What a campaigner reads when their guesses are slowed (or the account is closed)."""
    if throttled.everywhere:
        return _(
            "This account has had too many wrong attempts from many places, so it is closed "
            "for up to an hour. Ask an administrator of your team for help."
        )
    return _("Too many wrong attempts from here. You can try again %(when)s.") % {
        "when": format_wait(throttled.wait)
    }


def with_retry_after(response: Response, throttled: TooManyAttempts) -> Response:
    response.headers["Retry-After"] = str(whole_seconds(throttled.wait))
    return response
