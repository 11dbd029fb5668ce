"""Errors, answered in the reader's language: a page for people, JSON for the API."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from campaign_engine.domain.errors import (
    ActionClosed,
    ActionNotFound,
    ActionRemoved,
    CaseNotFound,
)
from campaign_engine.i18n import _
from campaign_engine.web.api import api_error
from campaign_engine.web.middleware import BodyTooLarge
from campaign_engine.web.rendering import PRIVATE, render

log = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, code: str, title: str, message: str) -> Response:
    if _is_api(request):
        return api_error(status, code, message)
    return render(
        request,
        "public/error.html",
        {"status": status, "title": title, "message": message},
        status_code=status,
        cache=PRIVATE,
    )


async def not_found(request: Request, exc: Exception) -> Response:
    return _error_page(
        request,
        404,
        "not_found",
        _("Page not found"),
        _("We could not find this page. It may have moved, or the address may be mistyped."),
    )


async def action_removed(request: Request, exc: Exception) -> Response:
    return _error_page(
        request,
        410,
        "action_removed",
        _("This urgent action has been removed"),
        _("This urgent action is no longer available."),
    )


async def action_closed(request: Request, exc: Exception) -> Response:
    return _error_page(
        request,
        410,
        "action_closed",
        _("This urgent action has closed"),
        _("This urgent action no longer takes signatures. Thank you for wanting to act."),
    )


async def body_too_large(request: Request, exc: Exception) -> Response:
    return _error_page(
        request,
        413,
        "too_large",
        _("Too much to send"),
        _("What you sent is too large. Please shorten it and try again."),
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return await not_found(request, exc)
    if exc.status_code == 405:
        return _error_page(
            request,
            405,
            "method_not_allowed",
            _("This page cannot do that"),
            _("This address does not accept that kind of request."),
        )
    return _error_page(
        request,
        exc.status_code,
        "bad_request",
        _("Something was wrong with the request"),
        _("We could not understand what your browser sent. Please try again."),
    )


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error_page(
        request,
        500,
        "server_error",
        _("Something went wrong on our side"),
        _("Please try again in a moment. If you were signing, your signature may not be saved."),
    )


EXCEPTION_HANDLERS: Mapping[type[Exception] | int, Handler] = {
    HTTPException: http_error,
    ActionNotFound: not_found,
    CaseNotFound: not_found,
    ActionRemoved: action_removed,
    ActionClosed: action_closed,
    BodyTooLarge: body_too_large,
    Exception: server_error,
}
