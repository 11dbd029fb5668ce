"""Webhooks carried: each signed POST (messages/webhook_post.py) sent to its receiver.

Answers are sorted like the other senders': 2xx is sent; 429, 5xx, a timeout or a connection
that failed come back later; anything else (a 4xx, a redirect we do not follow) stops.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiohttp

from campaign_engine.messages.webhook_post import WebhookPost
from campaign_engine.models.delivery import SendOutcome, SendResult

# Well inside the outbox lease; a receiver that takes longer should answer first, work later.
POST_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class PostOutcome:
    """What came of one POST, for the outbox and for the delivery log."""

    result: SendResult
    status_code: int | None  # None: no answer
    duration_ms: int


class WebhookSender:
    """One HTTP session for every post of a worker, opened on first use."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def post(self, post: WebhookPost) -> PostOutcome:
        started = time.monotonic()
        try:
            async with self._client().post(
                post.url, data=post.body, headers=post.headers(), allow_redirects=False
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as failure:
            result = SendResult(SendOutcome.TEMPORARY, type(failure).__name__)
            return PostOutcome(result, None, _since(started))
        return PostOutcome(_sorted(status), status, _since(started))

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT_SECONDS)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _sorted(status: int) -> SendResult:
    if 200 <= status < 300:
        return SendResult(SendOutcome.SENT, f"http {status}")
    if status == 429 or status >= 500:
        return SendResult(SendOutcome.TEMPORARY, f"http {status}")
    return SendResult(SendOutcome.PERMANENT, f"http {status}")


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
