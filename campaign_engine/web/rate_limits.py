"""Rate limits on the JSON API: a fixed window counter in Redis per API key, and per client
(a keyed hash of its address) for the public signature POST.

Redis holds only keyed hashes: never an address, never a key. When Redis is unreachable the
request is let through (and that is logged once): a limit that failed closed would turn a
Redis outage into an outage of the API.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import redis.asyncio
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# A script paging through signatures reads 100 a request: 600 requests a minute is 60,000
# signatures a minute, far more than any sync needs, and little for our database.
PER_KEY = 600
# Signatures from one address (a person, or everyone behind one proxy or carrier's NAT), on all
# actions: the default of the SIGNATURES_PER_CLIENT setting. This sheds load, and answers 429;
# fraud is met below it, without an answer that differs (domain/abuse.py).
PER_CLIENT_SIGNATURES = 600


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


class RateLimiter:
    """Counts in the app's own Redis connection (the queue's): nothing more to open or close."""

    def __init__(self, redis: redis.asyncio.Redis, secret: str) -> None:
        self.redis = redis  # shared with the proof of work's spent challenges
        self._secret = secret.encode()
        self._warned = False

    async def hit(self, bucket: str, identity: str, limit: int) -> Verdict:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now))
        hashed = hashlib.sha256(self._secret + b"\x00" + identity.encode()).hexdigest()[:32]
        name = f"ratelimit:{bucket}:{hashed}:{window}"
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(name)
                pipe.expire(name, WINDOW_SECONDS + 5)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            if not self._warned:
                log.warning("rate limits off while Redis is unreachable: %r", error)
                self._warned = True
            return Verdict(True, 0)
        self._warned = False
        return Verdict(int(count) <= limit, retry_after)
