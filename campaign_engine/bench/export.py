"""The export benchmark: a campaigner downloads every signature of a large action, on a stack of
its own.

It fills the action with N confirmed signers, starts the web app (`serve`, one process), signs
a campaigner in, and streams `signatures.csv` over HTTP. It prints rows per second and the web
process's peak memory before and after the download (Linux's VmHWM): a streamed export should
leave it where it was, however many rows. It exits non-zero only if a row is missing or extra.
"""

from __future__ import annotations

import asyncio
import subprocess  # nosec B404 # the benchmark starts its own servers
import sys
import time

import aiohttp

from campaign_engine.bench.stack import (
    SLUG,
    BenchStack,
    campaigner,
    memory_mib,
    prepare,
    wait_until_ready,
)
from campaign_engine.db.personal import synthetic
from campaign_engine.dev.mailbox import free_port

EXPORT_PATH = f"/admin/actions/{SLUG}/export/signatures.csv"


def run_export(signatures: int) -> int:
    with BenchStack() as stack:
        session = asyncio.run(_prepare(stack, signatures))
        port = free_port()
        # A process of our own (not stack.start) so that its memory can be read.
        server = subprocess.Popen(  # nosec B603 # a fixed argv of ours, no shell
            [sys.executable, "-m", "campaign_engine", "serve", "--port", str(port)],
            env=stack.environ,
        )
        try:
            return asyncio.run(
                _measure(f"http://127.0.0.1:{port}", session, server.pid, signatures)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)


async def _prepare(stack: BenchStack, signatures: int) -> str:
    """The action and its signers; returns a campaigner's session token."""
    pool = await stack.pool()
    try:
        action_id = await prepare(pool)
        async with pool.acquire() as conn, conn.transaction():
            await synthetic.insert_synthetic_signers(conn, action_id, signatures, "export")
        _staff, session = await campaigner(pool, stack)
        return session
    finally:
        await pool.close()


async def _measure(base: str, session: str, pid: int, expected: int) -> int:
    await wait_until_ready(base)
    before = memory_mib(pid, "VmHWM")
    started = time.perf_counter()
    size = rows = chunks = 0
    timeout = aiohttp.ClientTimeout(total=600)
    async with (
        aiohttp.ClientSession(base, cookies={"ce-session": session}, timeout=timeout) as client,
        client.get(EXPORT_PATH, params={"status": "all"}) as response,
    ):
        response.raise_for_status()
        async for chunk in response.content.iter_any():
            size, chunks, rows = size + len(chunk), chunks + 1, rows + chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    rows -= 1  # the header
    after = memory_mib(pid, "VmHWM")
    print(
        "\n".join(
            [
                f"campaign-engine bench: GET {EXPORT_PATH}, {expected} confirmed signatures",
                f"  rows         {rows} of {expected}: "
                + ("equal" if rows == expected else "NOT EQUAL"),
                f"  time         {elapsed:.2f} s, {rows / elapsed:,.0f} rows/s, "
                f"{size / 1e6:.1f} MB in {chunks} chunks",
                f"  web process  peak memory {before:.0f} MiB before, {after:.0f} MiB after",
            ]
        ),
        flush=True,
    )
    return 0 if rows == expected else 1
