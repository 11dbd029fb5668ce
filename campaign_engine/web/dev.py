"""Development-only pages: the mailbox. Mounted only when ENVIRONMENT=development."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from campaign_engine.devmail import read_mailbox
from campaign_engine.web.rendering import PRIVATE, render
from campaign_engine.web.services import services


async def mailbox_page(request: Request) -> Response:
    mails = read_mailbox(services(request).settings.mailbox_dir)
    return render(request, "dev/mail.html", {"mails": mails}, cache=PRIVATE)


async def mailbox_json(request: Request) -> Response:
    mails = read_mailbox(services(request).settings.mailbox_dir)
    return JSONResponse([mail.as_json() for mail in mails], headers={"Cache-Control": PRIVATE})
