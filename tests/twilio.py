"""A local stand-in for Twilio's Messages API, reached over real HTTP by the real `twilio` client.

It keeps every text it accepts and answers like Twilio: `201` with a message resource, or an
error body (`{"code": 21211, "message": ..., "status": 400}`) when a test scripts one.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import uuid
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from campaign_engine.devmail import free_port

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-twilio-auth-token"
SENDER = "+15005550006"


@dataclass
class SentText:
    sid: str
    to: str
    sender: str
    body: str
    status_callback: str | None


@dataclass
class TwilioRecord:
    texts: list[SentText] = field(default_factory=list)
    # Answers for the next requests, in order: (HTTP status, Twilio error code).
    script: list[tuple[int, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.texts.clear()
            self.script.clear()

    def to(self, number: str) -> list[SentText]:
        with self._lock:
            return [text for text in self.texts if text.to == number]


class TwilioStandIn:
    def __init__(self) -> None:
        self.record = TwilioRecord()
        self.port = free_port()
        app = Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{account}/Messages.json",
                    self._create_message,
                    methods=["POST"],
                )
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

    async def _create_message(self, request: Request) -> JSONResponse:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return _error(401, 20003, "Authenticate")
        form = await request.form()
        with self.record._lock:
            scripted = self.record.script.pop(0) if self.record.script else None
        if scripted is not None:
            status, code = scripted
            return _error(status, code, "scripted failure")
        text = SentText(
            sid=f"SM{uuid.uuid4().hex}",
            to=str(form["To"]),
            sender=str(form.get("From") or form.get("MessagingServiceSid")),
            body=str(form["Body"]),
            status_callback=str(form["StatusCallback"]) if "StatusCallback" in form else None,
        )
        with self.record._lock:
            self.record.texts.append(text)
        return JSONResponse(
            {
                "sid": text.sid,
                "account_sid": ACCOUNT_SID,
                "to": text.to,
                "from": text.sender,
                "body": text.body,
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{text.sid}.json",
            },
            status_code=201,
        )


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "more_info": "", "status": status},
        status_code=status,
    )
