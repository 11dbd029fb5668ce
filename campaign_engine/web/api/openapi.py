"""The OpenAPI 3.1 document of the JSON API v1, served at `/api/v1/openapi.json`.

Written by hand, route by route, from small schema pieces. `tests/test_openapi.py` checks that
it describes exactly the `/api/v1` routes of web/routes.py (a new route without a description
fails), and runs schemathesis against it: no server error, no answer outside the schema.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from campaign_engine.domain.integrations.api_reads import MAX_PAGE
from campaign_engine.formats.fields import SLUG_PATTERN
from campaign_engine.i18n import LOCALES
from campaign_engine.models.campaigns import CaseEventKind, Outcome
from campaign_engine.models.integrations import ApiScope
from campaign_engine.settings import DEFAULTS
from campaign_engine.web.api.public import LOCALE_PATTERN, SIGNATURE_FIELDS, JsonField
from campaign_engine.web.api.reads import ID_CURSOR, SIGNATURE_CURSOR
from campaign_engine.web.rate_limits import PER_KEY, WINDOW_SECONDS
from campaign_engine.web.services import services

# What the document says when no server's settings are at hand (tests, tools).
DEFAULT_PER_CLIENT = int(DEFAULTS["SIGNATURES_PER_CLIENT"])

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

TAGS = ", ".join(f"`{tag}`" for tag in LOCALES)
# What each field means; its type and limits come from web/api/public.py's SIGNATURE_FIELDS, which
# the server checks, so the two cannot drift apart.
SIGNATURE_FIELD_NOTES = {
    "country": "ISO 3166-1 alpha-2, in either case.",
    "locale": f"The language of the confirmation email, one of {TAGS} in any case; else the "
    "request's (`?locale=`, Accept-Language).",
    "partner": "The partner's short name (credit); one that is not a partner's is ignored.",
    "source": "An attribution code (`[A-Za-z0-9_.-]{1,64}`); any other is ignored.",
    "pow_challenge": "When the action asks for a proof of work: a challenge from "
    "GET /proof-of-work (docs/abuse.md).",
    "pow_nonce": "Its solution, in decimal digits.",
}


def json_field(name: str, spec: JsonField) -> Schema:
    kind = "string" if spec.kind is str else "boolean"
    schema: Schema = {"type": kind if spec.required else [kind, "null"]}
    if spec.required:
        schema["minLength"] = 1
    if spec.max_length:
        schema["maxLength"] = spec.max_length
    if spec.pattern:
        schema["pattern"] = f"^({spec.pattern})$"
    if name in SIGNATURE_FIELD_NOTES:
        schema["description"] = SIGNATURE_FIELD_NOTES[name]
    return schema


SIGNATURE_REQUEST: Schema = {
    "type": "object",
    "properties": {name: json_field(name, spec) for name, spec in SIGNATURE_FIELDS.items()},
    "required": [name for name, spec in SIGNATURE_FIELDS.items() if spec.required],
    "description": "The schema gives each field's type and limits; null is as if absent. The "
    "server also checks what a schema cannot say (an address that can take mail, a phone "
    "number that exists in the country, a name without control characters): a field it "
    "refuses is answered 422 with `error.fields`.",
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


# Any route that reads the database (every one but this document) may meet it unreachable.
UNAVAILABLE = {
    "503": json_answer(
        "The database is unreachable (`error.code` is `unavailable`); a signature sent may "
        "not have been saved: send it again (it counts once) after `Retry-After` seconds",
        ERROR,
        **{"Retry-After": {"type": "integer", "minimum": 1}},
    )
}


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
    return {**found, **UNAVAILABLE}


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
    "description": f"The language of texts: one of {TAGS}, in any case (another: 400); "
    "without it, Accept-Language decides.",
    "schema": {"type": "string", "pattern": f"^({LOCALE_PATTERN})$"},
}


def paging(cursor: str) -> list[Schema]:
    return [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 50},
        },
        {
            "name": "cursor",
            "in": "query",
            "required": False,
            "description": "`next_cursor` of the previous page (empty or absent: the first "
            "page). Pass it back as given; its form may change with a new version.",
            "schema": {"type": "string", "pattern": f"^({cursor})?$"},
        },
    ]


KEY: list[dict[str, list[str]]] = [{"apiKey": []}]


def authenticated(
    summary: str, scope: ApiScope, item: Schema, *params: Schema, cursor: str = ID_CURSOR
) -> Schema:
    return {
        "summary": summary,
        "description": f"Needs an API key with the scope `{scope}`. At most {PER_KEY} requests "
        f"per key every {WINDOW_SECONDS} seconds.",
        "security": KEY,
        "parameters": [*params, *paging(cursor)],
        "responses": {
            "200": json_answer("A page", page_of(item)),
            **errors(400, 401, 403, *((404,) if params and params[0] is SLUG else ())),
        },
    }


def document(signatures_per_client: int = DEFAULT_PER_CLIENT) -> Schema:
    """The document, saying the per-client limit this server enforces (SIGNATURES_PER_CLIENT)."""
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
                        ),
                        "400": json_answer("A language we do not offer, in `error.fields`", ERROR),
                        **UNAVAILABLE,
                    },
                }
            },
            "/api/v1/actions/{slug}": {
                "get": {
                    "summary": "One published action",
                    "parameters": [SLUG, LOCALE],
                    "responses": {
                        "200": json_answer("The action", ACTION_PAGE),
                        **errors(400, 404, 410),
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
                    + per_client_limit(signatures_per_client),
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
                    "responses": {
                        "204": {"description": "With CORS headers for allowed origins"},
                        # The path decides, before the handler: a slug of another form is no
                        # address of ours. One of the right form is answered 204 whether or
                        # not it names an action (the POST says which).
                        "404": json_answer("No such address (a slug of another form)", ERROR),
                        **UNAVAILABLE,
                    },
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
                    cursor=SIGNATURE_CURSOR,
                )
            },
        },
    }


def per_client_limit(signatures_per_client: int) -> str:
    if signatures_per_client == 0:
        return "No limit per client is set on this server."
    return f"At most {signatures_per_client} per client every {WINDOW_SECONDS} seconds."


@functools.cache
def document_for(signatures_per_client: int) -> Schema:
    """Built once per limit: the server's settings do not change while it runs."""
    return document(signatures_per_client)


async def openapi_json(request: Request) -> Response:
    limit = services(request).settings.signatures_per_client
    headers = {"Cache-Control": "public, max-age=300"}
    return JSONResponse(document_for(limit), headers=headers)
