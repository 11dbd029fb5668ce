"""Public pages held as bytes in each web process, so that a surge reads memory, not
PostgreSQL, and pays for Jinja once a second rather than once a reader.

What is held: the 200 answer to a GET without a query string that says any cache may share it
(`Cache-Control: public`, no cookie, no `Vary`: the rule of web/last_good.py): the home pages,
action pages, case pages, the public API's actions and counts. A query string is never held (it
may carry a partner's attribution or anything a person typed), nor anything personal.

For how long: FRESH_FOR, one second. So each process asks PostgreSQL for a page at most once a
second however many read it; a counter is at most a second behind; a deadline that passes
closes the page within a second. When a held page is older, the first request renders it again
while the others are still served the held one (for at most STALE_FOR more): one render, not a
stampede. A render that began before a change is never held after it (`generation`).

Dropped at once when what the pages show changes: each process listens on PostgreSQL's
`public_pages` channel (migration 0024's triggers notify at commit), and a workspace write
empties its own process's pages before its answer goes out, so the campaigner's next request
never meets the old page. While the listener is not connected, nothing is held.

Held with each page: a strong ETag (a hash of its bytes; `If-None-Match` gets a 304) and, for
text above a kilobyte, its bytes gzipped once, for whoever accepts gzip (`Vary: Accept-Encoding`).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaign_engine.domain.campaigns.action_pages import watch_page_changes
from campaign_engine.web.last_good import stale_if_error
from campaign_engine.web.middleware import HttpMiddleware

log = logging.getLogger(__name__)

FRESH_FOR = 1.0  # seconds a page is served as held
STALE_FOR = 5.0  # seconds more it may be served while one request renders it again
GZIP_ABOVE = 1024  # bytes: smaller answers are not worth compressing
MAX_PAGES = 2000
MAX_BYTES = 32 * 1024 * 1024  # both variants of every page held
MAX_PAGE_BYTES = 1024 * 1024
WATCH_RETRY = 1.0  # seconds between attempts to listen again
# Workspace writes (every POST under it) change what pages show; a signature does not.
WORKSPACE = "/admin/"

Headers = list[tuple[bytes, bytes]]
_VARY_ENCODING = (b"vary", b"Accept-Encoding")


@dataclass
class HeldPage:
    stored_at: float
    etag: bytes
    plain: tuple[Headers, bytes]
    gzipped: tuple[Headers, bytes] | None
    not_modified: Headers
    refreshing: bool = field(default=False)

    @property
    def size(self) -> int:
        return len(self.plain[1]) + (len(self.gzipped[1]) if self.gzipped else 0)


class PageCache:
    """The pages this process holds, by path; bounded, the least recently stored first out."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.watching = False  # pages are held only while changes can be heard
        self.generation = 0  # moved on at each change: a render from before is not held
        self._pages: OrderedDict[str, HeldPage] = OrderedDict()
        self._bytes = 0
        self.rendering: dict[str, asyncio.Future[HeldPage | None]] = {}  # by path

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, path: str) -> HeldPage | None:
        return self._pages.get(path)

    def changed(self) -> None:
        """Something the pages show has changed: none of them is served again."""
        self.generation += 1
        self._pages.clear()
        self._bytes = 0

    def start_watching(self) -> None:
        self.changed()  # what changed while nobody listened is not known
        self.watching = True

    def stop_watching(self) -> None:
        self.watching = False
        self.changed()

    def forget(self, path: str) -> None:
        gone = self._pages.pop(path, None)
        if gone is not None:
            self._bytes -= gone.size

    def hold(self, path: str, headers: Headers, body: bytes, generation: int) -> HeldPage:
        """The page built from an answer (its headers as the app gave them); kept unless a
        change came while it was rendered, or it is too big."""
        page = build_page(headers, body, self.clock())
        self.forget(path)
        if generation == self.generation and self.watching and len(body) <= MAX_PAGE_BYTES:
            self._pages[path] = page
            self._bytes += page.size
            while len(self._pages) > MAX_PAGES or self._bytes > MAX_BYTES:
                self.forget(next(iter(self._pages)))
        return page


def build_page(headers: Headers, body: bytes, now: float) -> HeldPage:
    etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
    kept = [(name, value) for name, value in headers if name != b"content-length"]
    compress = len(body) > GZIP_ABOVE and _is_text(headers)
    vary = [(b"vary", b"accept-encoding")] if compress else []
    common = [*kept, (b"etag", etag), *vary]
    plain = ([*common, (b"content-length", str(len(body)).encode())], body)
    gzipped = None
    if compress:
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        gzipped = (
            [
                *common,
                (b"content-encoding", b"gzip"),
                (b"content-length", str(len(packed)).encode()),
            ],
            packed,
        )
    not_modified = [(n, v) for n, v in common if n in (b"etag", b"cache-control", b"vary")]
    return HeldPage(now, etag, plain, gzipped, not_modified)


def _is_text(headers: Headers) -> bool:
    for name, value in headers:
        if name == b"content-type":
            return value.startswith((b"text/", b"application/json", b"application/javascript"))
    return False


