"""Errors, answered in the reader's language: a page for people, JSON for the API.

Each kind of error has one entry in `ERRORS`: its status, its code in the API, and the title
and message a person reads (marked with `N_` for extraction, translated when answered).

A bug is a 500. PostgreSQL being unreachable is not a bug: `db/outage.database_unreachable`
names the exceptions that mean it, and `ServerErrorPages` answers them with a 503 and `Retry-After`
(or a public page from memory, web/last_good.py), saying so in the log once per outage.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaign_engine.db.outage import DatabaseOutage, database_unreachable
from campaign_engine.domain.errors import (
    ActionClosed,
    ActionNotFound,
    ActionRemoved,
    CaseNotFound,
)
from campaign_engine.domain.health import readiness
from campaign_engine.i18n import N_, _
from campaign_engine.web.api.answers import api_error
from campaign_engine.web.last_good import LastGoodPages, RememberLastGood
from campaign_engine.web.middleware import BodyTooLarge, HttpMiddleware, redacted_path
from campaign_engine.web.rendering import render_error
from campaign_engine.web.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorText:
    status: int
    code: str
    title: str
    message: str


ERRORS = {
    "not_found": ErrorText(
        404,
        "not_found",
        N_("Page not found"),
        N_("We could not find this page. It may have moved, or the address may be mistyped."),
    ),
    "action_removed": ErrorText(
        410,
        "action_removed",
        N_("This urgent action has been removed"),
        N_("This urgent action is no longer available."),
    ),
    "action_closed": ErrorText(
        410,
        "action_closed",
        N_("This urgent action has closed"),
        N_("This urgent action no longer takes signatures. Thank you for wanting to act."),
    ),
    "too_large": ErrorText(
        413,
        "too_large",
        N_("Too much to send"),
        N_("What you sent is too large. Please shorten it and try again."),
    ),
    "method_not_allowed": ErrorText(
        405,
        "method_not_allowed",
        N_("This page cannot do that"),
        N_("This address does not accept that kind of request."),
    ),
    "bad_request": ErrorText(
        400,
        "bad_request",
        N_("Something was wrong with the request"),
        N_("We could not understand what your browser sent. Please try again."),
    ),
    "server_error": ErrorText(
        500,
        "server_error",
        N_("Something went wrong on our side"),
        N_("Please try again in a moment. If you were signing, your signature may not be saved."),
    ),
    # PostgreSQL is unreachable: one code for the API, a text for what the reader was doing.
    "unavailable": ErrorText(
        503,
        "unavailable",
        N_("Not available right now"),
        N_("We cannot show this right now. Please try again in a minute."),
    ),
    # "May": a commit the server made as it died has no answer to tell us so. Sending again
    # is always safe (a repeat signature counts once; tests/test_database_outage.py).
    "unavailable_signature": ErrorText(
        503,
        "unavailable",
        N_("Please send your signature again"),
        N_(
            "We cannot take signatures right now, so yours may not have been saved. "
            "Please send it again in a minute: it will only count once."
        ),
    ),
    "unavailable_confirmation": ErrorText(
        503,
        "unavailable",
        N_("Your signature is not confirmed yet"),
        N_("We cannot confirm it right now. Please open the link in your email again in a minute."),
    ),
    "unavailable_unsaved": ErrorText(
        503,
        "unavailable",
        N_("Please send this again"),
        N_(
            "We cannot take this right now, so what you sent may not have been saved. "
            "Please send it again in a minute."
        ),
    ),
}

# What a 503 asks a client to wait, in seconds. A restart with crash recovery or a managed
# failover takes from half a minute to two; sooner, a crowd of retries only adds to the storm
# of connections a recovering server meets. It is also the "minute" the pages promise.
RETRY_AFTER_SECONDS = 60

_CODE_FOR_EXCEPTION: Mapping[type[Exception], str] = {
    ActionNotFound: "not_found",
    CaseNotFound: "not_found",
    ActionRemoved: "action_removed",
    ActionClosed: "action_closed",
    BodyTooLarge: "too_large",
}
_CODE_FOR_STATUS = {404: "not_found", 405: "method_not_allowed"}


def error_response(request: Request, code: str, status: int | None = None) -> Response:
    error = ERRORS[code]
    status = status or error.status
    title, message = _(error.title), _(error.message)
    if request.url.path.startswith("/api/"):
        response: Response = api_error(status, error.code, message)
    else:
        response = render_error(request, status, title, message)
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def known_error(request: Request, exc: Exception) -> Response:
    return error_response(request, _CODE_FOR_EXCEPTION[type(exc)])


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _CODE_FOR_STATUS.get(exc.status_code, "bad_request")
    response = error_response(request, code, exc.status_code)
    if exc.status_code == 405:
        # RFC 9110 15.5.6: a 405 names the methods the resource does have.
        response.headers["Allow"] = allowed_methods(request, exc)
    return response


def allowed_methods(request: Request, exc: HTTPException) -> str:
    """Every method some route takes at this path. Starlette's own `Allow` names the methods
    of the first route that matched the path only, and our paths have a route per method (a
    page's GET, its form's POST; the signature POST and its preflight)."""
    methods = set((exc.headers or {}).get("Allow", "").replace(" ", "").split(",")) - {""}
    # Routing a request into a mount rewrites its scope's root_path in place: start again
    # from the app's own root to look at the whole table.
    app_root = request.scope.get("app_root_path", request.scope.get("root_path", ""))
    methods |= methods_at(request.app.router.routes, {**request.scope, "root_path": app_root})
    return ", ".join(sorted(methods))


def methods_at(table: Sequence[BaseRoute], scope: Scope) -> set[str]:
    """The methods the routes of `table` take at the scope's path, inside mounts too."""
    methods: set[str] = set()
    for route in table:
        match, child_scope = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            methods |= methods_at(route.routes, {**scope, **child_scope})
        elif isinstance(route, Route) and route.methods:
            methods |= route.methods
    return methods


