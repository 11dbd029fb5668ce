"""`bench alert`: an action published to a network of many members, on a stack of its own.

It measures what issue 14 asks of an alert: alerts per second into the SMTP sink and the time
from publishing to the last one, with worker processes sending them and one of them killed
with SIGKILL while the alert goes out (a fresh one started in its place): every member must
get their alert, and the sink must see no Message-ID twice beyond what a kill in mid-send may
repeat. Then the one-click acts that follow: a tenth of the members signing from their alert
through the web processes, as fast as 64 connections go, against the rate the issue names (a
tenth of the network within ten minutes).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass

import aiohttp

from campaign_engine import jobs
from campaign_engine.bench.stack import SLUG, BenchStack, campaigner, prepare, wait_until_ready
from campaign_engine.clock import SystemClock
from campaign_engine.db.campaigns import action_editing
from campaign_engine.db.personal import synthetic
from campaign_engine.db.pool import Pool
from campaign_engine.dev.mailbox import free_port
from campaign_engine.domain.campaigns.action_lifecycle import publish_action
from campaign_engine.domain.signing.consent import wording_id
from campaign_engine.models.campaigns import ActionStatus
from campaign_engine.models.signing import ConsentScope, ConsentText
from campaign_engine.security.tokens import Tokens

# The languages the made-up members read, in turn: the action is in English only, so each
# reads it in English, the first of theirs it has.
LANGUAGES = [["en"], ["fr", "en"], ["ar", "en"], ["zh-Hans", "en"], ["es", "en"]]
MEMBERS_PER_STATEMENT = 20_000
ALERTS = """
SELECT count(*) FILTER (WHERE status IN ('sent', 'delivered')) AS sent, count(*) AS written
FROM deliveries WHERE kind = 'network_alert' AND action_id = $1
"""
ALERTED = """
SELECT supporter_id FROM deliveries
WHERE kind = 'network_alert' AND action_id = $1 ORDER BY supporter_id LIMIT $2
"""
CONFIRMED = "SELECT count(*) FROM signatures WHERE action_id = $1 AND status = 'confirmed'"
AT_MOST_SECONDS = 1800
ACT_CONNECTIONS = 64
ACTS_WITHIN = 600  # a tenth of the network acts within ten minutes


@dataclass(frozen=True)
class Acts:
    done: int
    seconds: float
    latencies: list[float]
    statuses: Counter[int]

    @property
    def rate(self) -> float:
        return self.done / max(self.seconds, 0.001)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def run_alert(members: int, workers: int, acting: float) -> int:
    with BenchStack(record_mail=True) as stack:
        return asyncio.run(_alert(stack, members, workers, acting))


async def _alert(stack: BenchStack, members: int, workers: int, acting: float) -> int:
    pool = await stack.pool()
    try:
        action_id = await _network(pool, members)
        staff, _session = await campaigner(pool, stack)
        pids = [stack.start("worker") for _ in range(workers)]
        await asyncio.sleep(3)  # the workers start
        queue_pool = await jobs.connect(stack.environ["REDIS_URL"])
        started = time.time()
        await publish_action(pool, SystemClock(), staff, SLUG, jobs.JobQueue(queue_pool))
        await queue_pool.aclose()
        killed = await _kill_one_mid_alert(stack, pool, action_id, pids, members)
        sent = await _until_sent(pool, action_id, members)
        sunk = stack.sink.messages()
        acts = await _acts(stack, pool, action_id, int(members * acting))
        confirmed = int(await pool.fetchval(CONFIRMED, action_id))
    finally:
        await pool.close()
    ids = Counter(m.message_id for m in sunk)
    times = sorted(m.at for m in sunk)
    last = times[-1] - started if times else 0.0
    first = times[0] - started if times else 0.0
    spread = max(times[-1] - times[0], 0.001) if times else 0.001
    repeated = sum(n - 1 for n in ids.values() if n > 1)
    complete = sent == members and len(ids) == members
    acted = acts.done == confirmed == int(members * acting)
    print(
        f"campaign-engine bench alert: one action published to {members} members, "
        f"{workers} worker process(es), one killed with SIGKILL {killed}\n"
        f"  first alert  {first:.1f} s after publishing\n"
        f"  last alert   {last:.1f} s after publishing\n"
        f"  rate         {len(ids) / spread:.0f} alerts/s into the sink "
        f"(first to last), {len(ids) / max(last, 0.001):.0f}/s from publishing\n"
        f"  delivered    {len(ids)} members of {members}, {repeated} repeated by the kill "
        f"(same Message-ID)\n"
        f"  one-click    {acts.done} acts in {acts.seconds:.1f} s: {acts.rate:.0f}/s "
        f"(needed: {int(members * acting) / ACTS_WITHIN:.0f}/s), "
        f"p50 {acts.percentile(50) * 1000:.0f} ms, p99 {acts.percentile(99) * 1000:.0f} ms, "
        f"answers {dict(acts.statuses)}; {confirmed} confirmed signatures\n"
        f"  verdict      "
        + ("every member alerted, every act counted" if complete and acted else "LOST OR SHORT"),
        flush=True,
    )
    return 0 if complete and acted else 1


async def _network(pool: Pool, members: int) -> int:
    """The bench's action, back to a draft, and `members` active members; its id."""
    action_id = await prepare(pool)
    batch = str(time.time_ns())
    async with pool.acquire() as conn, conn.transaction():
        await action_editing.set_status(conn, action_id, ActionStatus.DRAFT, SystemClock().now())
        shown = ConsentText(ConsentScope.NETWORK, "en", "Alert me (benchmark).")
        text_id = await wording_id(conn, shown)
    for first in range(0, members, MEMBERS_PER_STATEMENT):
        count = min(MEMBERS_PER_STATEMENT, members - first)
        async with pool.acquire() as conn:
            await synthetic.insert_synthetic_members(conn, first, count, batch, LANGUAGES, text_id)
    return action_id


