"""ASGI middleware: the reader's language, response headers, body limits and a quiet access log."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaign_engine import i18n

access_log = logging.getLogger("campaign_engine.access")
security_log = logging.getLogger("campaign_engine.security")

MAX_BODY_BYTES = 64 * 1024
# Forwarded mail may carry an official's attachments.
LARGER_BODIES = {
    "/webhooks/email": 25 * 1024 * 1024,
    # A CSV of targets may be 2 MB (domain/targets/target_import.py), plus the upload's own
    # wrapping.
    "/admin/targets/import": 3 * 1024 * 1024,
    # A network's members (domain/network/member_file.py): up to 32 MB.
    "/admin/network/import": 33 * 1024 * 1024,
}
# The workspace's forms carry long texts (a story, a letter: up to 50,000 characters), and a
# character of Arabic, Chinese or Russian takes 6 to 9 bytes once a form encodes it.
WORKSPACE_PREFIX, WORKSPACE_BODY_BYTES = "/admin/", 1024 * 1024


def locale_for(scope: Scope) -> str:
    """The language of a request: the first path segment when it is one of ours; for the API a
    `?locale=`; else the reader's `Accept-Language`."""
    first = scope["path"].lstrip("/").split("/", 1)[0]
    if i18n.is_supported(first):
        return str(first)
    if first == "api":
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        asked = i18n.supported(query.get("locale", [""])[0])
        if asked is not None:
            return asked
    return i18n.negotiate(Headers(scope=scope).get("accept-language"))


class HttpMiddleware:
    """Pure ASGI middleware that acts on HTTP requests and lets anything else through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.handle(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class LocaleMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, catalogues: i18n.Catalogues) -> None:
        super().__init__(app)
        self.catalogues = catalogues

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self.catalogues.activate(locale_for(scope)):
            await self.app(scope, receive, send)


# Nothing on our pages comes from another origin: no CDN, no fonts, no analytics, no scripts
# at all yet. The policy makes the browser enforce that, and refuses framing of every page.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


# An action page whose form asks for a proof of work runs one script of ours (static/pow.js),
# which fetches its challenge from us: nothing else changes.
PROOF_OF_WORK_POLICY = CONTENT_SECURITY_POLICY.replace(
    "default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';"
)


# The widget (web/public/embed.py) is the one page meant to be framed, by its partner's origins
# only. It runs one script of ours (the frame's resizer: CSP forbids inline scripts) and sets no
# cookie, so a browser blocking third-party cookies changes nothing.
EMBED_PATH = re.compile(r"^/[^/]+/embed/")


def embed_policy(frame_ancestors: Sequence[str]) -> str:
    """The widget's policy: framed by `frame_ancestors` (origins), or by our own pages only
    when there are none."""
    ancestors = " ".join(frame_ancestors) or "'self'"
    return (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
        "connect-src 'self'; "
        f"form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    )


# A year, subdomains included (ASVS 3.4.1): once a browser has seen us over HTTPS it never
# tries plain HTTP again, so a network in the middle cannot strip the TLS off a supporter.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

# No page of ours uses a camera, a microphone, the reader's location, motion sensors, payment,
# USB or the browser's interest topics: none may, nor may anything a page of ours frames.
PERMISSIONS_POLICY = (
    "accelerometer=(), browsing-topics=(), camera=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), payment=(), usb=()"
)
# A window of ours shares no browsing context group with another site's, so a page that opens
# ours (or that ours opens: a share link) cannot reach it through window.opener. It acts on top
# windows only: the widget, in a partner's iframe, is unaffected.
CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# What other sites may load from us without CORS (<script>, <img>, a frame under COEP): by
# default nothing. The widget and what its partners' pages load from us are the exception:
# /embed.js (a <script> on their pages), the widget page itself (their iframe, which a page
# with Cross-Origin-Embedder-Policy refuses without this), and /static (the widget's styles
# and script, and anything a partner links to).
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
SHARED_WITH_PARTNERS = re.compile(r"^(/embed\.js$|/static/|/[^/]+/embed/)")
# A page isolated across origins (COEP) frames only documents that are isolated too. The
# widget loads nothing but its own files, so it costs nothing to say so.
WIDGET_EMBEDDER_POLICY = "require-corp"


class SecurityHeadersMiddleware(HttpMiddleware):
    """The headers every response carries (docs/security.md).

    `hsts`: production, served over HTTPS only. Browsers are told so (HSTS), and no page served
    over plain HTTP may frame the widget: a stored `http://` partner origin is left out of its
    frame-ancestors (the workspace refuses new ones in production: domain/integrations/partners.py).
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        super().__init__(app)
        self.hsts = hsts

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # X-Frame-Options knows no list of origins; on the widget frame-ancestors alone decides
        # (browsers obey it over X-Frame-Options anyway), and its errors keep 'none' by default.
        embed = EMBED_PATH.match(scope["path"]) is not None
        shared = SHARED_WITH_PARTNERS.match(scope["path"]) is not None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if not embed:
                    headers.setdefault("X-Frame-Options", "DENY")
                else:
                    headers.setdefault("Cross-Origin-Embedder-Policy", WIDGET_EMBEDDER_POLICY)
                    if self.hsts:
                        headers["Content-Security-Policy"] = secure_ancestors_only(
                            headers["Content-Security-Policy"]
                        )
                # Links in emails carry tokens; never pass a URL of ours to another site.
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
                headers.setdefault("Cross-Origin-Opener-Policy", CROSS_ORIGIN_OPENER_POLICY)
                headers.setdefault(
                    "Cross-Origin-Resource-Policy",
                    "cross-origin" if shared else CROSS_ORIGIN_RESOURCE_POLICY,
                )
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
            await send(message)

        await self.app(scope, receive, send_with_headers)


