"""ASGI middleware: the reader's language, response headers, body limits and a quiet access log."""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaign_engine import i18n

access_log = logging.getLogger("campaign_engine.access")

MAX_BODY_BYTES = 64 * 1024


def locale_for(scope: Scope) -> str:
    """The language of a request: the first path segment when it is one of ours; for the API a
    `?locale=`; else the reader's `Accept-Language`."""
    first = scope["path"].lstrip("/").split("/", 1)[0]
    if i18n.is_supported(first):
        return str(first)
    if first == "api":
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        asked = query.get("locale", [""])[0]
        if i18n.is_supported(asked):
            return asked
    return i18n.negotiate(Headers(scope=scope).get("accept-language"))


class LocaleMiddleware:
    def __init__(self, app: ASGIApp, catalogues: i18n.Catalogues) -> None:
        self.app = app
        self.catalogues = catalogues

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.catalogues.activate(locale_for(scope)):
            await self.app(scope, receive, send)


# Nothing on our pages comes from another origin: no CDN, no fonts, no analytics, no scripts
# at all yet. The policy makes the browser enforce that, and refuses framing of every page.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                # Links in emails carry tokens; never pass a URL of ours to another site.
                headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse request bodies over a limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await _refuse_too_large(send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge
            return message

        await self.app(scope, limited_receive, send)


async def _refuse_too_large(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": b"Request body too large.\n"})


# Paths that carry a secret: logged without it.
_SECRET_PATHS = re.compile(r"^/(confirm)/[^/]+")


class AccessLogMiddleware:
    """One line per request: method, path (secrets cut out, no query), status, milliseconds.

    No client address and no query string: either could identify a supporter.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            path = _SECRET_PATHS.sub(r"/\1/…", scope["path"])
            elapsed = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %d %.1fms", scope["method"], path, status, elapsed)
