"""Load shed on purpose: each web process works on at most MAX_IN_FLIGHT requests at once.

One more is refused at once: 503 with `Retry-After`, in the reader's language (the texts of
a database outage, which say what to do: a signer is asked to send again, and a repeat only
ever counts once), before a byte of it is read or stored. So nothing acknowledged is lost, and
a surge beyond what the machine can do meets quick refusals a client can retry, not queues
that grow until every request times out (throughput falls as load rises: congestion collapse).

Pages held in memory (web/page_cache.py) are answered before this count and never refused;
nor are the health checks, which must say how the process is, not that it is busy.
"""

from __future__ import annotations

import logging
import random

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from campaign_engine import i18n
from campaign_engine.web.errors import error_response, unavailable_code
from campaign_engine.web.middleware import HttpMiddleware

log = logging.getLogger(__name__)

NEVER_REFUSED = frozenset({"/healthz", "/readyz"})
# A refused client is asked to come back within a few seconds, at a random moment, so the
# crowd that was refused together does not return together.
RETRY_AFTER = (1, 5)


class InFlightBudget(HttpMiddleware):
    def __init__(self, app: ASGIApp, budget: int) -> None:
        super().__init__(app)
        self.budget = budget
        self.in_flight = 0
        self.refusing = False  # said once in the log per spell of refusals
        self._refusals: dict[tuple[str, str, bool], tuple[list[tuple[bytes, bytes]], bytes]] = {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.budget and self.in_flight >= self.budget and scope["path"] not in NEVER_REFUSED:
            await self._refuse(scope, receive, send)
            return
        if self.refusing and self.in_flight < self.budget // 2:
            self.refusing = False
            log.warning("taking every request again")
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The refusal, made once per language and kind of request and kept: refusing must
        cost next to nothing, or the refusals themselves starve the requests in hand."""
        if not self.refusing:
            self.refusing = True
            log.warning("busy: %d requests at once; refusing more with 503", self.in_flight)
        key = (unavailable_code(scope), i18n.active().tag, scope["path"].startswith("/api/"))
        refusal = self._refusals.get(key)
        if refusal is None:
            response = error_response(Request(scope), key[0])
            refusal = self._refusals[key] = (
                [(n, v) for n, v in response.raw_headers if n != b"retry-after"],
                bytes(response.body),
            )
        headers, body = refusal
        wait = random.randint(*RETRY_AFTER)  # noqa: S311  # nosec B311 # jitter, not a secret
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [*headers, (b"retry-after", str(wait).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
