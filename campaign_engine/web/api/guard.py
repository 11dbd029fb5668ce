"""The doors of the JSON API v1: API keys (`Authorization: Bearer ce_…`) with scopes, rate
limits, and CORS on the public signature POST for the partners' allowed origins only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine.domain.integrations.api_keys import authenticate, origin_may_post
from campaign_engine.domain.integrations.partners import plain_http_origins_allowed
from campaign_engine.i18n import _
from campaign_engine.models.integrations import ApiKey, ApiScope
from campaign_engine.web.api.answers import api_error
from campaign_engine.web.errors import EXCEPTION_HANDLERS
from campaign_engine.web.rate_limits import PER_KEY
from campaign_engine.web.services import client_address, services

Handler = Callable[[Request], Awaitable[Response]]

# What a browser may cache of a preflight's answer, in seconds.
PREFLIGHT_MAX_AGE = "600"


def api_key(request: Request) -> ApiKey:
    key: ApiKey = request.state.api_key
    return key


def too_many(retry_after: int) -> Response:
    response = api_error(
        429, "rate_limited", _("Too many requests. Wait a moment, then try again.")
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def key_required(scope: ApiScope) -> Callable[[Handler], Handler]:
    """Guard an authenticated endpoint: a valid key (401 otherwise, with `WWW-Authenticate`),
    holding `scope` (403), within its rate limit (429, with `Retry-After`)."""

    def wrap(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request) -> Response:
            s = services(request)
            scheme, _space, presented = request.headers.get("authorization", "").partition(" ")
            key = (
                await authenticate(s.pool, s.clock, presented.strip())
                if scheme.lower() == "bearer"
                else None
            )
            if key is None:
                response = api_error(
                    401,
                    "unauthorized",
                    _("Send a valid API key in the header Authorization: Bearer <key>."),
                )
                response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
                return response
            if scope not in key.scopes:
                return api_error(403, "forbidden", _("This API key may not read this."))
            verdict = await services(request).limiter.hit("key", str(key.id), PER_KEY)
            if not verdict.allowed:
                return too_many(verdict.retry_after)
            request.state.api_key = key
            return await handler(request)

        return guarded

    return wrap


async def cors_origin(request: Request) -> str | None:
    """The request's Origin when an enabled partner allows it; else None (no CORS headers,
    so the browser keeps the answer from the page). A page served over plain HTTP is allowed
    nothing in production, whatever a partner's record says (domain/integrations/partners.py)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null" or len(origin) > 300:
        return None
    plain_http = plain_http_origins_allowed(services(request).settings.environment)
    if not plain_http and not origin.lower().startswith("https://"):
        return None
    return origin if await origin_may_post(services(request).pool, origin) else None


def allow_origin(response: Response, origin: str | None) -> Response:
    response.headers["Vary"] = "Origin"
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
    return response


def public_signature_post(handler: Handler) -> Handler:
    """The public signature POST: rate limited per client, with CORS headers on every answer
    (errors included, so a partner's page can show them) when the origin is allowed."""

    @wraps(handler)
    async def guarded(request: Request) -> Response:
        origin = await cors_origin(request)
        identity = client_address(request) or "unknown"
        limit = services(request).settings.signatures_per_client
        if limit:
            verdict = await services(request).limiter.hit("sign", identity, limit)
            if not verdict.allowed:
                return allow_origin(too_many(verdict.retry_after), origin)
        try:
            response = await handler(request)
        except Exception as error:
            # The errors the app turns into answers (not found, closed, too large): answered
            # here, so they carry the CORS headers too. Anything else stays a server error.
            answer = EXCEPTION_HANDLERS.get(type(error))
            if answer is None:
                raise
            response = await answer(request, error)
        return allow_origin(response, origin)

    return guarded


async def signature_preflight(request: Request) -> Response:
    """OPTIONS before a browser's cross-origin POST: allowed origins get the permission, the
    rest an answer without it."""
    origin = await cors_origin(request)
    response = allow_origin(Response(status_code=204), origin)
    if origin is not None:
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response
