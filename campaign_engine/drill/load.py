"""Signatures offered to the JSON API at a constant rate while a fault comes and goes, each
request kept with what came of it.

An open loop, as the signing benchmark's: a request leaves when it is due, whether or not the
ones before it were answered, so a server in trouble cannot slow the load down and hide it.
Each signer has an address of their own, in X-Forwarded-For too (the app believes loopback),
so no per-client limit or suspicion stands between a signature and its confirmation email.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import aiohttp

from campaign_engine.bench.signing import SIGNATURE_PATH

# Longer than any answer may honestly take; a request still unanswered then has no answer.
ANSWER_WITHIN_SECONDS = 30


@dataclass(frozen=True)
class Answer:
    """One signature offered: to whom, when it left and was answered (the epoch), and how:
    an HTTP status, or the failure that stood for one (the connection refused, cut, or
    nothing within ANSWER_WITHIN_SECONDS)."""

    email: str
    sent_at: float
    answered_at: float
    status: int | None
    retry_after: str | None = None
    failure: str | None = None


async def sign_until(base: str, rate: int, done: asyncio.Event) -> list[Answer]:
    """Offer `rate` signatures a second until `done` is set; every answer, once all came."""
    run = uuid.uuid4().hex[:8]
    connector = aiohttp.TCPConnector(limit=512)
    timeout = aiohttp.ClientTimeout(total=ANSWER_WITHIN_SECONDS)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        requests = []
        n = 0
        while not done.is_set():
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            requests.append(asyncio.create_task(_sign(session, n, f"drill.{run}.{n}@example.org")))
            n += 1
        return list(await asyncio.gather(*requests))


async def _sign(session: aiohttp.ClientSession, n: int, email: str) -> Answer:
    body = {"name": f"Drill Signer {n}", "email": email, "country": "GB", "locale": "en"}
    forwarded = {"X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
    sent_at = time.time()
    try:
        async with session.post(SIGNATURE_PATH, json=body, headers=forwarded) as response:
            await response.read()
            return Answer(
                email, sent_at, time.time(), response.status, response.headers.get("Retry-After")
            )
    except (aiohttp.ClientError, TimeoutError) as failure:
        return Answer(email, sent_at, time.time(), None, failure=type(failure).__name__)
