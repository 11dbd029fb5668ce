"""JSON API v1, the public part: an action's count, and signing (the widget's and partners'
sites' too). Errors have one shape (web/api/answers.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.actions import (
    ensure_signable,
    list_open_actions,
    read_action_page,
    read_count,
)
from campaign_engine.domain.signing.signatures import sign_action
from campaign_engine.formats.versions import model_letter
from campaign_engine.i18n import N_, _
from campaign_engine.models.campaigns import ActionCard, ActionPage
from campaign_engine.web.api.answers import api_error
from campaign_engine.web.api.guard import public_signature_post
from campaign_engine.web.forms import (
    MAX_COMMENT,
    MAX_EMAIL,
    MAX_NAME,
    UTM_KEYS,
    FieldErrors,
    parse_signature,
)
from campaign_engine.web.public.proof_of_work import with_proof_of_work
from campaign_engine.web.services import client_address, services

# Counts change by the second; a few seconds of caching carries a crowd of pollers.
COUNT_CACHE = "public, max-age=5, stale-while-revalidate=30, stale-if-error=600"


# Our language tags in any case, as BCP 47 reads tags (`zh-hans` is `zh-Hans`): the document
# states it with this pattern, and the server takes exactly what it matches.
LOCALE_PATTERN = "|".join(
    "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in tag)  # letters, "-"
    for tag in i18n.LOCALES
)


def unknown_locale(request: Request) -> Response | None:
    """A `?locale=` we do not offer is refused, as the document says. Answering in another
    language would answer a question that was not asked; a client that wants the reader's
    language sends none and lets Accept-Language decide."""
    asked = request.query_params.get("locale")
    if asked is None or re.fullmatch(LOCALE_PATTERN, asked):
        return None
    return api_error(
        400,
        "invalid_parameter",
        _("A query parameter is not valid."),
        {"locale": _("Choose one of the languages we offer.")},
    )


@dataclass(frozen=True)
class JsonField:
    """A field of the signature JSON: what the OpenAPI document promises of it (web/api/openapi.py
    writes the schema from this table), checked before the form's own checks read it.

    A field may be absent, or null (as if absent) unless required; `pattern` is the whole
    value, as re.fullmatch reads it; `refusal` is the message when it does not match.
    """

    kind: type[str] | type[bool]
    required: bool = False
    max_length: int | None = None
    pattern: str | None = None
    refusal: str = ""


SIGNATURE_FIELDS: dict[str, JsonField] = {
    "name": JsonField(str, required=True, max_length=MAX_NAME),
    "email": JsonField(str, required=True, max_length=MAX_EMAIL),
    "country": JsonField(
        str, required=True, pattern="[A-Za-z]{2}", refusal=N_("Choose a country from the list.")
    ),
    "phone": JsonField(str),
    "comment": JsonField(str, max_length=MAX_COMMENT),
    "locale": JsonField(
        str, pattern=LOCALE_PATTERN, refusal=N_("Choose one of the languages we offer.")
    ),
    "consent_updates": JsonField(bool),
    "consent_partner": JsonField(bool),
    "consent_sms": JsonField(bool),
    "consent_network": JsonField(bool),
    "anonymous": JsonField(bool),
    "partner": JsonField(str),
    "source": JsonField(str),
    **{key: JsonField(str) for key in UTM_KEYS},
    "pow_challenge": JsonField(str),
    "pow_nonce": JsonField(str),
}


def misshapen_fields(data: dict[str, Any]) -> dict[str, str]:
    """Fields whose JSON type, length or form the document excludes, with what to send."""
    problems = {name: _misshapen(data.get(name), spec) for name, spec in SIGNATURE_FIELDS.items()}
    return {name: message for name, message in problems.items() if message}


def _misshapen(value: object, spec: JsonField) -> str | None:
    if value is None or (value == "" and spec.required):
        return None  # absent, or left to the form's checks, which say what to fill in
    if not isinstance(value, spec.kind):
        if spec.kind is bool:
            return _("Send true or false here.")
        return _("Send text here (a JSON string).")
    if not isinstance(value, str):
        return None
    if spec.max_length and len(value) > spec.max_length:
        return _("At most %(max)d characters.") % {"max": spec.max_length}
    if spec.pattern and not re.fullmatch(spec.pattern, value):
        return _(spec.refusal)
    return None


def _iso(card: ActionCard | ActionPage) -> str | None:
    return card.deadline.isoformat() if card.deadline else None


def _card(card: ActionCard) -> dict[str, Any]:
    return {
        "slug": card.slug,
        "code": card.code,
        "status": card.status,
        "locale": card.locale,
        "title": card.title,
        "summary": card.summary,
        "deadline": _iso(card),
        "goal": card.goal,
        "confirmed": card.confirmed,
    }


async def list_actions(request: Request) -> Response:
    if refused := unknown_locale(request):
        return refused
    tag = i18n.active().tag
    cards = await list_open_actions(services(request).pool, tag)
    return JSONResponse({"locale": tag, "actions": [_card(card) for card in cards]})


async def get_action(request: Request) -> Response:
    if refused := unknown_locale(request):
        return refused
    page = await read_action_page(
        services(request).pool, request.path_params["slug"], i18n.active().tag
    )
    return JSONResponse(
        {
            "slug": page.slug,
            "code": page.code,
            "status": page.status,
            "locale": page.locale,
            "locales": list(page.published_locales),
            "title": page.title,
            "summary": page.summary,
            "body": page.body,
            "letter": _model_letter(page.letter_subject, page.letter_body),
            "share_text": page.share_text,
            "deadline": _iso(page),
            "goal": page.goal,
            "confirmed": page.confirmed,
            "case": {"slug": page.case_slug, "title": page.case_title, "person": page.case_person},
        }
    )


async def get_count(request: Request) -> Response:
    count = await read_count(services(request).pool, request.path_params["slug"])
    return JSONResponse(
        {"confirmed": count.confirmed, "goal": count.goal},
        headers={"Cache-Control": COUNT_CACHE},
    )


@public_signature_post
async def post_signature(request: Request) -> Response:
    # JSON only: a browser cannot send it from another site without asking first (CORS), so
    # no web page can make its visitors sign through this endpoint unknowingly.
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return api_error(
            415,
            "unsupported_media_type",
            _("Send the signature as JSON, with the header Content-Type: application/json."),
        )
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError, RecursionError):
        return api_error(400, "invalid_json", _("The request body is not valid JSON."))
    if not isinstance(data, dict):
        return api_error(400, "invalid_json", _("The request body must be a JSON object."))
    s = services(request)
    asked = data.get("locale")
    tag = (i18n.supported(asked) if isinstance(asked, str) else None) or i18n.active().tag
    with s.catalogues.activate(tag):
        parsed = parse_signature(data, tag, client_address(request))
        # The form's own messages, where it has one, say best what to fix.
        problems = {
            **misshapen_fields(data),
            **(parsed.errors if isinstance(parsed, FieldErrors) else {}),
        }
        if problems:
            # An action that is gone or closed says so, whatever was wrong with the fields.
            await ensure_signable(s.pool, request.path_params["slug"])
            return api_error(
                422, "validation_failed", _("Some fields need your attention."), problems
            )
        assert not isinstance(parsed, FieldErrors)
        parsed = await with_proof_of_work(request, data, parsed)
        await sign_action(
            s.signatures,
            s.tokens,
            request.path_params["slug"],
            parsed,
            limits=s.client_limits,
        )
    return JSONResponse(
        {"status": "pending_confirmation"}, status_code=202, headers={"Cache-Control": "no-store"}
    )


def _model_letter(subject: str, body: str) -> dict[str, str]:
    """The letter as the action page shows it: the first of each part's versions."""
    model = model_letter(subject, body)
    return {"subject": model.subject, "body": model.body}
