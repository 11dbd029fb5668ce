"""A stack of its own for each fault, made of parts that can fail: an embedded PostgreSQL that
stops the hard way, a Valkey that is killed, an SMTP sink that goes away and comes back on its
port, the Twilio stand-in; and the product's own `serve` and `worker` commands in processes of
their own, as in production, each with its log in a file."""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import subprocess  # nosec B404 # the drill starts the product's own commands
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType

from campaign_engine.bench.sink import SmtpSink
from campaign_engine.bench.stack import stack_environ
from campaign_engine.db.pool import Pool, create_pool
from campaign_engine.dev.embedded import EmbeddedServers
from campaign_engine.dev.mailbox import free_port
from campaign_engine.drill.servers import KillableValkey, StoppablePostgres
from campaign_engine.drill.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, SENDER, TwilioStandIn
from campaign_engine.settings import Settings

# A worker stopped with SIGTERM may finish its jobs for up to 75 s (workers/main.py); the
# drill has counted by then, and waits less.
STOP_SECONDS = 30


class Command:
    """`campaign-engine <arguments>` against the stack: started, killed with SIGKILL, started
    again; its output appended to one log file across restarts."""

    def __init__(self, arguments: tuple[str, ...], environ: dict[str, str], log: Path) -> None:
        self._arguments = arguments
        self._environ = environ
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "campaign_engine", *self._arguments]
        with self.log.open("ab") as output:
            # A fixed argv of ours, no shell:
            self.process = subprocess.Popen(  # noqa: S603  # nosec B603
                command, env=self._environ, stdout=output, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        """`kill -9`, and reaped: nothing of it runs any more when this returns."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class _NotCutShort(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


class DrillStack:
    def __init__(self, *, texts: bool = False) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="campaign-engine-drill-")
        self.data = Path(self._folder.name)
        self.logs = self.data / "logs"
        self.logs.mkdir()
        self._servers = EmbeddedServers()
        self.valkey = KillableValkey()
        self.sink = SmtpSink(free_port(), record=self.data / "sink.tsv")
        self.twilio = TwilioStandIn() if texts else None
        self.postgres: StoppablePostgres | None = None
        self.environ: dict[str, str] = {}
        self.keep_logs = False  # set when a fault fails: the logs outlive the stack
        self._commands: list[Command] = []

    def __enter__(self) -> DrillStack:
        self.sink.start()
        self.valkey.start()
        self.postgres = StoppablePostgres.embedded(self._servers, self.data / "postgres")
        self.environ = stack_environ(
            self.data,
            database_url=self.postgres.url,
            redis_url=self.valkey.url,
            smtp_url=self.sink.url,
        )
        if self.twilio is not None:
            # Its answers cut short on purpose (a lost answer) are not news.
            logging.getLogger("uvicorn.error").addFilter(_NotCutShort())
            self.twilio.start()
            self.environ |= {
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM": SENDER,
                "TWILIO_API_BASE": self.twilio.api_base,
            }
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for command in self._commands:
            command.stop()
        if self.twilio is not None:
            self.twilio.stop()
        self.sink.stop()
        self.valkey.stop()
        self._servers.stop()
        if self.keep_logs or kind is not None:
            kept = Path(tempfile.mkdtemp(prefix="campaign-engine-drill-logs-"))
            shutil.copytree(self.logs, kept, dirs_exist_ok=True)
            print(f"  logs kept in {kept}", flush=True)  # noqa: T201
        self._folder.cleanup()

    @property
    def database_url(self) -> str:
        assert self.postgres is not None
        return self.postgres.url

    def command(self, *arguments: str, log_level: str = "WARNING") -> Command:
        """`campaign-engine <arguments>` against this stack, not started yet."""
        name = "-".join(arguments[:1] or ("command",))
        log = self.logs / f"{name}-{len(self._commands)}.log"
        command = Command(arguments, {**self.environ, "LOG_LEVEL": log_level}, log)
        self._commands.append(command)
        return command

    async def pool(self) -> Pool:
        sealer = Settings.from_environ(self.environ).sealer()
        return await create_pool(self.database_url, sealer=sealer, max_size=4)


async def until(
    condition: Callable[[], Awaitable[bool]], seconds: float, every: float = 0.5
) -> bool:
    """Whether `condition` came to hold within `seconds` (asked every `every` seconds)."""
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(every)
    return True
