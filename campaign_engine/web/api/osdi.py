"""OSDI under `/api/osdi/v1/`: petitions and their signatures in OSDI's HAL+JSON, and the
record_signature helper, so tools that speak to Action Network can speak to us.

The same API keys as the API v1 (`actions:read`, `signatures:read`, `signatures:write`), the
same partner scoping, the same error shape (`{"error": {...}}`). Pages are numbered, as OSDI
wants: `?page=1..&per_page=1..25`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from math import ceil
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.actions import ensure_signable
from campaign_engine.domain.integrations.osdi import (
    MAX_PER_PAGE,
    list_petition_signatures,
    list_petitions,
    read_petition,
)
from campaign_engine.domain.signing.signatures import sign_action
from campaign_engine.formats.versions import model_letter
from campaign_engine.i18n import _
from campaign_engine.models.integrations import ApiScope, ApiSignature, OsdiPetition
from campaign_engine.web.api.answers import api_error
from campaign_engine.web.api.guard import api_key, key_required
from campaign_engine.web.forms import FieldErrors, parse_signature
from campaign_engine.web.rendering import absolute_url
from campaign_engine.web.services import services

HAL = "application/hal+json"
ORIGIN_SYSTEM = "campaign-engine"
# Where a HAL browser finds what `osdi:petitions` and its kin mean.
CURIES = [
    {"name": "osdi", "href": "https://opensupporter.github.io/osdi-docs/{rel}", "templated": True}
]
MAX_PAGE_NUMBER = 1_000_000
# Our signature's fields, as OSDI's person names them (for per-field errors).
PERSON_FIELDS = {
    "name": "person.given_name",
    "email": "person.email_addresses",
    "country": "person.postal_addresses",
}


class BadPage(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message


def _hal(body: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse(
        body, status_code=status, media_type=HAL, headers={"Cache-Control": "no-store"}
    )


def _number(request: Request, name: str, default: int, most: int) -> int:
    given = request.query_params.get(name, str(default))
    if not given.isascii() or not given.isdigit() or not 1 <= int(given) <= most:
        raise BadPage(name, _("Give a number from 1 to %(most)d.") % {"most": most})
    return int(given)


def _paging(request: Request) -> tuple[int, int]:
    return (
        _number(request, "page", 1, MAX_PAGE_NUMBER),
        _number(request, "per_page", MAX_PER_PAGE, MAX_PER_PAGE),
    )


def _bad_page(error: BadPage) -> Response:
    return api_error(
        400, "invalid_parameter", _("A query parameter is not valid."), {error.field: error.message}
    )


def _collection(
    href: str, rel: str, items: list[dict[str, Any]], page: int, per_page: int, total: int
) -> dict[str, Any]:
    """OSDI's collection: counts, numbered page links, and the items both linked and embedded."""
    pages = ceil(total / per_page)
    links: dict[str, Any] = {"self": {"href": f"{href}?page={page}&per_page={per_page}"}}
    if page < pages:
        links["next"] = {"href": f"{href}?page={page + 1}&per_page={per_page}"}
    if page > 1:
        links["previous"] = {"href": f"{href}?page={page - 1}&per_page={per_page}"}
    links[rel] = [item["_links"]["self"] for item in items if "self" in item["_links"]]
    links["curies"] = CURIES
    return {
        "total_pages": pages,
        "per_page": per_page,
        "page": page,
        "total_records": total,
        "_links": links,
        "_embedded": {rel: items},
    }


async def entry_point(request: Request) -> Response:
    """The API entry point: what is here. Public: it tells nothing but the way in."""
    return _hal(
        {
            "motd": _("Welcome to the OSDI API of campaign-engine: petitions and signatures."),
            "vendor_name": "campaign-engine",
            "product_name": "campaign-engine",
            "max_pagesize": MAX_PER_PAGE,
            "_links": {
                "self": {"href": absolute_url(request, "osdi.entry_point")},
                "osdi:petitions": {
                    "href": absolute_url(request, "osdi.petitions"),
                    "title": "The petitions",
                },
                "curies": CURIES,
            },
        }
    )


@key_required(ApiScope.ACTIONS_READ)
async def petitions(request: Request) -> Response:
    try:
        page, per_page = _paging(request)
    except BadPage as error:
        return _bad_page(error)
    found = await list_petitions(services(request).pool, i18n.active().tag, page, per_page)
    items = [_petition(request, petition) for petition in found.items]
    return _hal(
        _collection(
            absolute_url(request, "osdi.petitions"),
            "osdi:petitions",
            items,
            page,
            per_page,
            found.total,
        )
    )


@key_required(ApiScope.ACTIONS_READ)
async def petition(request: Request) -> Response:
    found = await read_petition(
        services(request).pool, i18n.active().tag, request.path_params["slug"]
    )
    return _hal(_petition(request, found))