_warned_origins: set[str] = set()


def secure_ancestors_only(policy: str) -> str:
    """The widget's policy without the `http://` origins in its frame-ancestors (our own
    'self' when none is left), each left out logged once a process: a partner's record, saved
    before the rule, to change to https:// (docs/partners.md)."""
    directives = [directive.strip() for directive in policy.split(";")]
    for index, directive in enumerate(directives):
        name, _space, sources = directive.partition(" ")
        if name != "frame-ancestors":
            continue
        kept = []
        for source in sources.split():
            if source.startswith("http://"):
                if source not in _warned_origins:
                    _warned_origins.add(source)
                    security_log.warning("plain-HTTP partner origin %s may not frame", source)
            else:
                kept.append(source)
        directives[index] = "frame-ancestors " + (" ".join(kept) or "'self'")
    return "; ".join(directives)


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware(HttpMiddleware):
    """Refuse request bodies over a limit, announced by Content-Length or streamed.

    The refusal is raised where the handler reads the body, so the error handlers answer it
    like any other error: a page in the reader's language, or the API's JSON.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        super().__init__(app)
        self.limit = limit

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = LARGER_BODIES.get(scope["path"]) or (
            WORKSPACE_BODY_BYTES if scope["path"].startswith(WORKSPACE_PREFIX) else self.limit
        )
        declared = Headers(scope=scope).get("content-length", "")
        announced_too_large = declared.isdigit() and int(declared) > limit
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if announced_too_large:
                raise BodyTooLarge
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge
            return message

        await self.app(scope, limited_receive, send)


# Paths that carry a secret: logged without it. A member's link (`network`) changes their
# choices, an alert's (`act`) signs in their name, "this wasn't me" (`not-me`) erases.
_SECRET_PATHS = re.compile(
    r"^/(confirm|admin/welcome|unsubscribe|preview|privacy|network|act|not-me|follow)/[^/]+"
)


def redacted_path(path: str) -> str:
    """A path as it may be logged: `/confirm/<token>` becomes `/confirm/…` (and so do the
    workspace's sign-in links, unsubscribe and preview links), and characters
    that could forge a log line (a decoded `%0a`) are written as escapes."""
    path = _SECRET_PATHS.sub(r"/\1/…", path)
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in path)


class AccessLogMiddleware(HttpMiddleware):
    """One line per request: method, path (secrets cut out, no query), status, milliseconds.

    No client address and no query string: either could identify a supporter.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
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
            elapsed = (time.perf_counter() - started) * 1000
            path = redacted_path(scope["path"])
            access_log.info("%s %s %d %.1fms", scope["method"], path, status, elapsed)
