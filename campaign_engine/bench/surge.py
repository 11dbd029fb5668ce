"""The surge benchmark: the routes a viral urgent action hammers, each beside its floor.

On a stack of its own it starts the product (`serve --workers N` and a `worker`) and the floor
(bench/floor.py: a page held as bytes, one durable INSERT per signature) with as many
processes, on the same PostgreSQL, and drives both with `wrk` (closed loop, fixed connections),
one after the other, for several rounds, so that what else the machine is doing weighs on both
alike. It prints each figure beside the floor's and the ratio, the load average before and
after, and checks that every acknowledged signature was stored.

Nothing here asserts a speed; it exits non-zero only when something acknowledged was lost.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess  # nosec B404 # the benchmark runs wrk, the load generator
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from campaign_engine.bench import confirmations
from campaign_engine.bench.floor import CREATE, PAGE_FILE
from campaign_engine.bench.stack import (
    SLUG,
    BenchStack,
    children_of,
    memory_mib,
    prepare,
    wait_until_ready,
)
from campaign_engine.dev.mailbox import free_port

PAGE_PATH = f"/en/actions/{SLUG}"
COUNT_PATH = f"/api/v1/actions/{SLUG}/count"
JSON_SIGN_PATH = f"/api/v1/actions/{SLUG}/signatures"
FORM_SIGN_PATH = f"/en/actions/{SLUG}/sign"
# Well past the product's budget (MAX_IN_FLIGHT per web process): the rest must be refused.
OVERLOAD_CONNECTIONS = 600
STORED = "SELECT count(*) FROM signatures s JOIN actions a ON a.id = s.action_id WHERE a.slug = $1"

# Each signature from a signer and an address of its own (the app believes loopback's
# X-Forwarded-For), so the per-action checks run as in production.
SIGNING_SCRIPT = """
local counter = 1
local threads = {}
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  n = 0
  statuses = {}
  run, form = args[1], args[2] == "form"
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  for status, n in pairs(totals) do
    io.write(string.format("status %d %d\\n", status, n))
  end
end
function request()
  n = n + 1
  local email = string.format("s%d.%d.%s@example.org", id, n, run)
  local forwarded = string.format("10.%d.%d.%d", id, math.floor(n / 256) % 256, n % 256)
  if form then
    return wrk.format("POST", nil, {
      ["Content-Type"] = "application/x-www-form-urlencoded", ["X-Forwarded-For"] = forwarded,
    }, "name=Bench+Signer&country=GB&email=" .. email)
  end
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json", ["X-Forwarded-For"] = forwarded,
  }, '{"name":"Bench Signer","country":"GB","locale":"en","email":"' .. email .. '"}')
end
"""


@dataclass(frozen=True)
class Figure:
    """One wrk run: completed requests per second, the 99th percentile, and how many
    answers were not 2xx/3xx (or never came)."""

    rate: float
    p99_ms: float
    requests: int
    refused: int
    statuses: dict[int, int]  # for signing runs: how many answers of each status
    timeouts: int


@dataclass(frozen=True)
class Pair:
    name: str
    product: list[Figure]
    floor: list[Figure]

    def ratio(self) -> float:
        product = statistics.median(f.rate for f in self.product)
        return product / max(statistics.median(f.rate for f in self.floor), 0.001)


def run_surge(web_processes: int, seconds: int, connections: int, rounds: int) -> int:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("bench surge drives the load with wrk: `apt-get install wrk` first")
    with BenchStack(record_mail=True) as stack:
        asyncio.run(_prepare(stack))
        product, floor = free_port(), free_port()
        serve = stack.start("serve", "--port", str(product), "--workers", str(web_processes))
        worker = stack.start("worker")
        asyncio.run(wait_until_ready(f"http://127.0.0.1:{product}"))
        page = asyncio.run(_fetch(f"http://127.0.0.1:{product}{PAGE_PATH}"))
        (stack.data / PAGE_FILE).write_bytes(page)
        floor_server = stack.start_module(
            "uvicorn", "campaign_engine.bench.floor:app", "--port", str(floor),
            "--workers", str(web_processes), "--no-access-log", "--log-level", "warning",
        )  # fmt: skip
        asyncio.run(_fetch(f"http://127.0.0.1:{floor}/page", wait=60))
        load_before = os.getloadavg()
        run = Runner(wrk, stack.data, seconds, connections)
        pairs = run.pairs(f"http://127.0.0.1:{product}", f"http://127.0.0.1:{floor}", rounds)
        overload = run.overload(f"http://127.0.0.1:{product}", OVERLOAD_CONNECTIONS)
        load_after = os.getloadavg()
        memory = {
            "web processes": [memory_mib(pid) for pid in children_of(serve)],
            "worker": [memory_mib(worker)],
            "floor processes": [memory_mib(pid) for pid in children_of(floor_server)],
        }
        under_surge = confirmations.delays(stack)
        stack.stop(worker)  # a backlog: signatures with nobody sending their emails
        backlog_signed = run.measure(f"http://127.0.0.1:{product}{JSON_SIGN_PATH}", "json")
        worker, backlog = confirmations.drain(stack)
        stored = asyncio.run(_stored(stack))
    acknowledged = sum(
        f.requests - f.refused for p in pairs if "signing" in p.name for f in p.product
    )
    acknowledged += overload.statuses.get(202, 0) + backlog_signed.statuses.get(202, 0)
    _report(pairs, web_processes, connections, seconds, load_before, load_after)
    print(
        f"  overload     wrk -c{OVERLOAD_CONNECTIONS} on signing: "
        f"{overload.statuses.get(202, 0) / seconds:.0f}/s accepted, answers {overload.statuses}, "
        f"{overload.timeouts} timeouts, p99 {overload.p99_ms:.0f} ms",
        flush=True,
    )
    print(
        "  memory       "
        + "; ".join(
            f"{name} {' '.join(f'{m:.0f}' for m in mib)} MiB" for name, mib in memory.items()
        ),
        flush=True,
    )
    print("\n".join(confirmations.describe(under_surge, backlog)), flush=True)
    print(
        f"  stored       {stored} signature rows for {acknowledged} acknowledged "
        + ("(none lost)" if stored >= acknowledged else f"({acknowledged - stored} LOST)"),
        flush=True,
    )
    return 0 if stored >= acknowledged else 1


class Runner:
    def __init__(self, wrk: str, folder: Path, seconds: int, connections: int) -> None:
        self.wrk, self.seconds, self.connections = wrk, seconds, connections
        self.script = folder / "sign.lua"
        self.script.write_text(SIGNING_SCRIPT)

    def pairs(self, product: str, floor: str, rounds: int) -> list[Pair]:
        routes = [
            ("action page", f"{product}{PAGE_PATH}", f"{floor}/page", None),
            ("count", f"{product}{COUNT_PATH}", f"{floor}/page", None),
            ("signing, JSON", f"{product}{JSON_SIGN_PATH}", f"{floor}/sign", "json"),
            ("signing, form", f"{product}{FORM_SIGN_PATH}", f"{floor}/sign", "form"),
        ]
        found = {name: Pair(name, [], []) for name, *_ in routes}
        for _round in range(rounds):
            for name, ours, theirs, signing in routes:
                found[name].product.append(self.measure(ours, signing))
                # The floor's INSERT takes the JSON body whichever form the product read.
                found[name].floor.append(self.measure(theirs, signing and "json"))
        return list(found.values())

    def overload(self, product: str, connections: int) -> Figure:
        """Signing with far more connections than the processes' budgets together."""
        return self.measure(f"{product}{JSON_SIGN_PATH}", "json", connections)

    def measure(self, url: str, signing: str | None, connections: int = 0) -> Figure:
        command = [
            self.wrk, "-t2", f"-c{connections or self.connections}", f"-d{self.seconds}s",
            "--latency", "--timeout", "10s",
        ]  # fmt: skip
        if signing:
            command += ["-s", str(self.script), url, "--", uuid.uuid4().hex[:8], signing]
        else:
            command.append(url)
        output = subprocess.run(  # nosec B603 # a fixed argv of ours, no shell
            command, capture_output=True, text=True, check=True
        ).stdout
        return _figure(output)