Handler = Callable[[Request, Exception], Awaitable[Response]]

EXCEPTION_HANDLERS: Mapping[type[Exception] | int, Handler] = {
    HTTPException: http_error,
    **dict.fromkeys(_CODE_FOR_EXCEPTION, known_error),
}


def unavailable_code(scope: Scope) -> str:
    """Which text a 503 shows: a reader who sent something must know to send it again."""
    if scope["path"].startswith("/confirm/"):  # a GET that writes: the link in the email
        return "unavailable_confirmation"
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return "unavailable"
    if _SIGNING.search(scope["path"]):
        return "unavailable_signature"
    return "unavailable_unsaved"


# The form, the widget's form, the JSON API and OSDI's record_signature helper.
_SIGNING = re.compile(r"/(sign|signatures)$")


class ServerErrorPages(HttpMiddleware):
    """The last resort, just outside the handlers: an exception nothing else handled becomes
    a 500 in the reader's language, with our security headers, and goes no further; an
    unreachable database becomes a 503 with `Retry-After`, or the page as this process last
    answered it when it is a public one (web/last_good.py, remembered here on the way out).

    A bug is logged by its type and traceback only: an exception's message can quote the data
    that caused it, and that data may be a supporter's name or address.
    """

    def __init__(self, app: ASGIApp) -> None:
        # The pages are remembered and recalled in one place, so neither can be wired alone.
        self.last_good = LastGoodPages()
        super().__init__(RememberLastGood(app, self.last_good))
        self.outage = DatabaseOutage()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False
        status = 500

        async def send_noting_start(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception as error:
            unreachable = self._note(scope, error)
            if not started:  # else the client sees the response cut short
                response = self._answer(scope, unreachable)
                await response(scope, receive, send)
            return
        if self.outage.since is not None and status < 500:
            await self.outage.check(lambda: _database_answers(scope))

    def _note(self, scope: Scope, error: Exception) -> bool:
        """Log what went wrong: an outage once, a bug every time. True for an outage."""
        cause = database_unreachable(error)
        if cause is not None:
            self.outage.began(cause)
            return True
        log.error(
            "unhandled %s on %s %s\n%s",
            type(error).__name__,
            scope["method"],
            redacted_path(scope["path"]),
            "".join(traceback.format_tb(error.__traceback__)),
        )
        return False

    def _answer(self, scope: Scope, unreachable: bool) -> Response:
        if not unreachable:
            return error_response(Request(scope), "server_error")
        remembered = self.last_good.recall(scope)
        return remembered or error_response(Request(scope), unavailable_code(scope))


async def _database_answers(scope: Scope) -> bool:
    services: Services = Request(scope).state.services
    checks = await readiness(services.pool, services.queue)
    return checks["postgresql"]
