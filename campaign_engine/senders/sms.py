"""Text messages: through Twilio's API with its official client, or, in development without
credentials, into a folder shown at /dev/sms. Either answers with a `SendResult`.

Twilio's errors are sorted like SMTP's: 429 comes back later; the codes that say the number
itself is wrong or has opted out stop for good and mark the address; codes about our own
account wait for someone to fix it. A 5xx, or a connection lost after the request went out,
may have sent the text: that is ambiguous.

Twilio has no idempotency key for messages, and gives every request a new one, so a text
whose fate is unknown is settled by looking for it (`find`) before it is sent again. The
Messages list is read for our number to theirs, newest first, and matched on the exact words
and the time of the attempt; status callbacks are not in the list, so they cannot carry a
marker. The list's DateSent filter is not used: it has day granularity, and a text still
queued at Twilio has no date_sent yet, so the filter would hide exactly the text we look for.
The caller excludes the texts other deliveries already hold (deliveries.provider_id is unique).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from campaign_engine.messages.sms_text import Sms, encoding_of, parts
from campaign_engine.models.delivery import SendOutcome, SendResult

# Codes about the recipient's number: it will never take this text (21610: it texted STOP).
_BAD_NUMBER = frozenset({21211, 21214, 21217, 21401, 21407, 21408, 21612, 21614})
_OPTED_OUT = 21610
# Codes about our own account or sender: wait, someone must fix the configuration.
_OUR_ACCOUNT = frozenset({20003, 20005, 20429, 21606, 21608, 21659})
# A send, and a look-up, end within these (the twilio client's own timeout is not applied to
# its requests): together they fit in a send's share of the outbox lease.
SEND_TIMEOUT_SECONDS = 30
FIND_TIMEOUT_SECONDS = 10
# A text is created at Twilio during its request; Twilio's clock and ours may differ this much.
CLOCK_SKEW = timedelta(minutes=1)
# Twilio's largest page: one request covers a busy official's recent texts.
FIND_PAGE_SIZE = 1000


class SmsSender(Protocol):
    async def send(self, sms: Sms) -> SendResult: ...

    async def find(self, sms: Sms, attempted_at: datetime) -> list[str] | None:
        """Ids of the texts an attempt to send `sms` at `attempted_at` may have left at the
        provider, oldest first; None when the provider could not be asked."""
        ...

    async def close(self) -> None: ...


def _window(attempted_at: datetime) -> tuple[datetime, datetime]:
    """When a text from an attempt at `attempted_at` can have been created, give or take the
    clocks: from the attempt to the end of its request."""
    end = attempted_at + timedelta(seconds=SEND_TIMEOUT_SECONDS)
    return attempted_at - CLOCK_SKEW, end + CLOCK_SKEW


class TwilioSender:
    def __init__(self, account_sid: str, auth_token: str, sender: str, api_base: str) -> None:
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._sender = sender  # a number, or a messaging service (MG…)
        self._api_base = api_base
        self._client: Client | None = None

    def _connected(self) -> Client:
        # The async HTTP client needs a running event loop, so it is made on first use.
        if self._client is None:
            client = Client(
                self._account_sid, self._auth_token, http_client=AsyncTwilioHttpClient(timeout=30)
            )
            client.api.base_url = self._api_base
            self._client = client
        return self._client

    async def send(self, sms: Sms) -> SendResult:
        sender: dict[str, Any] = (
            {"messaging_service_sid": self._sender}
            if self._sender.startswith("MG")
            else {"from_": self._sender}
        )
        if sms.status_callback:
            sender["status_callback"] = sms.status_callback
        try:
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                message = await self._connected().messages.create_async(
                    to=sms.to, body=sms.body, **sender
                )
        except TwilioRestException as refused:
            return _classify(refused.status, refused.code)
        except aiohttp.ClientConnectorError as failure:
            return SendResult(SendOutcome.TEMPORARY, f"{type(failure).__name__} at connect")
        except (aiohttp.ClientError, TimeoutError, TwilioException) as failure:
            return SendResult(SendOutcome.AMBIGUOUS, type(failure).__name__)
        return SendResult(SendOutcome.SENT, "twilio", provider_id=message.sid)

    async def find(self, sms: Sms, attempted_at: datetime) -> list[str] | None:
        earliest, latest = _window(attempted_at)
        ours = (
            {"to": sms.to}
            if self._sender.startswith("MG")
            else {"to": sms.to, "from_": self._sender}
        )
        found: list[tuple[datetime, str]] = []
        try:
            async with asyncio.timeout(FIND_TIMEOUT_SECONDS):
                listed = await self._connected().messages.stream_async(
                    page_size=FIND_PAGE_SIZE, **ours
                )
                async for message in listed:
                    if message.date_sent is not None and message.date_sent < earliest:
                        break  # newest first by date_sent: the rest went before the attempt
                    created = message.date_created
                    if self._sent(message, sms) and created and earliest <= created <= latest:
                        found.append((created, message.sid))
        except (aiohttp.ClientError, TimeoutError, TwilioException, ValueError):
            return None  # not known: the caller waits rather than send blind
        # Oldest first; within a second (Twilio's grain), in the list's own order, reversed.
        return [sid for _created, sid in sorted(reversed(found), key=lambda each: each[0])]

    def _sent(self, message: Any, sms: Sms) -> bool:
        """One of our texts, with exactly these words (a messaging service sends from a
        number of its pool, so it is known by its own sid)."""
        by_us = (
            message.messaging_service_sid == self._sender
            if self._sender.startswith("MG")
            else message.from_ == self._sender
        )
        return bool(by_us and message.direction == "outbound-api" and message.body == sms.body)

    async def close(self) -> None:
        if self._client is not None:
            http_client = self._client.http_client
            if isinstance(http_client, AsyncTwilioHttpClient):
                await http_client.close()


def _classify(status: int, code: int | None) -> SendResult:
    detail = f"Twilio {status} {code or ''}".strip()
    if status >= 500:  # Twilio failed while handling it: the text may exist all the same
        return SendResult(SendOutcome.AMBIGUOUS, detail)
    if status == 429 or code in _OUR_ACCOUNT:
        return SendResult(SendOutcome.TEMPORARY, detail)
    if code == _OPTED_OUT:
        return SendResult(SendOutcome.PERMANENT, detail, address_status="blocked")
    if code in _BAD_NUMBER:
        return SendResult(SendOutcome.PERMANENT, detail, address_status="bouncing")
    return SendResult(SendOutcome.PERMANENT, detail)


class DevSmsBox:
    """Development without Twilio: each text becomes a file, shown at /dev/sms."""

    def __init__(self, folder: Path, sender: str = "campaign-engine") -> None:
        self._folder = folder
        self._sender = sender

    async def send(self, sms: Sms) -> SendResult:
        self._folder.mkdir(parents=True, exist_ok=True)
        sid = f"SMdev{uuid.uuid4().hex}"
        caught = {
            "to": sms.to,
            "from": self._sender,
            "body": sms.body,
            "headers": {
                "Message-Sid": sid,
                "Encoding": encoding_of(sms.body).name,
                "Segments": str(parts(sms.body)),
                "Status-Callback": sms.status_callback or "",
            },
        }
        path = self._folder / f"{time.time_ns()}-{sid}.json"
        path.write_text(json.dumps(caught, ensure_ascii=False))
        return SendResult(SendOutcome.SENT, "development box", provider_id=sid)

    async def find(self, sms: Sms, attempted_at: datetime) -> list[str] | None:
        earliest, latest = _window(attempted_at)
        found = []
        for path in sorted(self._folder.glob("*.json")):
            written = datetime.fromtimestamp(int(path.name.split("-")[0]) / 1e9, UTC)
            caught = json.loads(path.read_text())
            if earliest <= written <= latest and (caught["to"], caught["body"]) == (
                sms.to,
                sms.body,
            ):
                found.append(caught["headers"]["Message-Sid"])
        return found

    async def close(self) -> None:
        return None


class NoSms:
    """Production without Twilio credentials: texts wait, and say why."""

    async def send(self, sms: Sms) -> SendResult:
        return SendResult(SendOutcome.TEMPORARY, "SMS is not configured (TWILIO_*)")

    async def find(self, sms: Sms, attempted_at: datetime) -> list[str] | None:
        return []  # nothing was ever handed over

    async def close(self) -> None:
        return None
