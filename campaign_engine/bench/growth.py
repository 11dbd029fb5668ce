"""The growth benchmark: what a campaigner's pages and a signer's confirmation cost as one
action grows from thousands of signatures to a million.

On a stack of its own it fills the benchmark's action with confirmed signers (in batches,
through the product's sealing: db/personal/synthetic.py), measures at the base size, fills on
to the full size, measures again, and prints each figure at both sizes with their ratio (the
goal: within 2×). Measured, each the median of TRIES after one try unmeasured:

- the dashboard's count (`read_dashboard`, what a view costs PostgreSQL when nothing is held);
- the dashboard viewed, `GET /admin/actions/bench`, a campaigner signed in (a web process holds
  a dashboard that was slow to count: domain/campaigns/dashboard.py);
- the abuse page, `GET /admin/actions/bench/abuse`;
- an export's first byte, `GET …/export/signatures.csv?status=all` until its first chunk;
- a confirmation, `GET /confirm/<token>` of a signature the sign flow made a moment before;
- an invalidation, of a wave of WAVE signatures by their domain, the exact recount of the
  whole action included (the domain's verb, which the abuse page's form calls).

Nothing here asserts a speed; it exits non-zero only when an answer was not the one expected.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from campaign_engine import jobs
from campaign_engine.bench.stack import SLUG, BenchStack, campaigner, prepare, wait_until_ready
from campaign_engine.clock import SystemClock
from campaign_engine.db.personal import subjects, synthetic
from campaign_engine.db.pool import Pool
from campaign_engine.dev.mailbox import free_port
from campaign_engine.domain.campaigns.dashboard import read_dashboard
from campaign_engine.domain.signing.abuse import NO_CLIENT_LIMITS
from campaign_engine.domain.signing.counts import recount
from campaign_engine.domain.signing.invalidations import invalidate, preview_invalidation
from campaign_engine.domain.signing.signatures import SignatureBatches, sign_action
from campaign_engine.models.signing import InvalidationCriteria, SignatureRequest
from campaign_engine.models.workspace import Staff
from campaign_engine.security.tokens import Tokens

TRIES = 5
WAVE = 20  # signatures an invalidation takes
BATCH = 50_000  # signers per filling statement
DASHBOARD = f"/admin/actions/{SLUG}"
ABUSE = f"/admin/actions/{SLUG}/abuse"
EXPORT = f"/admin/actions/{SLUG}/export/signatures.csv?status=all"
SIGNATURE_OF = "SELECT id FROM signatures WHERE supporter_id = $1 AND action_id = $2"
FIGURES = (
    "dashboard, counted",
    "dashboard, viewed",
    "abuse page",
    "export, first byte",
    "confirmation",
    "invalidation",
)


@dataclass
class Growth:
    """The stack's parts a measure needs."""

    pool: Pool
    queue: jobs.JobQueue
    tokens: Tokens
    actor: Staff
    action_id: int
    http: aiohttp.ClientSession
    made: int = 0  # signers signed by the measures themselves, for fresh addresses


def run_growth(signatures: int, base: int) -> int:
    with BenchStack() as stack:
        port = free_port()
        return asyncio.run(_grow(stack, port, signatures, base))


async def _grow(stack: BenchStack, port: int, signatures: int, base: int) -> int:
    pool = await stack.pool()
    queue = jobs.JobQueue(await jobs.connect(stack.environ["REDIS_URL"]))
    try:
        action_id = await prepare(pool)
        actor, session = await campaigner(pool, stack)
        stack.start("serve", "--port", str(port))
        await wait_until_ready(f"http://127.0.0.1:{port}")
        async with aiohttp.ClientSession(
            f"http://127.0.0.1:{port}", cookies={"ce-session": session}
        ) as http:
            growth = Growth(
                pool, queue, Tokens(stack.environ["SECRET_KEY"]), actor, action_id, http
            )
            await _fill(pool, action_id, 0, base)
            small = await _measure(growth)
            started = time.perf_counter()
            await _fill(pool, action_id, base, signatures)
            filled = time.perf_counter() - started
            large = await _measure(growth)
    finally:
        await pool.close()
    _report(base, signatures, filled, small, large)
    return 0


async def _fill(pool: Pool, action_id: int, have: int, want: int) -> None:
    """Confirmed signers from `have` up to `want`, then the count made exact and the planner
    told (as autovacuum would, a little later)."""
    async with pool.acquire() as conn:
        for start in range(have, want, BATCH):
            async with conn.transaction():
                count = min(BATCH, want - start)
                await synthetic.insert_synthetic_signers(conn, action_id, count, f"g{start}")
        async with conn.transaction():
            await recount(conn, action_id)
        await conn.execute("ANALYZE")


