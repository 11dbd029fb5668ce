"""The OpenAPI 3.1 document of the JSON API v1, served at `/api/v1/openapi.json`.

Written by hand, route by route, from small schema pieces. `tests/test_openapi.py` checks that
it describes exactly the `/api/v1` routes of web/routes.py (a new route without a description
fails), and runs schemathesis against it: no server error, no answer outside the schema.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from campaign_engine.fields import SLUG_PATTERN
from campaign_engine.i18n import LOCALES
from campaign_engine.models import ApiScope, CaseEventKind, Outcome
from campaign_engine.web.forms import UTM_KEYS
from campaign_engine.web.rate_limits import PER_CLIENT_SIGNATURES, PER_KEY, WINDOW_SECONDS

Schema = dict[str, Any]


def nullable(kind: str, **more: Any) -> Schema:
    return {"type": [kind, "null"], **more}


STRING: Schema = {"type": "string"}
INSTANT: Schema = {"type": "string", "format": "date-time"}
INSTANT_OR_NULL: Schema = nullable("string", format="date-time")
LOCALE_LIST: Schema = {"type": "array", "items": STRING}


def obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }


ERROR = obj(
    {
        "error": obj(
            {
                "code": STRING,
                "message": STRING,
                "fields": {"type": "object", "additionalProperties": STRING},
            },
            optional=("fields",),
        )
    }
)

ACTION_CARD = obj(
    {
        "slug": STRING,
        "code": STRING,
        "status": STRING,
        "locale": STRING,
        "title": STRING,
        "summary": STRING,
        "deadline": INSTANT_OR_NULL,
        "goal": {"type": "integer"},
        "confirmed": {"type": "integer"},
    }
)
ACTION_PAGE = obj(
    {
        "slug": STRING,
        "code": STRING,
        "status": STRING,
        "locale": STRING,
        "locales": LOCALE_LIST,
        "title": STRING,
        "summary": STRING,
        "body": STRING,
        "letter": obj({"subject": STRING, "body": STRING}),
        "share_text": STRING,
        "deadline": INSTANT_OR_NULL,
        "goal": {"type": "integer"},
        "confirmed": {"type": "integer"},
        "case": obj({"slug": STRING, "title": STRING, "person": STRING}),
    }
)
COUNT = obj({"confirmed": {"type": "integer"}, "goal": {"type": "integer"}})

SIGNATURE_REQUEST: Schema = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Required."},
        "email": {"type": "string", "description": "Required."},
        "country": {"type": "string", "description": "Required: ISO 3166-1 alpha-2."},
        "phone": STRING,
        "comment": STRING,
        "locale": {"type": "string", "enum": list(LOCALES)},
        "consent_updates": {"type": "boolean"},
        "consent_partner": {"type": "boolean"},
        "consent_sms": {"type": "boolean"},
        "anonymous": {"type": "boolean"},
        "partner": {"type": "string", "description": "The partner's short name (credit)."},
        "source": STRING,
        **{key: STRING for key in UTM_KEYS},
        "pow_challenge": {
            "type": "string",
            "description": "When the action asks for a proof of work: a challenge from "
            "GET /proof-of-work (docs/abuse.md).",
        },
        "pow_nonce": {"type": "string", "description": "Its solution, in decimal digits."},
    },
    "description": "Fields are checked by the server; a wrong one is answered 422 with "
    "`error.fields`.",
}

ADMIN_ACTION = obj(
    {
        "id": {"type": "integer"},
        "slug": STRING,
        "code": STRING,
        "status": STRING,
        "case": STRING,
        "default_locale": STRING,
        "locales": LOCALE_LIST,
        "published_locales": LOCALE_LIST,
        "deadline": INSTANT_OR_NULL,
        "goal": {"type": "integer"},
        "created_at": INSTANT,
    }
)
EVENT = obj(
    {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": [str(kind) for kind in CaseEventKind]},
        "outcome": {"enum": [*(str(outcome) for outcome in Outcome), None]},
        "occurred_at": INSTANT,
        "source": nullable("string"),
        "locale": nullable("string"),
        "title": STRING,
        "body": STRING,
    }
)
ADMIN_CASE = obj(
    {
        "id": {"type": "integer"},
        "slug": STRING,
        "country": nullable("string"),
        "risk_category": STRING,
        "status": STRING,
        "default_locale": STRING,
        "locales": LOCALE_LIST,
        "created_at": INSTANT,
        "events": {"type": "array", "items": EVENT},
    }
)
ADMIN_SIGNATURE = obj(
    {
        "id": {"type": "string", "format": "uuid"},
        "created_at": INSTANT,
        "confirmed_at": INSTANT_OR_NULL,
        "country": STRING,
        "locale": STRING,
        "source": nullable("string"),
        "partner": nullable("string"),
        "utm": {"type": ["object", "null"], "additionalProperties": STRING},
        "name": nullable("string"),
        "email": STRING,
    }
)


def page_of(item: Schema) -> Schema:
    return obj({"data": {"type": "array", "items": item}, "next_cursor": nullable("string")})


def json_answer(description: str, schema: Schema, **headers: Schema) -> Schema:
    answer: Schema = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        answer["headers"] = {name: {"schema": value} for name, value in headers.items()}
    return answer


def errors(*statuses: int) -> dict[str, Schema]:
    described = {
        400: "Bad request (a body or parameter that cannot be read)",
        401: "No valid API key",
        403: "The key lacks the scope",
        404: "Not found",
        410: "The action is closed or removed",
        413: "The body is too large",
        415: "Not JSON",
        422: "Fields to correct, in `error.fields`",
    }
    found = {str(status): json_answer(described[status], ERROR) for status in statuses}
    found["429"] = json_answer(
        "Too many requests", ERROR, **{"Retry-After": {"type": "integer", "minimum": 1}}
    )
    return found


SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": f"^{SLUG_PATTERN}$"},
}
LOCALE = {
    "name": "locale",
    "in": "query",
    "required": False,
    "description": "The language of texts; else Accept-Language.",
    "schema": {"type": "string", "enum": list(LOCALES)},
}
PAGING = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "`next_cursor` of the previous page; opaque.",
        "schema": STRING,
    },
]
KEY: list[dict[str, list[str]]] = [{"apiKey": []}]


def authenticated(summary: str, scope: ApiScope, item: Schema, *params: Schema) -> Schema:
    return {
        "summary": summary,
        "description": f"Needs an API key with the scope `{scope}`. At most {PER_KEY} requests "
        f"per key every {WINDOW_SECONDS} seconds.",
        "security": KEY,
        "parameters": [*params, *PAGING],
        "responses": {
            "200": json_answer("A page", page_of(item)),
            **errors(400, 401, 403, *((404,) if params and params[0] is SLUG else ())),
        },
    }


def document() -> Schema:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "campaign-engine API",
            "version": "1",
            "description": "Urgent actions, cases and signatures. Every error has one shape: "
            '`{"error": {"code", "message", "fields"?}}`.',
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR},
        },
        "paths": {
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": json_answer("OpenAPI 3.1", {"type": "object"})},
                }
            },
            "/api/v1/actions": {
                "get": {
                    "summary": "Open actions",
                    "parameters": [LOCALE],
                    "responses": {
                        "200": json_answer(
                            "The open actions",
                            obj(
                                {
                                    "locale": STRING,
                                    "actions": {"type": "array", "items": ACTION_CARD},
                                }
                            ),
                        )
                    },
                }
            },
            "/api/v1/actions/{slug}": {
                "get": {
                    "summary": "One published action",
                    "parameters": [SLUG, LOCALE],
                    "responses": {
                        "200": json_answer("The action", ACTION_PAGE),
                        **errors(404, 410),
                    },
                }
            },
            "/api/v1/actions/{slug}/count": {
                "get": {
                    "summary": "Confirmed signatures and goal (cacheable)",
                    "parameters": [SLUG],
                    "responses": {"200": json_answer("The count", COUNT), **errors(404, 410)},
                }
            },
            "/api/v1/actions/{slug}/signatures": {
                "post": {
                    "summary": "Sign (confirmation by email follows)",
                    "description": "CORS: allowed from the allowed origins of enabled partners. "
                    f"At most {PER_CLIENT_SIGNATURES} per client every {WINDOW_SECONDS} seconds.",
                    "parameters": [SLUG],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": SIGNATURE_REQUEST}},
                    },
                    "responses": {
                        "202": json_answer(
                            "Pending confirmation",
                            obj({"status": {"type": "string", "const": "pending_confirmation"}}),
                        ),
                        **errors(400, 404, 410, 413, 415, 422),
                    },
                },
                "options": {
                    "summary": "CORS preflight",
                    "parameters": [SLUG],
                    "responses": {"204": {"description": "With CORS headers for allowed origins"}},
                },
            },
            "/api/v1/admin/actions": {
                "get": authenticated(
                    "Every action, any status", ApiScope.ACTIONS_READ, ADMIN_ACTION
                )
            },
            "/api/v1/admin/cases": {
                "get": authenticated(
                    "Cases with their published timelines and outcomes",
                    ApiScope.CASES_READ,
                    ADMIN_CASE,
                    LOCALE,
                )
            },
            "/api/v1/admin/actions/{slug}/signatures": {
                "get": authenticated(
                    "Confirmed signatures (a partner key: its own opted-in signers only)",
                    ApiScope.SIGNATURES_READ,
                    ADMIN_SIGNATURE,
                    SLUG,
                )
            },
        },
    }


DOCUMENT = document()


async def openapi_json(request: Request) -> Response:
    return JSONResponse(DOCUMENT, headers={"Cache-Control": "public, max-age=300"})
