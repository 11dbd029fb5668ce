"""A local stand-in for Twilio's Messages API, reached over real HTTP by the real `twilio` client:
the tests' and the fault drill's (`campaign-engine drill`), so it lives in the product.

It keeps every text it accepts and answers like Twilio: `201` with a message resource, or an
error body (`{"code": 21211, "message": ..., "status": 400}`) when a script asks for one. Its
Messages list (`GET …/Messages.json`) filters and pages as Twilio's does (To, From, DateSent
with its `<`/`>` forms at day granularity, PageSize, Page, PageToken, `next_page_uri`), newest
first by date sent, with texts still queued (no date sent yet) before all others; the DateSent
filters leave queued texts out, as Twilio's do.

Scripted answers for sends: `(status, code)` for an error, `TAKE_AND_DROP` to keep the text and
then cut the connection before the answer is complete (the client cannot know it went), `DROP`
to cut it without keeping anything, `ACCEPT` to answer normally. `list_script` holds HTTP
statuses for the next list reads.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from campaign_engine.dev.mailbox import free_port

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-twilio-auth-token"  # noqa: S105  # nosec B105 # the stand-in's, known to all
SENDER = "+15005550006"
MESSAGES = "/2010-04-01/Accounts/{account}/Messages.json"

ACCEPT = "accept"  # as if nothing were scripted: for a script that fails later requests only
TAKE_AND_DROP = "take-and-drop"  # the text is kept; the client sees the connection cut
DROP = "drop"  # nothing is kept; the client sees the connection cut just the same


@dataclass
class SentText:
    sid: str
    to: str
    sender: str
    body: str
    status_callback: str | None
    date_created: datetime = field(default_factory=lambda: datetime.now(UTC))
    date_sent: datetime | None = None  # None while queued
    status: str = "queued"


@dataclass
class TwilioRecord:
    texts: list[SentText] = field(default_factory=list)
    # Answers for the next sends, in order: (HTTP status, Twilio error code), or a drop.
    script: list[tuple[int, int] | str] = field(default_factory=list)
    # HTTP statuses for the next list reads (a 503: Twilio cannot say).
    list_script: list[int] = field(default_factory=list)
    # Texts stay queued (no date sent) instead of going out at once.
    queue_texts: bool = False
    lists_read: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.texts.clear()
            self.script.clear()
            self.list_script.clear()
            self.queue_texts = False
            self.lists_read = 0

    def to(self, number: str) -> list[SentText]:
        with self._lock:
            return [text for text in self.texts if text.to == number]

    def all(self) -> list[SentText]:
        with self._lock:
            return list(self.texts)


class TwilioStandIn:
    def __init__(self) -> None:
        self.record = TwilioRecord()
        self.port = free_port()
        app = Starlette(
            routes=[
                Route(MESSAGES, _CreateMessage(self.record), methods=["POST"]),
                Route(MESSAGES, self._list_messages, methods=["GET"]),
            ]
        )
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, lifespan="off")
        )
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    def start(self) -> None:
        self._thread.start()
        while not self._server.started:
            threading.Event().wait(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    async def _list_messages(self, request: Request) -> JSONResponse:
        if not _authorised(request):
            return _error(401, 20003, "Authenticate")
        with self.record._lock:
            self.record.lists_read += 1
            scripted = self.record.list_script.pop(0) if self.record.list_script else None
            texts = list(self.record.texts)
        if scripted is not None:
            return _error(scripted, 20500, "scripted failure")
        query = request.query_params
        try:
            listed = _newest_first([text for text in texts if _matches(text, query)])
        except ValueError:
            return _error(400, 20001, "Invalid date value")
        page_size = min(int(query.get("PageSize", "50")), 1000)
        page = int(query.get("Page", "0"))
        start = page * page_size
        if "PageToken" in query:  # the last text of the page before: robust to new arrivals
            after = query["PageToken"].removeprefix("PA")
            start = next((n + 1 for n, text in enumerate(listed) if text.sid == after), 0)
        shown = listed[start : start + page_size]
        path = request.url.path
        filters = {
            key: query[key]
            for key in ("To", "From", "DateSent", "DateSent<", "DateSent>")
            if key in query
        }
        more = start + page_size < len(listed)
        return JSONResponse(
            {
                "messages": [_resource(text) for text in shown],
                "start": start,
                "end": start + max(len(shown) - 1, 0),
                "page": page,
                "page_size": page_size,
                "uri": _uri(path, filters, page_size, page),
                "first_page_uri": _uri(path, filters, page_size, 0),
                "previous_page_uri": None,
                "next_page_uri": (
                    _uri(path, filters, page_size, page + 1, f"PA{shown[-1].sid}")
                    if more and shown
                    else None
                ),
            }
        )


class _CreateMessage:
    """POST …/Messages.json, as a bare ASGI app: a drop must cut the connection mid-answer."""

    def __init__(self, record: TwilioRecord) -> None:
        self.record = record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if not _authorised(request):
            await _error(401, 20003, "Authenticate")(scope, receive, send)
            return
        form = await request.form()
        with self.record._lock:
            scripted = self.record.script.pop(0) if self.record.script else None
            queued = self.record.queue_texts
        if isinstance(scripted, tuple):
            status, code = scripted
            await _error(status, code, "scripted failure")(scope, receive, send)
            return
        text = SentText(
            sid=f"SM{uuid.uuid4().hex}",
            to=str(form["To"]),
            sender=str(form.get("From") or form.get("MessagingServiceSid")),
            body=str(form["Body"]),
            status_callback=str(form["StatusCallback"]) if "StatusCallback" in form else None,
        )
        if not queued:
            text.date_sent, text.status = text.date_created, "sent"
        if scripted != DROP:
            with self.record._lock:
                self.record.texts.append(text)
        if scripted in (TAKE_AND_DROP, DROP):
            # Headers and half a body, then the connection closes: the client cannot tell.
            await send(
                {
                    "type": "http.response.start",
                    "status": 201,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"900"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b'{"sid": "', "more_body": True})
            return
        await JSONResponse(_resource(text), status_code=201)(scope, receive, send)


def _authorised(request: Request) -> bool:
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    return request.headers.get("authorization") == f"Basic {expected}"


def _matches(text: SentText, query: Any) -> bool:
    if query.get("To") not in (None, text.to):
        return False
    if query.get("From") not in (None, _from(text)):
        return False
    sent = text.date_sent.date() if text.date_sent else None
    if any(key in query for key in ("DateSent", "DateSent<", "DateSent>")) and sent is None:
        return False  # queued: not sent on any day yet
    return (
        ("DateSent" not in query or sent == _day(query["DateSent"]))
        and ("DateSent<" not in query or (sent is not None and sent <= _day(query["DateSent<"])))
        and ("DateSent>" not in query or (sent is not None and sent >= _day(query["DateSent>"])))
    )


def _day(value: str) -> date:
    """Twilio reads the day only: `2026-03-01` and `2026-03-01T17:02:11Z` are the same."""
    return date.fromisoformat(value[:10])


def _newest_first(texts: list[SentText]) -> list[SentText]:
    order = {id(text): n for n, text in enumerate(texts)}
    queued = [text for text in texts if text.date_sent is None]
    sent = [text for text in texts if text.date_sent is not None]
    queued.sort(key=lambda text: order[id(text)], reverse=True)
    sent.sort(key=lambda text: (text.date_sent, order[id(text)]), reverse=True)
    return queued + sent


def _from(text: SentText) -> str:
    return SENDER if text.sender.startswith("MG") else text.sender


def _rfc2822(moment: datetime | None) -> str | None:
    return None if moment is None else format_datetime(moment)


def _resource(text: SentText) -> dict[str, Any]:
    uri = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{text.sid}"
    return {
        "sid": text.sid,
        "account_sid": ACCOUNT_SID,
        "to": text.to,
        "from": _from(text),
        "messaging_service_sid": text.sender if text.sender.startswith("MG") else None,
        "body": text.body,
        "status": text.status,
        "date_created": _rfc2822(text.date_created),
        "date_updated": _rfc2822(text.date_sent or text.date_created),
        "date_sent": _rfc2822(text.date_sent),
        "num_segments": "1",
        "num_media": "0",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "price": None,
        "price_unit": "USD",
        "api_version": "2010-04-01",
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "uri": f"{uri}.json",
    }


def _uri(
    path: str, filters: dict[str, str], page_size: int, page: int, token: str | None = None
) -> str:
    query = {**filters, "PageSize": page_size, "Page": page}
    if token is not None:
        query["PageToken"] = token
    return f"{path}?{urlencode(query)}"


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "more_info": "", "status": status},
        status_code=status,
    )
