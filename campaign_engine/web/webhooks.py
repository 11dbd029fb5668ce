"""Webhooks: Twilio's status callbacks and incoming texts, and mail forwarded by a provider.

Nothing is done before the caller is known: Twilio's requests must carry a valid
`X-Twilio-Signature` for the URL they were sent to, and forwarded mail a bearer token. Both
may come more than once; what they record is recorded once.
"""

from __future__ import annotations

import hmac
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from campaign_engine.domain.delivery.inbound import (
    IncomingText,
    ReceivedText,
    TextKind,
    receive_email,
    receive_text,
    record_text_status,
)
from campaign_engine.web.services import services

FORBIDDEN = Response(status_code=403)
NO_MESSAGE = Response(status_code=400)


def _signed_by_twilio(request: Request, form: dict[str, str]) -> bool:
    settings = services(request).settings
    if not settings.twilio_auth_token:
        return False
    # The URL Twilio signed is the one it was given: our public address, not the one we see
    # behind a proxy.
    url = f"{settings.public_base_url}{request.url.path}"
    if request.url.query:
        url = f"{url}?{request.url.query}"
    signature = request.headers.get("x-twilio-signature", "")
    return bool(RequestValidator(settings.twilio_auth_token).validate(url, form, signature))


async def _twilio_form(request: Request) -> dict[str, str] | None:
    form = await request.form(max_files=0, max_fields=100)
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return fields if _signed_by_twilio(request, fields) else None


async def twilio_status(request: Request) -> Response:
    form = await _twilio_form(request)
    if form is None:
        return FORBIDDEN
    try:
        delivery_id = UUID(request.query_params.get("d", ""))
    except ValueError:
        return Response(status_code=204)  # not one of ours: nothing to do
    s = services(request)
    await record_text_status(
        s.pool,
        s.clock,
        delivery_id,
        form.get("MessageSid"),
        form.get("MessageStatus", ""),
        form.get("ErrorCode"),
    )
    return Response(status_code=204)


async def twilio_incoming(request: Request) -> Response:
    form = await _twilio_form(request)
    if form is None:
        return FORBIDDEN
    s = services(request)
    text = IncomingText(form.get("From", ""), form.get("Body", ""), form.get("MessageSid", ""))
    received = await receive_text(s.pool, s.queue, s.tokens, s.clock, text, s.yes_words)
    answer = MessagingResponse()
    said = text_answer(request, received)
    if said is not None:
        answer.message(said)
    return Response(str(answer), media_type="text/xml")


def text_answer(request: Request, received: ReceivedText) -> str | None:
    """What a text to our number is answered at once, if anything (also /dev/sms's)."""
    if received.kind is TextKind.HELP:
        return _answer(request, "sms/help.txt", received.locale)
    if received.kind is TextKind.YES and received.answer is not None:
        said = received.answer
        return _answer(request, "sms/answer.txt", said.locale, meant=said.meant, title=said.title)
    return None


def _answer(request: Request, template: str, locale: str, **context: object) -> str:
    """A text answered at once (TwiML), in the sender's language, on one line."""
    s = services(request)
    with s.catalogues.activate(locale):
        page = s.templates.env.get_template(template)
        return " ".join(page.render(organisation=s.settings.organisation_name, **context).split())


async def forwarded_email(request: Request) -> Response:
    s = services(request)
    expected = f"Bearer {s.settings.inbound_email_token}"
    given = request.headers.get("authorization", "")
    if not s.settings.inbound_email_token or not hmac.compare_digest(given, expected):
        return FORBIDDEN
    # What can go wrong is answered in two ways (docs/workspace.md, "Inbound mail"). A request
    # that is itself wrong gets a 4xx: no message in it (400), more than we take (413, from
    # BodyLimitMiddleware); retrying it cannot succeed. A message we will not read (a nesting
    # or part-count bomb, headers the parser cannot take) arrived as intended: it is answered
    # 202 "ignored", like mail for no delivery of ours, so the provider stops retrying. Never
    # a 5xx: a provider retries those for days.
    raw = await request.body()
    if not raw.strip():
        return NO_MESSAGE
    recorded = await receive_email(s.pool, s.clock, s.settings.relay_email, raw)
    return JSONResponse({"recorded": recorded}, status_code=202)
