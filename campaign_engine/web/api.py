"""JSON API v1. Every error has one shape: `{"error": {"code", "message", "fields"?}}`."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.actions import (
    ensure_signable,
    list_open_actions,
    read_action_page,
    read_count,
)
from campaign_engine.domain.signatures import sign_action
from campaign_engine.i18n import _
from campaign_engine.models import ActionCard, ActionPage
from campaign_engine.web.api_guard import public_signature_post
from campaign_engine.web.forms import FieldErrors, parse_signature
from campaign_engine.web.proof_of_work import with_proof_of_work
from campaign_engine.web.services import client_address, services

# Counts change by the second; a few seconds of caching carries a crowd of pollers.
COUNT_CACHE = "public, max-age=5, stale-while-revalidate=30, stale-if-error=600"


def api_error(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return JSONResponse({"error": error}, status_code=status, headers={"Cache-Control": "no-store"})


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
    tag = i18n.active().tag
    cards = await list_open_actions(services(request).pool, tag)
    return JSONResponse({"locale": tag, "actions": [_card(card) for card in cards]})


async def get_action(request: Request) -> Response:
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
            "letter": {"subject": page.letter_subject, "body": page.letter_body},
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
    asked = data.get("locale")
    tag = i18n.supported(asked) if isinstance(asked, str) and asked else i18n.active().tag
    if tag is None:
        return api_error(
            422,
            "validation_failed",
            _("Some fields need your attention."),
            {"locale": _("Choose one of the languages we offer.")},
        )
    s = services(request)
    with s.catalogues.activate(tag):
        parsed = parse_signature(data, tag, client_address(request))
        if isinstance(parsed, FieldErrors):
            # An action that is gone or closed says so, whatever was wrong with the fields.
            await ensure_signable(s.pool, request.path_params["slug"])
            return api_error(
                422, "validation_failed", _("Some fields need your attention."), parsed.errors
            )
        parsed = await with_proof_of_work(request, data, parsed)
        await sign_action(
            s.pool,
            s.queue,
            s.tokens,
            request.path_params["slug"],
            parsed,
            limits=s.client_limits,
        )
    return JSONResponse(
        {"status": "pending_confirmation"}, status_code=202, headers={"Cache-Control": "no-store"}
    )
