"""A stack of its own for each benchmark: embedded PostgreSQL and Valkey, the fast SMTP sink,
and the product's own commands in processes of their own, as in production."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess  # nosec B404 # the benchmark starts its own servers
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

import aiohttp

from campaign_engine.bench.sink import SmtpSink
from campaign_engine.clock import SystemClock
from campaign_engine.db.campaigns import authoring
from campaign_engine.db.delivery import pacing
from campaign_engine.db.migrate import migrate
from campaign_engine.db.pool import Connection, Pool, create_pool
from campaign_engine.dev.embedded import EmbeddedServers
from campaign_engine.dev.mailbox import free_port
from campaign_engine.domain.workspace.staff import (
    LinkUse,
    accept_invitation,
    invite_staff,
    invited_staff,
)
from campaign_engine.models.workspace import Role, Staff
from campaign_engine.security.sealing import new_data_key
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings

SLUG = "bench"
BENCH_TEXT = {
    "title": "Benchmark action",
    "person": "Nobody",
    "summary": "Signatures for the benchmark.",
    "body": "A benchmark letter.\n\nIt has two paragraphs, like a short real one.",
    "letter_subject": "Benchmark appeal",
    "letter_body": "Please release the person at once.\n\nThey are held for their work.",
    "share_text": "Benchmark.",
}


def stack_environ(
    data: Path, *, database_url: str, redis_url: str, smtp_url: str
) -> dict[str, str]:
    """The environment of the product's commands run against a stack of our own (the
    benchmark's, the drill's): this process's, with the stack's addresses, a fresh secret and
    data key, and the log at warnings."""
    return {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATA_DIR": str(data),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SMTP_URL": smtp_url,
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "DATA_KEYS": new_data_key(),
        "EMAIL_FROM": "Bench <bench@example.org>",
        "LOG_LEVEL": "WARNING",
        # Load shedding off: all the load arrives through one address, ours (signers carry
        # addresses of their own in X-Forwarded-For, so the per-action limits stay on).
        "SIGNATURES_PER_CLIENT": "0",
        # Every appeal goes alone: the benches measure sending them, not folding repeats.
        "SAME_APPEALS_PER_DAY": "0",
    }


class BenchStack:
    def __init__(self, *, record_mail: bool = False) -> None:
        """`record_mail`: the sink keeps each message's time, Message-ID and recipients."""
        self._folder = tempfile.TemporaryDirectory(prefix="campaign-engine-bench-")
        self.data = Path(self._folder.name)
        self._servers = EmbeddedServers()
        self.sink = SmtpSink(free_port(), self.data / "sunk.tsv" if record_mail else None)
        self._processes: list[subprocess.Popen[bytes]] = []
        self.environ: dict[str, str] = {}

    def __enter__(self) -> BenchStack:
        self.sink.start()
        self.environ = stack_environ(
            self.data,
            database_url=self._servers.start_postgres(self.data / "postgres", throwaway=True),
            redis_url=self._servers.start_valkey(self.data / "valkey", throwaway=True),
            smtp_url=self.sink.url,
        )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.sink.stop()
        self._servers.stop()
        self._folder.cleanup()

    @property
    def database_url(self) -> str:
        return self.environ["DATABASE_URL"]

    def start(self, *arguments: str) -> int:
        """`campaign-engine <arguments>`, against this stack; returns its process id."""
        return self.start_module("campaign_engine", *arguments)

    def start_module(self, module: str, *arguments: str) -> int:
        """`python -m <module> <arguments>` against this stack (the bench's floor app)."""
        command = [sys.executable, "-m", module, *arguments]
        # A fixed argv of ours, no shell:
        process = subprocess.Popen(command, env=self.environ)  # nosec B603
        self._processes.append(process)
        return process.pid

    def stop(self, pid: int) -> None:
        """Stop one of the processes started here as a deployment would (SIGTERM), and wait
        for it to end."""
        for process in self._processes:
            if process.pid == pid:
                process.terminate()
                process.wait(timeout=90)

    async def pool(self) -> Pool:
        sealer = Settings.from_environ(self.environ).sealer()
        return await create_pool(self.database_url, sealer=sealer, max_size=4)


def memory_mib(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory now (VmRSS) or at its peak (VmHWM), in MiB (Linux); 0
    where /proc cannot tell."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_of(pid: int) -> list[int]:
    """The processes `pid` started (uvicorn's web processes under `serve`), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent is the second field after the command, which is in parentheses.
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


async def prepare(pool: Pool) -> int:
    """The migrated schema and the benchmark's action; returns the action's id."""
    async with pool.acquire() as conn:
        await migrate(conn)
    async with pool.acquire() as conn, conn.transaction():
        case_id = await authoring.upsert_case(
            conn, slug=SLUG, country=None, risk_category="other", status="open", default_locale="en"
        )
        await authoring.upsert_case_translation(conn, case_id, "en", BENCH_TEXT)
        action_id = await authoring.upsert_action(
            conn,
            case_id=case_id,
            slug=SLUG,
            code="UA 0/00",
            status="open",
            deadline=datetime.now(UTC) + timedelta(days=1),
            goal=0,
            default_locale="en",
        )
        await authoring.upsert_action_translation(conn, action_id, "en", BENCH_TEXT, published=True)
        # The benchmark's surge is wanted, but it trends like a bot wave: left at `auto`, the
        # alert would ask for a proof of work that the load generator does not solve, and
        # every later signature would be suspected and never confirmed.
        await authoring.set_proof_of_work(conn, action_id, "off")
    return action_id


async def campaigner(pool: Pool, stack: BenchStack) -> tuple[Staff, str]:
    """A campaigner, signed in: who they are, and their session's cookie value."""
    clock = SystemClock()
    invitation = await invite_staff(
        pool, clock, None, "bench@example.org", "Bench", Role.CAMPAIGNER, "en"
    )
    staff = await invited_staff(pool, clock, invitation.token)
    tokens = Tokens(stack.environ["SECRET_KEY"])
    use = LinkUse(secrets.token_urlsafe(24), None)
    return staff, await accept_invitation(pool, clock, tokens, invitation.token, use)


async def wait_until_ready(base: str, seconds: float = 60) -> None:
    """Until the web app under test answers /readyz at `base`."""
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{base}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError("the web app under test did not become ready")


async def add_official(
    conn: Connection,
    action_id: int,
    name: str,
    *,
    channel: str = "email",
    address: str | None = None,
    max_per_hour: int | None = None,
) -> int:
    """An official the action writes to on `channel` (by default at `<name>@example.org`),
    with its pacer; returns the target's id."""
    target_id = await authoring.upsert_target(
        conn,
        external_id=name,
        name=name,
        title="Minister",
        organisation="Ministry",
        country=None,
        time_zone="UTC",
        office_hours=None,
        preferred_locale="en",
        salutations={"en": "Dear Minister,"},
        max_per_hour=max_per_hour,
    )
    await authoring.add_target_contact(conn, target_id, channel, address or f"{name}@example.org")
    await authoring.add_action_target(conn, action_id, target_id, channel)
    await pacing.ensure_pacing(conn, target_id, channel)
    return target_id
