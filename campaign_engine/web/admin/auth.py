"""The way into the workspace: sign in, give the second factor (or enrol one), accept an
invitation, sign out."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import passwords, second_factor
from campaign_engine.domain.access import needs_second_factor
from campaign_engine.domain.errors import (
    InvitationInvalid,
    PasswordRefused,
    SignInRefused,
    TooManyAttempts,
    WrongCode,
)
from campaign_engine.domain.sign_in import (
    ENROLMENT_TIMEOUT,
    NextStep,
    confirm_second_factor,
    current_session,
    enrol_second_factor,
    sign_in,
    sign_out,
)
from campaign_engine.domain.staff import Enrolment, accept_invitation, invited_staff
from campaign_engine.i18n import _
from campaign_engine.models import Staff
from campaign_engine.tokens import InvalidLink
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
from campaign_engine.web.rendering import render_error
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
    except TooManyAttempts:
        problem = _(
            "Too many attempts for this address. Wait an hour, or ask an administrator for a "
            "new sign-in link."
        )
        return _login_form(request, {**values, "next": next_page}, problem, 429)
    target = {
        NextStep.DONE: next_page,
        NextStep.SECOND_FACTOR: f"/admin/second-factor?next={next_page}",
        NextStep.ENROL: "/admin/enrol",
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
    session = staff_session(request)
    if session.verified:
        return RedirectResponse("/admin", status_code=303)
    if not session.staff.has_second_factor:
        return RedirectResponse("/admin/enrol", status_code=303)
    next_page = safe_next(request.query_params.get("next"))
    return _code_form(request, next_page, "", 200)


@staff_page(None, unverified=True)
async def give_second_factor(request: Request) -> Response:
    s, session = services(request), staff_session(request)
    if session.verified:
        return RedirectResponse("/admin", status_code=303)
    values = form_values(await request.form())
    next_page = safe_next(values.get("next"))
    try:
        token = await confirm_second_factor(
            s.pool, s.clock, s.tokens, session, values.get("code", "")
        )
    except WrongCode:
        return _code_form(request, next_page, _wrong_code(), 401)
    except TooManyAttempts:
        return _code_form(request, next_page, _too_many_codes(), 429)
    response = RedirectResponse(next_page, status_code=303)
    set_session_cookie(response, s.settings, token)
    return response


def _code_form(request: Request, next_page: str, problem: str, status: int) -> Response:
    context = {"next": next_page, "problem": problem, "csrf_token": csrf_token(request)}
    return render_door(request, "admin/second-factor.html", context, status_code=status)


@staff_page(None, unverified=True)
async def enrol_page(request: Request) -> Response:
    return _enrol_form(request, second_factor.new_secret(), "", 200)


@staff_page(None, unverified=True)
async def enrol(request: Request) -> Response:
    s, session = services(request), staff_session(request)
    values = form_values(await request.form())
    try:
        secret = s.tokens.read_enrolment_token(
            values.get("enrolment", ""), session.staff.id, ENROLMENT_TIMEOUT
        )
    except InvalidLink:
        expired = _("The page was open too long. Scan this new code instead.")
        return _enrol_form(request, second_factor.new_secret(), expired, 422)
    try:
        token = await enrol_second_factor(
            s.pool, s.clock, s.tokens, session, secret, values.get("code", "")
        )
    except WrongCode:
        return _enrol_form(request, secret, _wrong_code(), 422)
    except TooManyAttempts:
        return _enrol_form(request, secret, _too_many_codes(), 429)
    response = RedirectResponse("/admin/account" if session.verified else "/admin", status_code=303)
    set_session_cookie(response, s.settings, token)
    return response


def _enrol_form(request: Request, secret: str, problem: str, status: int) -> Response:
    session = staff_session(request)
    context = {
        **enrolment_context(request, session.staff, secret),
        "problem": problem,
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
    response = RedirectResponse("/admin/login", status_code=303)
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
    try:
        session_token = await accept_invitation(
            s.pool,
            s.clock,
            token,
            values.get("password", ""),
            code=values.get("code", ""),
            enrolment=enrolment,
        )
    except PasswordRefused as refused:
        errors = {"password": password_problem(refused.reason)}
        return _welcome_form(request, staff, secret or second_factor.new_secret(), errors, 422)
    except WrongCode:
        errors = {"code": _wrong_code()}
        return _welcome_form(request, staff, secret or second_factor.new_secret(), errors, 422)
    except InvitationInvalid:
        return _link_gone(request)
    response = RedirectResponse("/admin", status_code=303)
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


def _wrong_code() -> str:
    return _("That code is not right, or it was used already. Enter the code your app shows now.")


def _too_many_codes() -> str:
    return _("Too many codes were tried. Wait an hour, or ask an administrator for help.")