@key_required(ApiScope.SIGNATURES_READ)
async def signatures(request: Request) -> Response:
    try:
        page, per_page = _paging(request)
    except BadPage as error:
        return _bad_page(error)
    slug = request.path_params["slug"]
    found, signed = await list_petition_signatures(
        services(request).pool, api_key(request), i18n.active().tag, slug, page, per_page
    )
    petition_href = absolute_url(request, "osdi.petition", slug=found.slug)
    items = [_signature(petition_href, signature) for signature in signed.items]
    return _hal(
        _collection(
            absolute_url(request, "osdi.signatures", slug=found.slug),
            "osdi:signatures",
            items,
            page,
            per_page,
            signed.total,
        )
    )


@key_required(ApiScope.SIGNATURES_WRITE)
async def record_signature(request: Request) -> Response:
    """OSDI's record_signature helper: signs exactly like the public POST. The person gets the
    confirmation email and counts once they confirm; a repeat is answered like a first."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() not in (
        "application/json",
        HAL,
    ):
        return api_error(
            415,
            "unsupported_media_type",
            _("Send the signature as JSON, with the header Content-Type: application/json."),
        )
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError, RecursionError):
        return api_error(400, "invalid_json", _("The request body is not valid JSON."))
    person = data.get("person") if isinstance(data, dict) else None
    if not isinstance(person, dict):
        return api_error(
            400, "invalid_json", _("The request body must be a JSON object with a person.")
        )
    s, key, slug = services(request), api_key(request), request.path_params["slug"]
    tag = i18n.active().tag
    flat = {
        **_person_fields(person),
        # Credited to the key's partner (nobody for the organisation's key); no consent is
        # asked through OSDI, so none is recorded.
        "partner": key.partner_slug,
        "source": "osdi",
    }
    # No client address: the caller is the tool's server, not the person signing.
    parsed = parse_signature(flat, tag, None)
    if isinstance(parsed, FieldErrors):
        await ensure_signable(s.pool, slug)
        return api_error(
            422,
            "validation_failed",
            _("Some fields need your attention."),
            {PERSON_FIELDS.get(field, field): message for field, message in parsed.errors.items()},
        )
    # A partner's tool signs with a key of ours: it answers for its signers, and no browser
    # is there to work a proof of work (that is for anonymous forms).
    proven = replace(parsed, proof_of_work=True)
    await sign_action(s.signatures, s.tokens, slug, proven, limits=s.client_limits)
    return _hal(
        {
            "origin_system": ORIGIN_SYSTEM,
            "status": "pending_confirmation",
            "_links": {
                "osdi:petition": {"href": absolute_url(request, "osdi.petition", slug=slug)},
                "curies": CURIES,
            },
        },
        status=202,
    )


def _person_fields(person: dict[str, Any]) -> dict[str, object]:
    """OSDI's person as our signature's fields: one name, the primary (else first) email
    address, the first postal address's country."""
    names = [person.get("given_name"), person.get("family_name")]
    name = " ".join(part.strip() for part in names if isinstance(part, str) and part.strip())
    emails = [e for e in _list(person, "email_addresses") if isinstance(e.get("address"), str)]
    primary = next((e for e in emails if e.get("primary") is True), emails[0] if emails else {})
    postal = _list(person, "postal_addresses")
    return {
        "name": name,
        "email": primary.get("address", ""),
        "country": postal[0].get("country", "") if postal else "",
    }


def _list(person: dict[str, Any], field: str) -> list[dict[str, Any]]:
    given = person.get(field)
    return [item for item in given if isinstance(item, dict)] if isinstance(given, list) else []


def _petition(request: Request, petition: OsdiPetition) -> dict[str, Any]:
    href = absolute_url(request, "osdi.petition", slug=petition.slug)
    signatures = absolute_url(request, "osdi.signatures", slug=petition.slug)
    return {
        "identifiers": [f"campaign_engine:{petition.slug}"],
        "origin_system": ORIGIN_SYSTEM,
        "created_date": petition.created_at.isoformat(),
        "modified_date": petition.modified_at.isoformat(),
        "title": petition.title,
        "description": petition.summary,
        "petition_text": model_letter("", petition.letter_body).body,
        "target": [{"name": name} for name in petition.targets],
        "total_signatures": petition.confirmed,
        "browser_url": absolute_url(
            request, "pages.action_page", locale=petition.locale, slug=petition.slug
        ),
        "_links": {
            "self": {"href": href},
            "osdi:signatures": {"href": signatures},
            "osdi:record_signature_helper": {"href": signatures},
        },
    }


def _signature(petition_href: str, signature: ApiSignature) -> dict[str, Any]:
    modified = signature.confirmed_at or signature.created_at
    return {
        "identifiers": [f"campaign_engine:{signature.id}"],
        "origin_system": ORIGIN_SYSTEM,
        "created_date": signature.created_at.isoformat(),
        "modified_date": modified.isoformat(),
        "referrer_data": {"source": signature.source, "referrer": signature.partner},
        "_links": {"osdi:petition": {"href": petition_href}},
        "_embedded": {
            "osdi:person": {
                # One name field is all we ask for; OSDI's person splits it, so it is all in
                # given_name and family_name stays empty.
                "given_name": signature.name or "",
                "family_name": "",
                "email_addresses": [{"address": signature.email, "primary": True}],
                "postal_addresses": [{"country": signature.country}],
            }
        },
    }