async def _kill_one_mid_alert(
    stack: BenchStack, pool: Pool, action_id: int, pids: list[int], members: int
) -> str:
    """SIGKILL the first worker once a tenth of the alerts are written, and start another."""
    deadline = time.monotonic() + AT_MOST_SECONDS
    while time.monotonic() < deadline:
        row = await pool.fetchrow(ALERTS, action_id)
        assert row is not None
        if row["written"] >= members // 10:
            os.kill(pids[0], signal.SIGKILL)
            stack.start("worker")
            return f"with {row['written']} alerts written and {row['sent']} sent"
        await asyncio.sleep(0.05)
    return "never: the alert did not start"


async def _until_sent(pool: Pool, action_id: int, members: int) -> int:
    deadline = time.monotonic() + AT_MOST_SECONDS
    sent = 0
    while time.monotonic() < deadline:
        row = await pool.fetchrow(ALERTS, action_id)
        assert row is not None
        sent = int(row["sent"])
        if sent >= members:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)  # the sink records the last ones
    return sent


async def _acts(stack: BenchStack, pool: Pool, action_id: int, count: int) -> Acts:
    """`count` members sign from their alert's link, through two web processes."""
    port = free_port()
    stack.start("serve", "--port", str(port), "--workers", "2")
    base = f"http://127.0.0.1:{port}"
    await wait_until_ready(base)
    tokens = Tokens(stack.environ["SECRET_KEY"])
    members = [row["supporter_id"] for row in await pool.fetch(ALERTED, action_id, count)]
    links = [f"{base}/act/{tokens.act_token(m, action_id, 'en')}" for m in members]
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    work: asyncio.Queue[str] = asyncio.Queue()
    for link in links:
        work.put_nowait(link)
    form = {"name": "Bench Member", "country": "GB"}

    async def act(session: aiohttp.ClientSession) -> None:
        while not work.empty():
            link = work.get_nowait()
            began = time.perf_counter()
            async with session.post(link, data=form, allow_redirects=False) as answer:
                await answer.read()
                statuses[answer.status] += 1
            latencies.append(time.perf_counter() - began)

    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=ACT_CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(act(session) for _ in range(ACT_CONNECTIONS)))
    seconds = time.perf_counter() - started
    return Acts(statuses[303], seconds, latencies, statuses)
