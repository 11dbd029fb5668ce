"""Text messages: through Twilio's API with its official client, or, in development without
credentials, into a folder shown at /dev/sms. Either answers with a `SendResult`.

Twilio's errors are sorted like SMTP's: 429 and 5xx come back later; the codes that say the
number itself is wrong or has opted out stop for good and mark the address; codes about our
own account wait for someone to fix it. A connection lost after the request went out may have
sent the text: that is ambiguous, and the status callback settles it.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from campaign_engine.models import SendOutcome, SendResult
from campaign_engine.sms_text import encoding_of, parts

# Codes about the recipient's number: it will never take this text (21610: it texted STOP).
_BAD_NUMBER = frozenset({21211, 21214, 21217, 21401, 21407, 21408, 21612, 21614})
_OPTED_OUT = 21610
# Codes about our own account or sender: wait, someone must fix the configuration.
_OUR_ACCOUNT = frozenset({20003, 20005, 20429, 21606, 21608, 21659})


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    body: str
    status_callback: str | None = None  # where Twilio reports what became of it


class SmsSender(Protocol):
    async def send(self, sms: Sms) -> SendResult: ...

    async def close(self) -> None: ...


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

    async def close(self) -> None:
        if self._client is not None:
            http_client = self._client.http_client
            if isinstance(http_client, AsyncTwilioHttpClient):
                await http_client.close()


def _classify(status: int, code: int | None) -> SendResult:
    detail = f"Twilio {status} {code or ''}".strip()
    if status == 429 or status >= 500 or code in _OUR_ACCOUNT:
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

    async def close(self) -> None:
        return None


class NoSms:
    """Production without Twilio credentials: texts wait, and say why."""

    async def send(self, sms: Sms) -> SendResult:
        return SendResult(SendOutcome.TEMPORARY, "SMS is not configured (TWILIO_*)")

    async def close(self) -> None:
        return None


def read_smsbox(folder: Path, limit: int = 200) -> list[dict[str, Any]]:
    """What the development box caught, newest first."""
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.json"), reverse=True)[:limit]
    return [json.loads(path.read_text()) for path in paths]
