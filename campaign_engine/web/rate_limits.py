"""Rate limits on the JSON API: a fixed window counter in Redis per API key, and per client
(a keyed hash of its address) for the public signature POST; and the once-only marks the
proof of work keeps (web/public/proof_of_work.py).

Redis holds only keyed hashes: never an address, never a key. When Redis is unreachable
(docs/operations.md), two deliberate choices, said once in the log with the outage
(jobs.Reachability) and costing a request no wait once the outage is known:

- a limit lets the request through: it sheds load, and one that failed closed would turn a
  Redis outage into an outage of the API (fraud is judged in PostgreSQL, docs/abuse.md);
- a once-only mark is kept in this process's memory instead, so a replay to the same
  process is still caught (one to another web process is not, until Redis is back).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass

from campaign_engine.jobs import QueueConnection, Unreachable

WINDOW_SECONDS = 60
# A script paging through signatures reads 100 a request: 600 requests a minute is 60,000
# signatures a minute, far more than any sync needs, and little for our database.
PER_KEY = 600
# Once-only marks kept in memory while Redis is unreachable: at most this many (the oldest
# go first), about 10 MB. Ten minutes of proofs of work at 80 signatures a second.
MARKS_IN_MEMORY = 50_000


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


class MarksInMemory:
    """Once-only marks held by this process, each until its time is up. Every mark lives
    as long (the proof of work's age), so the oldest is always the first to end."""

    def __init__(self, most: int = MARKS_IN_MEMORY) -> None:
        self._most = most
        self._until: OrderedDict[str, float] = OrderedDict()

    def seen(self, name: str) -> bool:
        self._forget_ended()
        return name in self._until

    def mark(self, name: str, seconds: int) -> None:
        self._forget_ended()
        while len(self._until) >= self._most:
            self._until.popitem(last=False)
        self._until[name] = time.monotonic() + seconds

    def _forget_ended(self) -> None:
        now = time.monotonic()
        while self._until and next(iter(self._until.values())) <= now:
            self._until.popitem(last=False)


class RateLimiter:
    """Counts in the app's own Redis connection (the queue's): nothing more to open or close."""

    def __init__(self, redis: QueueConnection, secret: str) -> None:
        self.redis = redis
        self._secret = secret.encode()
        self._marks = MarksInMemory()

    async def hit(self, bucket: str, identity: str, limit: int) -> Verdict:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now))
        hashed = hashlib.sha256(self._secret + b"\x00" + identity.encode()).hexdigest()[:32]
        try:
            count = await self.redis.reachability.call(
                lambda: self._count(f"ratelimit:{bucket}:{hashed}:{window}")
            )
        except Unreachable:
            return Verdict(True, 0)
        return Verdict(count <= limit, retry_after)

    async def first_use(self, name: str, seconds: int) -> bool:
        """Whether `name` is marked here for the first time within `seconds`."""
        if self._marks.seen(name):  # marked while Redis was away
            return False
        try:
            first = await self.redis.reachability.call(
                lambda: self.redis.set(name, b"1", nx=True, ex=seconds)
            )
        except Unreachable:
            self._marks.mark(name, seconds)
            return True
        return bool(first)

    async def _count(self, name: str) -> int:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.incr(name)
            pipe.expire(name, WINDOW_SECONDS + 5)
            count, _ = await pipe.execute()
        return int(count)
