"""Exports of an action: the form, and the two CSV files it downloads (signatures with their
signers' details; letters to officials). Only roles that may export personal data see any of
it, and each download is on the audit log before its first byte (`domain/campaigns/exports.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from campaign_engine import i18n
from campaign_engine.domain.campaigns.exports import (
    CsvExport,
    export_deliveries,
    export_signatures,
    read_export_choices,
)
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.formats.countries import COUNTRY_CODES, country_choices
from campaign_engine.formats.fields import parse_date
from campaign_engine.i18n import N_, _
from campaign_engine.models.signing import SignatureFilters, SignatureStatus
from campaign_engine.web.admin.campaigns.actions import not_found
from campaign_engine.web.admin.guard import path_slug, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.services import services

# What the status filter offers, and which signatures each choice holds. Invalidated and
# erased signatures are never exported.
STATUS_CHOICES: dict[str, tuple[str, tuple[SignatureStatus, ...]]] = {
    "confirmed": (N_("Confirmed only"), (SignatureStatus.CONFIRMED,)),
    "pending": (N_("Awaiting confirmation only"), (SignatureStatus.PENDING,)),
    "all": (
        N_("Confirmed and awaiting confirmation"),
        (SignatureStatus.CONFIRMED, SignatureStatus.PENDING),
    ),
}
FIELDS = ("status", "signed_from", "signed_to", "country", "language", "source", "partner")
MAX_TEXT = 200
FIRST_YEAR, LAST_YEAR = 2000, 2999


@staff_page(Capability.EXPORT)
async def export_page(request: Request) -> Response:
    return await _form(request, {"status": "confirmed"}, {})


@staff_page(Capability.EXPORT)
async def signatures_csv(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = {key: request.query_params.get(key, "").strip() for key in FIELDS}
    parsed = parse_filters(values)
    if isinstance(parsed, dict):
        return await _form(request, values, parsed, status_code=400)
    try:
        export = await export_signatures(s.pool, s.clock, actor, path_slug(request), parsed)
    except ActionNotFound:
        return not_found(request)
    return csv_download(export)


@staff_page(Capability.EXPORT)
async def deliveries_csv(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    try:
        export = await export_deliveries(s.pool, s.clock, actor, path_slug(request))
    except ActionNotFound:
        return not_found(request)
    return csv_download(export)


def csv_download(export: CsvExport) -> Response:
    return ExportStream(
        export.chunks,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


class ExportStream(StreamingResponse):
    """A file streamed from a cursor, its source closed here, at a chunk's edge, however the
    answer ends. Starlette's own stream is cancelled the moment the client leaves, perhaps
    while the cursor fetches: its transaction then cannot end in order (asyncpg logs
    "Resetting connection with an active transaction"), or is left to the garbage collector,
    which ends it from another task (asyncpg issue #232). Here the client's leaving is heard
    by a listener beside the stream and acted on between chunks."""

    def __init__(self, chunks: AsyncGenerator[bytes, None], **options: Any) -> None:
        super().__init__(chunks, **options)
        self.chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        left = asyncio.Event()
        listening = asyncio.create_task(_until_client_leaves(receive, left))
        try:
            start = {"type": "http.response.start", "status": self.status_code}
            await send({**start, "headers": self.raw_headers})
            async for chunk in self.chunks:
                if left.is_set():
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            listening.cancel()
            await self.chunks.aclose()


async def _until_client_leaves(receive: Receive, left: asyncio.Event) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    left.set()


def parse_filters(values: Mapping[str, str]) -> SignatureFilters | dict[str, str]:
    """The export's filters, or the problems with them (field name -> message). An empty
    field filters nothing; a missing status means confirmed signatures only."""
    errors: dict[str, str] = {}
    status = STATUS_CHOICES.get(values.get("status") or "confirmed")
    if status is None:
        errors["status"] = _("Choose which signatures to export.")
    signed_from = _day(values.get("signed_from", ""), "signed_from", errors)
    signed_to = _day(values.get("signed_to", ""), "signed_to", errors)
    if signed_from and signed_to and signed_to < signed_from:
        errors["signed_to"] = _("The last day cannot come before the first day.")
    country = values.get("country", "").upper() or None
    if country is not None and country not in COUNTRY_CODES:
        errors["country"] = _("Choose a country from the list.")
    language = values.get("language") or None
    if language is not None and not i18n.is_supported(language):
        errors["language"] = _("Choose a language from the list.")
    for name in ("source", "partner"):
        if len(values.get(name, "")) > MAX_TEXT:
            errors[name] = _("This can be at most %(max)d characters long.") % {"max": MAX_TEXT}
    if errors or status is None:
        return errors
    return SignatureFilters(
        statuses=status[1],
        signed_from=signed_from,
        signed_to=signed_to,
        country=country,
        language=language,
        source=values.get("source") or None,
        partner=values.get("partner") or None,
    )


def _day(typed: str, field: str, errors: dict[str, str]) -> date | None:
    if not typed:
        return None
    try:
        # Years far off are typing mistakes, and the ends of the calendar cannot take a day more.
        return parse_date(typed, first_year=FIRST_YEAR, last_year=LAST_YEAR)
    except ValueError:
        errors[field] = _("Enter a date like 2026-03-31.")
        return None


async def _form(
    request: Request, values: dict[str, str], errors: dict[str, str], *, status_code: int = 200
) -> Response:
    tag = i18n.active().tag
    try:
        choices = await read_export_choices(services(request).pool, path_slug(request), tag)
    except ActionNotFound:
        return not_found(request)
    present = set(choices.countries)
    context = {
        "action": choices.action,
        "values": values,
        "errors": errors,
        "statuses": [(key, _(label)) for key, (label, _statuses) in STATUS_CHOICES.items()],
        "countries": [(code, name) for code, name in country_choices(tag) if code in present],
        "languages": [(code, i18n.language_name(code, tag)) for code in choices.languages],
        "sources": [(value, value) for value in choices.sources],
        "partners": [(value, value) for value in choices.partners],
    }
    return render_admin(request, "admin/export.html", context, status_code=status_code)
