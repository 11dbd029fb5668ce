"""A campaigner's own account: their language, their password, their second factor."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.errors import PasswordRefused, TooManyAttempts
from campaign_engine.domain.workspace.sign_in import change_password, set_language
from campaign_engine.security import passwords
from campaign_engine.web.admin.guard import form_values, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.admin.workspace.auth import password_problem, too_many, with_retry_after
from campaign_engine.web.rendering import url_path
from campaign_engine.web.services import client_address, services


@staff_page(None)
async def account_page(request: Request) -> Response:
    return _account(request)


@staff_page(None)
async def choose_language(request: Request) -> Response:
    s = services(request)
    locale = i18n.supported(form_values(await request.form()).get("locale", ""))
    if locale is not None:
        await set_language(s.pool, s.clock, staff_session(request), locale)
    return RedirectResponse(url_path(request, "account.account_page"), status_code=303)


@staff_page(None)
async def new_password(request: Request) -> Response:
    s = services(request)
    values = form_values(await request.form())
    try:
        await change_password(
            s.pool,
            s.clock,
            s.tokens,
            staff_session(request),
            values.get("current_password", ""),
            values.get("new_password", ""),
            client_address(request),
        )
    except PasswordRefused as refused:
        field = "current_password" if refused.reason == "current_wrong" else "new_password"
        return _account(request, {field: password_problem(refused.reason)}, 422)
    except TooManyAttempts as throttled:
        form = _account(request, {"current_password": too_many(throttled)}, 429)
        return with_retry_after(form, throttled)
    return _account(request, {}, 200, changed=True)


def _account(
    request: Request, errors: dict[str, str] | None = None, status: int = 200, changed: bool = False
) -> Response:
    context = {
        "languages": [(tag, i18n.native_name(tag)) for tag in i18n.LOCALES],
        "errors": errors or {},
        "changed": changed,
        "min_length": passwords.MIN_LENGTH,
    }
    return render_admin(request, "admin/account.html", context, status_code=status)
