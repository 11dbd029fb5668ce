"""The last good answer of each public page, kept in this process for when PostgreSQL is down.

A page that is the same for every reader says so itself: `Cache-Control: public`, and with
`stale-if-error=N` it lets a shared cache serve it up to N seconds old while the origin fails
(RFC 5861; web/rendering.py, web/api/public.py). This process keeps such answers in the same spirit:
the newest answer to each plain GET is remembered, and while the database is unreachable
(web/errors.py) a request for it is answered from memory, with `Age` saying how old it is,
for as long as the page's own `stale-if-error` allows. That covers the home pages, action
pages, case pages and the count API; what a page does not mark so is never kept (the widget
asks for no stale serving, the workspace and every error are `no-store`).

Nothing personal can be kept: an answer is remembered only for a request without a query
string (one may carry a partner's attribution, a campaign tag or anything a person typed), and
never if it sets a cookie or varies on a request header. Memory is bounded by count and bytes,
the least recently stored page going first; remembering is one dictionary write per page.

This is the first half of a page cache: the performance work can serve these same entries
while they are fresh (`s-maxage`) under the same rules.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaign_engine.web.middleware import HttpMiddleware

MAX_PAGES = 1000
MAX_BYTES = 16 * 1024 * 1024
# A page larger than this is not worth a sixteenth of the memory.
MAX_PAGE_BYTES = MAX_BYTES // 16


@dataclass(frozen=True)
class RememberedPage:
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    stored_at: float
    usable_for: float  # seconds after stored_at, from the page's stale-if-error


def stale_if_error(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """How long an answer (its raw headers, names in lower case as ASGI has them) may be
    served stale when the origin fails, if it may be shared at all; None for anything
    private, personal or varying by request. One pass: it runs on every public answer."""
    cache_control = b""
    for name, value in headers:
        if name in (b"set-cookie", b"vary"):
            return None
        if name == b"cache-control":
            cache_control = value.lower()
    return _stale_if_error(cache_control)


@lru_cache(maxsize=64)  # the handlers use a handful of constant values
def _stale_if_error(cache_control: bytes) -> int | None:
    directives = {part.strip() for part in cache_control.decode("latin-1").split(",")}
    if "public" not in directives or {"private", "no-store", "no-cache"} & directives:
        return None
    for directive in directives:
        name, _equals, value = directive.partition("=")
        if name == "stale-if-error" and value.isdigit():
            return int(value)
    return None


class LastGoodPages:
    """Public pages as last answered, by path; bounded, least recently stored dropped first."""

    def __init__(
        self,
        *,
        max_pages: int = MAX_PAGES,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_pages, self.max_bytes, self.clock = max_pages, max_bytes, clock
        self._pages: OrderedDict[str, RememberedPage] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def size(self) -> int:
        """The bytes of the bodies held."""
        return self._bytes

    @staticmethod
    def may_hold(scope: Scope) -> bool:
        return scope["method"] in ("GET", "HEAD") and not scope.get("query_string")

    def remember(
        self, path: str, headers: tuple[tuple[bytes, bytes], ...], body: bytes, usable_for: int
    ) -> None:
        """Keep a page's 200 answer (its headers as the app gave them, before the outer
        middleware add theirs), replacing the older one."""
        if len(body) > MAX_PAGE_BYTES:
            return
        self._forget(path)
        self._pages[path] = RememberedPage(headers, body, self.clock(), usable_for)
        self._bytes += len(body)
        while len(self._pages) > self.max_pages or self._bytes > self.max_bytes:
            self._forget(next(iter(self._pages)))

    def recall(self, scope: Scope) -> Response | None:
        """The page as last answered, if it is still usable; its `Age` in whole seconds."""
        page = self._pages.get(scope["path"]) if self.may_hold(scope) else None
        if page is None:
            return None
        age = self.clock() - page.stored_at
        if age > page.usable_for:
            return None
        response = Response(page.body)
        response.raw_headers = [*page.headers, (b"age", str(int(age)).encode())]
        return response

    def _forget(self, path: str) -> None:
        gone = self._pages.pop(path, None)
        if gone is not None:
            self._bytes -= len(gone.body)


class RememberLastGood(HttpMiddleware):
    """Remembers every answer `LastGoodPages` may hold, as it goes out."""

    def __init__(self, app: ASGIApp, pages: LastGoodPages) -> None:
        super().__init__(app)
        self.pages = pages

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "GET" or not self.pages.may_hold(scope):
            await self.app(scope, receive, send)
            return
        # Decided once the headers are known: anything else (a CSV export, a page marked
        # no-store) is passed on without a byte kept.
        headers: tuple[tuple[bytes, bytes], ...] = ()
        usable_for: int | None = None
        chunks: list[bytes] = []
        size, complete = 0, False

        async def send_noting_page(message: Message) -> None:
            nonlocal headers, usable_for, size, complete
            if message["type"] == "http.response.start" and message["status"] == 200:
                # A copy: the middleware outside add their headers to this very list.
                headers = tuple(message.get("headers", ()))
                usable_for = stale_if_error(headers)
            elif message["type"] == "http.response.body" and usable_for is not None:
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_PAGE_BYTES:
                    usable_for, chunks[:] = None, []
                else:
                    chunks.append(chunk)
                    complete = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, send_noting_page)
        if usable_for is not None and complete:
            self.pages.remember(scope["path"], headers, b"".join(chunks), usable_for)
