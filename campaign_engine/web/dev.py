"""Development-only pages: the mailbox and the text box. Mounted only when
ENVIRONMENT=development."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from campaign_engine.dev.mailbox import read_mailbox
from campaign_engine.dev.smsbox import read_smsbox
from campaign_engine.web.rendering import PRIVATE, render
from campaign_engine.web.services import services


async def mailbox_page(request: Request) -> Response:
    mails = read_mailbox(services(request).settings.mailbox_dir)
    return render(request, "dev/mail.html", {"mails": mails}, cache=PRIVATE)


async def mailbox_json(request: Request) -> Response:
    mails = read_mailbox(services(request).settings.mailbox_dir)
    return JSONResponse([mail.as_json() for mail in mails], headers={"Cache-Control": PRIVATE})


async def smsbox_page(request: Request) -> Response:
    texts = read_smsbox(services(request).settings.smsbox_dir)
    return render(request, "dev/sms.html", {"texts": texts}, cache=PRIVATE)


async def smsbox_json(request: Request) -> Response:
    texts = read_smsbox(services(request).settings.smsbox_dir)
    return JSONResponse(texts, headers={"Cache-Control": PRIVATE})
