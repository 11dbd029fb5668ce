"""The authenticated JSON API v1: actions, cases (with outcomes) and signatures, for scripts
and partners holding an API key. Lists are pages: `?limit=1..100&cursor=<opaque>`, answered
`{"data": [...], "next_cursor": "..." | null}`.

Signers' names and emails are personal data: read through db/personal/signers.py, answered to the
key that may read them, never logged.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.integrations.api_reads import (
    MAX_PAGE,
    list_actions_page,
    list_cases_page,
    list_signatures_page,
)
from campaign_engine.i18n import _
from campaign_engine.models.campaigns import TimelineEntry
from campaign_engine.models.integrations import ApiAction, ApiCase, ApiScope, ApiSignature
from campaign_engine.web.api.answers import api_error
from campaign_engine.web.api.guard import api_key, key_required
from campaign_engine.web.api.public import unknown_locale
from campaign_engine.web.services import services

DEFAULT_PAGE = 50
# A page's cursor names the last row it holds: its id, or for signatures (ordered by time)
# the microseconds since 1970 and the id. Every string of this shape is a place to start from,
# so the document can say which cursors are valid by pattern alone (web/api/openapi.py), and the
# server takes exactly those: anything else is answered 400. Empty: the first page.
ID_CURSOR = r"[0-9]{1,18}"
SIGNATURE_CURSOR = r"[0-9]{1,17}-[0-9a-f]{32}"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class BadPage(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message


def _cursor(request: Request, shape: str) -> str | None:
    given = request.query_params.get("cursor")
    if not given:
        return None
    if not re.fullmatch(shape, given):
        raise BadPage("cursor", _("This cursor is not one we gave: start again without it."))
    return given


def _limit(request: Request) -> int:
    given = request.query_params.get("limit", str(DEFAULT_PAGE))
    if not given.isascii() or not given.isdigit() or not 1 <= int(given) <= MAX_PAGE:
        raise BadPage("limit", _("Give a number from 1 to %(most)d.") % {"most": MAX_PAGE})
    return int(given)


def _id_cursor(request: Request) -> int:
    """The last id of the previous page (0: from the start)."""
    return int(_cursor(request, ID_CURSOR) or 0)


def _signature_cursor(request: Request) -> tuple[datetime, UUID] | None:
    given = _cursor(request, SIGNATURE_CURSOR)
    if given is None:
        return None
    micros, _dash, signature_id = given.partition("-")
    return _EPOCH + int(micros) * _MICROSECOND, UUID(hex=signature_id)


def signature_cursor(created_at: datetime, signature_id: UUID) -> str:
    return f"{(created_at - _EPOCH) // _MICROSECOND}-{signature_id.hex}"


def _bad_page(error: BadPage) -> Response:
    return api_error(
        400, "invalid_parameter", _("A query parameter is not valid."), {error.field: error.message}
    )


def _page(data: list[dict[str, Any]], limit: int, next_cursor: str | None) -> Response:
    return JSONResponse(
        {"data": data, "next_cursor": next_cursor if len(data) == limit else None},
        headers={"Cache-Control": "no-store"},
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@key_required(ApiScope.ACTIONS_READ)
async def list_actions(request: Request) -> Response:
    try:
        after, limit = _id_cursor(request), _limit(request)
    except BadPage as error:
        return _bad_page(error)
    actions = await list_actions_page(services(request).pool, after, limit)
    last = str(actions[-1].id) if actions else None
    return _page([_action(action) for action in actions], limit, last)


@key_required(ApiScope.CASES_READ)
async def list_cases(request: Request) -> Response:
    if refused := unknown_locale(request):
        return refused
    try:
        after, limit = _id_cursor(request), _limit(request)
    except BadPage as error:
        return _bad_page(error)
    found = await list_cases_page(services(request).pool, after, limit, i18n.active().tag)
    last = str(found[-1].id) if found else None
    return _page([_case(case) for case in found], limit, last)


@key_required(ApiScope.SIGNATURES_READ)
async def list_signatures(request: Request) -> Response:
    try:
        after, limit = _signature_cursor(request), _limit(request)
    except BadPage as error:
        return _bad_page(error)
    signatures = await list_signatures_page(
        services(request).pool, api_key(request), request.path_params["slug"], after, limit
    )
    last = signature_cursor(signatures[-1].created_at, signatures[-1].id) if signatures else None
    return _page([_signature(signature) for signature in signatures], limit, last)


def _action(action: ApiAction) -> dict[str, Any]:
    return {
        "id": action.id,
        "slug": action.slug,
        "code": action.code,
        "status": action.status,
        "case": action.case_slug,
        "default_locale": action.default_locale,
        "locales": list(action.locales),
        "published_locales": list(action.published_locales),
        "deadline": _iso(action.deadline),
        "goal": action.goal,
        "created_at": _iso(action.created_at),
    }


def _case(case: ApiCase) -> dict[str, Any]:
    return {
        "id": case.id,
        "slug": case.slug,
        "country": case.country,
        "risk_category": case.risk_category,
        "status": case.status,
        "default_locale": case.default_locale,
        "locales": list(case.locales),
        "created_at": _iso(case.created_at),
        "events": [_event(event) for event in case.events],
    }


def _event(event: TimelineEntry) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": str(event.kind),
        "outcome": str(event.outcome) if event.outcome else None,
        "occurred_at": _iso(event.occurred_at),
        "source": event.source,
        "locale": event.locale,
        "title": event.title,
        "body": event.body,
    }


def _signature(signature: ApiSignature) -> dict[str, Any]:
    return {
        "id": str(signature.id),
        "created_at": _iso(signature.created_at),
        "confirmed_at": _iso(signature.confirmed_at),
        "country": signature.country,
        "locale": signature.locale,
        "source": signature.source,
        "partner": signature.partner,
        "utm": signature.utm,
        "name": signature.name,
        "email": signature.email,
    }
