"""Development-only pages: the mailbox and the text box, where a newcomer can also answer a
text as its phone would (YES to an alert, STOP, HELP, an official's reply), without Twilio.
Mounted only when ENVIRONMENT=development."""

from __future__ import annotations

from uuid import uuid4

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from campaign_engine.dev.mailbox import read_mailbox
from campaign_engine.dev.smsbox import read_smsbox
from campaign_engine.domain.delivery.inbound import IncomingText, receive_text
from campaign_engine.web.rendering import PRIVATE, render
from campaign_engine.web.services import services
from campaign_engine.web.webhooks import text_answer


async def mailbox_page(request: Request) -> Response:
    mails = read_mailbox(services(request).settings.mailbox_dir)
    return render(request, "dev/mail.html", {"mails": mails}, cache=PRIVATE)


async def mailbox_json(request: Request) -> Response:
    mails = read_mailbox(services(request).settings.mailbox_dir)
    return JSONResponse([mail.as_json() for mail in mails], headers={"Cache-Control": PRIVATE})


async def smsbox_page(request: Request) -> Response:
    texts = read_smsbox(services(request).settings.smsbox_dir)
    return render(request, "dev/sms.html", {"texts": texts, "answered": None}, cache=PRIVATE)


async def smsbox_json(request: Request) -> Response:
    texts = read_smsbox(services(request).settings.smsbox_dir)
    return JSONResponse(texts, headers={"Cache-Control": PRIVATE})


async def smsbox_answer(request: Request) -> Response:
    """A text to our number from one the app texted, as Twilio would hand it over."""
    s = services(request)
    form = await request.form(max_files=0, max_fields=5)
    sender, body = str(form.get("from", "")), str(form.get("body", ""))
    text = IncomingText(sender, body, f"dev-{uuid4().hex}")
    received = await receive_text(s.pool, s.queue, s.tokens, s.clock, text, s.yes_words)
    answered = {"from": sender, "body": body, "answer": text_answer(request, received)}
    texts = read_smsbox(s.settings.smsbox_dir)
    context = {"texts": texts, "answered": answered}
    return render(request, "dev/sms.html", context, cache=PRIVATE)
