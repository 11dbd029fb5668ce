"""A fast SMTP sink for the benchmark: it takes every message and keeps nothing but a count.

aiosmtpd, which the tests use, does far more per command and caps a benchmark at a few
hundred messages a second; this answers just enough of SMTP (with PIPELINING) to measure the
sender instead. It runs in a process of its own.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from multiprocessing.sharedctypes import Synchronized

_TERMINATOR = b"\r\n.\r\n"


class _Session(asyncio.Protocol):
    def __init__(self, received: Synchronized[int]) -> None:
        self._received = received
        self._buffer = b""
        self._in_data = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        replies = []
        while True:
            if self._in_data:
                end = self._buffer.find(_TERMINATOR)
                if end < 0:
                    break
                self._buffer = self._buffer[end + len(_TERMINATOR) :]
                self._in_data = False
                with self._received.get_lock():
                    self._received.value += 1
                replies.append(b"250 2.0.0 Ok: queued\r\n")
                continue
            end = self._buffer.find(b"\r\n")
            if end < 0:
                break
            line, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
            replies.append(self._answer(line[:4].upper()))
        if replies and self._transport is not None:
            self._transport.write(b"".join(replies))

    def _answer(self, command: bytes) -> bytes:
        if command == b"EHLO":
            return b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        if command == b"DATA":
            # The message may follow in the same packet; the CRLF before "." is its own.
            self._in_data, self._buffer = True, b"\r\n" + self._buffer
            return b"354 End data with <CR><LF>.<CR><LF>\r\n"
        if command == b"QUIT":
            assert self._transport is not None
            self._transport.close()
            return b"221 Bye\r\n"
        return b"250 Ok\r\n"


def _serve(port: int, received: Synchronized[int], ready: Synchronized[int]) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Session(received), "127.0.0.1", port)
        ready.value = 1
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class SmtpSink:
    def __init__(self, port: int) -> None:
        self.port = port
        self._received: Synchronized[int] = multiprocessing.Value("q", 0)
        self._ready: Synchronized[int] = multiprocessing.Value("i", 0)
        self._process = multiprocessing.Process(
            target=_serve, args=(port, self._received, self._ready), daemon=True
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> int:
        return int(self._received.value)

    def start(self) -> None:
        self._process.start()
        while not self._ready.value:
            self._process.join(0.01)

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(5)