async def _measure(growth: Growth) -> dict[str, float]:
    """Each figure's median in milliseconds."""
    ways: dict[str, Callable[[Growth], Awaitable[float]]] = {
        "dashboard, counted": _dashboard_count,
        "dashboard, viewed": lambda g: _page(g, DASHBOARD),
        "abuse page": lambda g: _page(g, ABUSE),
        "export, first byte": _first_byte,
        "confirmation": _confirmation,
        "invalidation": _invalidation,
    }
    found = {}
    for name, way in ways.items():
        times = [await way(growth) for _try in range(TRIES + 1)]
        found[name] = statistics.median(times[1:])
    return found


class Stopwatch:
    """Milliseconds from entering to leaving: what a way makes beforehand is not timed."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.ms = (time.perf_counter() - self.started) * 1000


async def _dashboard_count(growth: Growth) -> float:
    with Stopwatch() as watch:
        await read_dashboard(growth.pool, SystemClock(), SLUG, "en")
    return watch.ms


async def _page(growth: Growth, path: str) -> float:
    with Stopwatch() as watch:
        async with growth.http.get(path, allow_redirects=False) as response:
            await response.read()
    _expect(response.status, 200, path)
    return watch.ms


async def _first_byte(growth: Growth) -> float:
    with Stopwatch() as watch:
        async with growth.http.get(EXPORT) as response:
            await response.content.readany()
            _expect(response.status, 200, EXPORT)
    return watch.ms


async def _confirmation(growth: Growth) -> float:
    [signature_id] = await _signed(growth, "confirm.example", 1)
    path = f"/confirm/{growth.tokens.confirmation_token(signature_id)}"
    with Stopwatch() as watch:
        async with growth.http.get(path, allow_redirects=False) as response:
            await response.read()
    _expect(response.status, 303, "/confirm/…")
    return watch.ms


async def _invalidation(growth: Growth) -> float:
    domain = f"wave{uuid.uuid4().hex[:8]}.example"
    await _signed(growth, domain, WAVE)
    criteria = InvalidationCriteria(domain=domain)
    _heading, matched = await preview_invalidation(growth.pool, SLUG, "en", criteria)
    with Stopwatch() as watch:
        done = await invalidate(
            growth.pool, SystemClock(), growth.actor, SLUG, criteria, matched.total
        )
    _expect(done.signatures, WAVE, "signatures invalidated")
    return watch.ms


async def _signed(growth: Growth, domain: str, count: int) -> list[uuid.UUID]:
    """`count` pending signatures from `domain`, made by the sign flow; their ids."""
    ids = []
    for _n in range(count):
        growth.made += 1
        email = f"s{growth.made}@{domain}"
        request = SignatureRequest(
            name="Bench Signer",
            email=email,
            country="GB",
            phone=None,
            comment=None,
            consent_updates=False,
            consent_partner=False,
            consent_sms=False,
            anonymous=False,
            partner=None,
            source=None,
            locale="en",
            client_address=None,
        )
        await sign_action(
            SignatureBatches(growth.pool, growth.queue),
            growth.tokens,
            SLUG,
            request,
            limits=NO_CLIENT_LIMITS,
        )
        async with growth.pool.acquire() as conn:
            supporter_id = await subjects.find_supporter(conn, email)
            ids.append(await conn.fetchval(SIGNATURE_OF, supporter_id, growth.action_id))
    return ids


def _expect(found: object, expected: object, what: str) -> None:
    if found != expected:
        raise SystemExit(f"bench growth: {what} gave {found}, not {expected}")


def _report(
    base: int, signatures: int, filled: float, small: dict[str, float], large: dict[str, float]
) -> None:
    added = signatures - base
    lines = [
        f"campaign-engine bench: one action growing from {base:,} to {signatures:,} "
        "confirmed signatures",
        f"  fill         {added:,} signers in {filled:.0f} s ({added / filled:,.0f}/s), "
        "batched through the product's sealing",
        f"  {'':19}{'at ' + format(base, ','):>14}{'at ' + format(signatures, ','):>16}"
        f"{'ratio':>9}   (goal: within 2×, median of {TRIES})",
    ]
    for name in FIGURES:
        ratio = large[name] / max(small[name], 0.001)
        lines.append(
            f"  {name:19}{small[name]:>11.1f} ms{large[name]:>13.1f} ms{ratio:>8.1f}×"
            + ("" if ratio <= 2 else "   over")
        )
    print("\n".join(lines), flush=True)
