"""A fast SMTP sink for the benchmark and the fault drill: it takes every message and keeps a
count, and, when asked, a record of each message's Message-ID and recipients.

aiosmtpd, which the tests use, does far more per command and caps a benchmark at a few
hundred messages a second; this answers just enough of SMTP (with PIPELINING) to measure the
sender instead. It runs in a process of its own, which the drill stops (an SMTP outage) and
starts again on the same port; the count and the record outlive the restarts.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import time
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

_TERMINATOR = b"\r\n.\r\n"
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
_DELIVERY = re.compile(r"^<delivery-([0-9a-f-]{36})@")
# A fresh interpreter for the sink, not a copy of its parent: the drill forks it from a process
# with threads of its own (the Twilio stand-in), whose locks a fork could copy while held.
_PROCESSES = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class Sunk:
    """One message as the sink took it: when (the epoch), its Message-ID, its recipients."""

    at: float
    message_id: str
    recipients: tuple[str, ...]


def delivery_of(message_id: str) -> str | None:
    """The delivery an email's Message-ID names (emails.message_id), or None."""
    found = _DELIVERY.match(message_id)
    return found.group(1) if found else None


class _Session(asyncio.Protocol):
    def __init__(self, received: Synchronized[int], record: int | None) -> None:
        self._received = received
        self._record = record  # a file descriptor opened for appending, or None
        self._recipients: list[str] = []
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
                message, self._buffer = self._buffer[:end], self._buffer[end + len(_TERMINATOR) :]
                self._in_data = False
                self._took(message)
                replies.append(b"250 2.0.0 Ok: queued\r\n")
                continue
            end = self._buffer.find(b"\r\n")
            if end < 0:
                break
            line, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
            replies.append(self._answer(line))
        if replies and self._transport is not None:
            self._transport.write(b"".join(replies))

    def _took(self, message: bytes) -> None:
        """Counted, and recorded before it is answered, as a server that holds a message
        before saying so: a message whose answer is lost is in the record all the same."""
        with self._received.get_lock():
            self._received.value += 1
        if self._record is not None:
            headers = message.split(b"\r\n\r\n", 1)[0]
            found = _MESSAGE_ID.search(headers)
            message_id = found.group(1).decode(errors="replace") if found else "-"
            line = f"{time.time():.6f}\t{message_id}\t{','.join(self._recipients)}\n"
            os.write(self._record, line.encode())  # one write to a file opened for appending

    def _answer(self, line: bytes) -> bytes:
        command = line[:4].upper()
        if command == b"EHLO":
            return b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        if command in (b"MAIL", b"RSET"):
            self._recipients = []
        elif command == b"RCPT":
            address = line.partition(b"<")[2].partition(b">")[0]
            self._recipients.append(address.decode(errors="replace").lower())
        elif command == b"DATA":
            # The message may follow in the same packet; the CRLF before "." is its own.
            self._in_data, self._buffer = True, b"\r\n" + self._buffer
            return b"354 End data with <CR><LF>.<CR><LF>\r\n"
        elif command == b"QUIT":
            assert self._transport is not None
            self._transport.close()
            return b"221 Bye\r\n"
        return b"250 Ok\r\n"


def _serve(
    port: int, received: Synchronized[int], ready: Synchronized[int], record: str | None
) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        fd = None if record is None else os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        server = await loop.create_server(lambda: _Session(received, fd), "127.0.0.1", port)
        ready.value = 1
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class SmtpSink:
    def __init__(self, port: int, record: Path | None = None) -> None:
        self.port = port
        self.record = record
        self._received: Synchronized[int] = _PROCESSES.Value("q", 0)
        self._ready: Synchronized[int] = _PROCESSES.Value("i", 0)
        self._process: multiprocessing.process.BaseProcess | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> int:
        return int(self._received.value)

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self) -> None:
        """Start it (again: on the same port, the count and the record going on)."""
        self._ready.value = 0
        record = None if self.record is None else str(self.record)
        self._process = _PROCESSES.Process(
            target=_serve, args=(self.port, self._received, self._ready, record), daemon=True
        )
        self._process.start()
        while not self._ready.value:
            self._process.join(0.01)
            if self._process.exitcode is not None:
                raise RuntimeError(f"the SMTP sink could not listen on port {self.port}")

    def stop(self) -> None:
        """Gone at once, as a crashed server: open connections are cut, mid-message or not."""
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
            self._process = None

    def messages(self) -> list[Sunk]:
        """What the record holds so far (empty without one)."""
        if self.record is None or not self.record.exists():
            return []
        *lines, _being_written = self.record.read_text().split("\n")
        taken = []
        for line in lines:
            at, message_id, recipients = line.split("\t")
            taken.append(Sunk(float(at), message_id, tuple(filter(None, recipients.split(",")))))
        return taken
