"""Errors, answered in the reader's language: a page for people, JSON for the API.

Each kind of error has one entry in `ERRORS`: its status, its code in the API, and the title
and message a person reads (marked with `N_` for extraction, translated when answered).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from campaign_engine.domain.errors import (
    ActionClosed,
    ActionNotFound,
    ActionRemoved,
    CaseNotFound,
)
from campaign_engine.i18n import N_, _
from campaign_engine.web.api import api_error
from campaign_engine.web.middleware import BodyTooLarge, HttpMiddleware, redacted_path
from campaign_engine.web.rendering import render_error

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
}

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
        return api_error(status, error.code, message)
    return render_error(request, status, title, message)


async def known_error(request: Request, exc: Exception) -> Response:
    return error_response(request, _CODE_FOR_EXCEPTION[type(exc)])


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _CODE_FOR_STATUS.get(exc.status_code, "bad_request")
    return error_response(request, code, exc.status_code)


Handler = Callable[[Request, Exception], Awaitable[Response]]

EXCEPTION_HANDLERS: Mapping[type[Exception] | int, Handler] = {
    HTTPException: http_error,
    **dict.fromkeys(_CODE_FOR_EXCEPTION, known_error),
}


class ServerErrorPages(HttpMiddleware):
    """The last resort, just outside the handlers: an exception nothing else handled becomes
    a 500 in the reader's language, with our security headers, and goes no further.

    It is logged by its type and traceback only: an exception's message can quote the data
    that caused it, and that data may be a supporter's name or address.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception as error:
            log.error(
                "unhandled %s on %s %s\n%s",
                type(error).__name__,
                scope["method"],
                redacted_path(scope["path"]),
                "".join(traceback.format_tb(error.__traceback__)),
            )
            if not started:  # else the client sees the response cut short
                response = error_response(Request(scope), "server_error")
                await response(scope, receive, send)