class FreshPages(HttpMiddleware):
    """Answers from PageCache what it holds fresh; renders and holds what it may."""

    def __init__(self, app: ASGIApp, cache: PageCache) -> None:
        super().__init__(app)
        self.cache = cache

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method in ("GET", "HEAD"):
            if scope.get("query_string") or not self.cache.watching:
                await self.app(scope, receive, send)
                return
            page = self.cache.get(scope["path"])
            if page is not None:
                age = self.cache.clock() - page.stored_at
                if age < FRESH_FOR or (page.refreshing and age < FRESH_FOR + STALE_FOR):
                    await serve(page, scope, send)
                    return
                if method == "GET":  # this request renders it again
                    page.refreshing = True
            rendering = self.cache.rendering.get(scope["path"])
            if rendering is not None:  # one render per page at a time; the others wait for it
                fresh = await asyncio.shield(rendering)
                if fresh is not None:
                    await serve(fresh, scope, send)
                    return
            if method == "GET" and rendering is None:
                await self._render(scope, receive, send, page)
            else:
                await self.app(scope, receive, send)
        elif scope["path"].startswith(WORKSPACE):
            await self.app(scope, receive, self._changing(send))
        else:
            await self.app(scope, receive, send)

    async def _render(
        self, scope: Scope, receive: Receive, send: Send, stale: HeldPage | None
    ) -> None:
        """Pass the request on; if the answer may be held, hold it and answer from it. Other
        requests for the page meanwhile wait for this one's answer."""
        held: asyncio.Future[HeldPage | None] = asyncio.get_running_loop().create_future()
        self.cache.rendering[scope["path"]] = held
        try:
            await self._render_into(held, scope, receive, send, stale)
        finally:
            if not held.done():
                held.set_result(None)
            self.cache.rendering.pop(scope["path"], None)

    async def _render_into(
        self,
        held: asyncio.Future[HeldPage | None],
        scope: Scope,
        receive: Receive,
        send: Send,
        stale: HeldPage | None,
    ) -> None:
        generation = self.cache.generation
        start: Message | None = None
        chunks: list[bytes] = []
        unavailable = False
        # Rendered as for a reader who takes no compression: the page is held as it is, and
        # gzipped here once (the GZip middleware inside compresses only what is not held).
        scope = {
            **scope,
            "headers": [h for h in scope["headers"] if h[0] != b"accept-encoding"],
        }  # busy, or PostgreSQL away: the page as held will do meanwhile

        async def keep(message: Message) -> None:
            nonlocal start, unavailable
            if message["type"] == "http.response.start":
                # The GZip middleware's `Vary: Accept-Encoding` is ours to say (build_page).
                headers = [h for h in message.get("headers", ()) if h != _VARY_ENCODING]
                if message["status"] == 200 and stale_if_error(headers) is not None:
                    start = {**message, "headers": headers}
                    return
                if message["status"] == 503 and stale is not None:
                    unavailable = True
                    return
            elif message["type"] == "http.response.body" and (start is not None or unavailable):
                chunks.append(message.get("body", b""))
                return
            await send(message)

        await self.app(scope, receive, keep)
        if unavailable and stale is not None:
            await serve(stale, scope, send)
            return
        if start is None:
            self.cache.forget(scope["path"])  # gone, closed to caching, or failed: not held
            return
        headers = list(start.get("headers", ()))
        page = self.cache.hold(scope["path"], headers, b"".join(chunks), generation)
        held.set_result(page)
        await serve(page, scope, send)

    def _changing(self, send: Send) -> Send:
        """A workspace write that succeeded empties the pages before its answer goes out."""

        async def send_after_forgetting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                self.cache.changed()
            await send(message)

        return send_after_forgetting


async def serve(page: HeldPage, scope: Scope, send: Send) -> None:
    if_none_match, accepts_gzip = _conditions(tuple(scope["headers"]))
    if if_none_match and (page.etag in if_none_match or if_none_match.strip() == b"*"):
        await send({"type": "http.response.start", "status": 304, "headers": page.not_modified})
        await send({"type": "http.response.body", "body": b""})
        return
    headers, body = page.gzipped if accepts_gzip and page.gzipped else page.plain
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})


def _conditions(headers: tuple[tuple[bytes, bytes], ...]) -> tuple[bytes, bool]:
    if_none_match, accept_encoding = b"", b""
    for name, value in headers:
        if name == b"if-none-match":
            if_none_match = value
        elif name == b"accept-encoding":
            accept_encoding = value
    return if_none_match, _accepts_gzip(accept_encoding)


@lru_cache(maxsize=256)  # browsers send a handful of distinct values
def _accepts_gzip(accept_encoding: bytes) -> bool:
    for coding in accept_encoding.decode("latin-1").lower().split(","):
        name, _semicolon, parameters = coding.partition(";")
        if name.strip() in ("gzip", "*"):
            return parameters.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


async def watch_for_changes(database_url: str, cache: PageCache) -> None:
    """Hold pages only while PostgreSQL can tell this process that they changed; listen
    again after a lost connection. Runs for the life of the web process."""
    while True:
        lost = asyncio.Event()
        try:
            watch = await watch_page_changes(database_url, cache.changed, lost.set)
        except Exception as error:  # unreachable, or an asyncpg error as PostgreSQL starts or stops
            log.debug("cannot listen for page changes yet: %s", type(error).__name__)
            await asyncio.sleep(WATCH_RETRY)
            continue
        cache.start_watching()
        try:
            await lost.wait()
        finally:
            cache.stop_watching()
            await watch.close()
        await asyncio.sleep(WATCH_RETRY)