def _figure(output: str) -> Figure:
    rate = float(_search(r"Requests/sec:\s+([\d.]+)", output))
    requests = int(_search(r"(\d+) requests in", output))
    refused = int(_search(r"Non-2xx or 3xx responses: (\d+)", output, "0"))
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors:
        refused += sum(int(n) for n in errors.groups())
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99_ms = float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")
    statuses = {int(s): int(n) for s, n in re.findall(r"^status (\d+) (\d+)$", output, re.M)}
    timeouts = int(errors.group(4)) if errors else 0
    return Figure(rate, p99_ms, requests, refused, statuses, timeouts)


def _search(pattern: str, text: str, default: str | None = None) -> str:
    found = re.search(pattern, text)
    if found is None:
        if default is None:
            raise ValueError(f"wrk said nothing matching {pattern!r}:\n{text}")
        return default
    return found.group(1)


async def _prepare(stack: BenchStack) -> None:
    pool = await stack.pool()
    try:
        await prepare(pool)
        await pool.execute(CREATE)
    finally:
        await pool.close()


async def _fetch(url: str, wait: float = 0) -> bytes:
    async with aiohttp.ClientSession() as session:
        for _attempt in range(int(wait * 5) + 1):
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return await response.read()
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200")


async def _stored(stack: BenchStack) -> int:
    pool = await stack.pool()
    try:
        return int(await pool.fetchval(STORED, SLUG))
    finally:
        await pool.close()


def _report(
    pairs: list[Pair],
    web: int,
    connections: int,
    seconds: int,
    before: tuple[float, float, float],
    after: tuple[float, float, float],
) -> None:
    lines = [
        f"campaign-engine bench surge: {web} web process(es) and the floor with as many, "
        f"wrk -c{connections} for {seconds} s a run, {len(pairs[0].product)} rounds, "
        f"{os.cpu_count()} CPUs shared with wrk",
        f"  load         {before[0]:.2f} before, {after[0]:.2f} after (1-minute average)",
        f"  {'route':<15} {'product req/s':>22} {'p99 ms':>16} {'floor req/s':>22} "
        f"{'p99 ms':>16} {'ratio':>6}",
    ]
    for pair in pairs:
        lines.append(
            f"  {pair.name:<15} {_each(f.rate for f in pair.product):>22} "
            f"{_each(f.p99_ms for f in pair.product):>16} "
            f"{_each(f.rate for f in pair.floor):>22} {_each(f.p99_ms for f in pair.floor):>16} "
            f"{pair.ratio():>6.3f}"
        )
        refused = sum(f.refused for f in pair.product)
        if refused:
            lines.append(f"  {'':<15} {refused} answers not 2xx/3xx or never given")
    print("\n".join(lines), flush=True)


def _each(values: Iterable[float]) -> str:
    return " ".join(f"{v:.0f}" for v in values)
