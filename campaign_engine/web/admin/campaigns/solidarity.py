"""`/admin/actions/{slug}/solidarity`: the action's solidarity messages, moderated one by one
(edit out what could identify anyone, translate into the family's language, approve or
reject), the family's language and consent, and what goes to the family: the cards to print
and the export. Campaigners only: a message as written may say who wrote it."""

from __future__ import annotations

import re

from babel import Locale, UnknownLocaleError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.solidarity import (
    MAX_MESSAGE,
    MessageNotFound,
    messages_for_the_family,
    moderate_message,
    read_moderation,
    set_family,
)
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.formats.countries import country_name
from campaign_engine.formats.spreadsheets import csv_bytes
from campaign_engine.i18n import LOCALES, _, native_name
from campaign_engine.messages.solidarity_cards import compose_cards
from campaign_engine.models.signing import Moderation
from campaign_engine.web.admin.campaigns.actions import not_found
from campaign_engine.web.admin.guard import form_values, path_slug, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.rendering import url_path
from campaign_engine.web.services import services

STATUSES = ("pending", "approved", "rejected")
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")


@staff_page(Capability.CAMPAIGN)
async def solidarity_page(request: Request) -> Response:
    status = request.query_params.get("status", "")
    return await _page(request, status if status in STATUSES else None)


@staff_page(Capability.CAMPAIGN)
async def moderate(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = _moderation(values)
    if isinstance(parsed, str):
        chosen = values.get("message_id", "")
        return await _page(request, None, errors={chosen if chosen.isdigit() else "": parsed})
    message_id, decided = parsed
    try:
        await moderate_message(s.pool, s.clock, actor, path_slug(request), message_id, decided)
    except ActionNotFound:
        return not_found(request)
    except MessageNotFound:
        return await _page(request, None, errors={"": _("No such message.")})
    return _back(request, f"message-{message_id}")


@staff_page(Capability.CAMPAIGN)
async def family(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    typed = values.get("family_locale", "").strip()
    family_locale = language_tag(typed) if typed else None
    if typed and family_locale is None:
        error = _("Write the language as a code, like ar, fa or es-MX.")
        return await _page(request, None, errors={"family_locale": error})
    consents = values.get("family_consents") == "on"
    try:
        await set_family(s.pool, s.clock, actor, path_slug(request), family_locale, consents)
    except ActionNotFound:
        return not_found(request)
    return _back(request, "family")


@staff_page(Capability.CAMPAIGN)
async def cards(request: Request) -> Response:
    """The approved messages as cards to print, four to an A4 page, in the family's language
    first."""
    s = services(request)
    try:
        found = await messages_for_the_family(s.pool, path_slug(request))
    except ActionNotFound:
        return not_found(request)
    document = await compose_cards(s.settings.templates_dir, s.catalogues, found)
    filename = f"{path_slug(request)}-solidarity-cards.pdf"
    headers = {"Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{filename}"'}
    return Response(document, media_type="application/pdf", headers=headers)


@staff_page(Capability.CAMPAIGN)
async def export(request: Request) -> Response:
    """The approved messages as a spreadsheet for the family: each as approved, its
    translation, and the country it came from, in the family's language."""
    s = services(request)
    try:
        found = await messages_for_the_family(s.pool, path_slug(request))
    except ActionNotFound:
        return not_found(request)
    names_in = found.family.family_locale or i18n.active().tag
    header = [_("Language"), _("Message"), _("Translation"), _("Country")]
    rows = [
        (m.locale, m.text, m.translation or "", country_name(m.country, names_in))
        for m in found.messages
    ]
    filename = f"{path_slug(request)}-solidarity.csv"
    return Response(
        csv_bytes(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _moderation(values: dict[str, str]) -> tuple[int, Moderation] | str:
    """The decision the form carries, or what is wrong with it."""
    chosen = values.get("message_id", "")
    if not chosen.isascii() or not chosen.isdigit() or len(chosen) > 18:
        return _("No such message.")
    decision = values.get("decision", "")
    if decision not in ("approved", "rejected"):
        return _("Approve or reject the message.")
    text = values.get("text", "").replace("\r\n", "\n").strip()
    translation = values.get("translation", "").replace("\r\n", "\n").strip() or None
    into = values.get("translation_locale", "").strip() or None
    if decision == "approved" and not text:
        return _("An approved message needs its text.")
    if len(text) > MAX_MESSAGE or (translation is not None and len(translation) > 2 * MAX_MESSAGE):
        return _("Keep the message to %(max)s characters.") % {"max": MAX_MESSAGE}
    if translation is not None and (into is None or language_tag(into) is None):
        return _("Say which language the translation is in.")
    shown = decision == "approved" and values.get("shown") == "on"
    moderation = Moderation(
        status=decision,
        text=text or None,
        translation=translation,
        translation_locale=into if translation is not None else None,
        shown=shown,
    )
    return int(chosen), moderation


def language_tag(typed: str) -> str | None:
    """A language Babel knows, as a BCP 47 tag (`ar`, `fa`, `es-MX`): the family may read one
    we do not translate the product into. None for anything else."""
    if not LANGUAGE_TAG.fullmatch(typed):
        return None
    try:
        found = Locale.parse(typed, sep="-")
    except (ValueError, UnknownLocaleError):
        return None
    # Written as the rest of the product writes tags: `zh-Hans`, `es-MX`.
    return "-".join(part for part in (found.language, found.script, found.territory) if part)


def _back(request: Request, anchor: str) -> Response:
    page = url_path(request, "solidarity.solidarity_page", slug=path_slug(request))
    return RedirectResponse(f"{page}#{anchor}", status_code=303)


async def _page(
    request: Request, status: str | None, *, errors: dict[str, str] | None = None
) -> Response:
    try:
        found = await read_moderation(services(request).pool, path_slug(request), status)
    except ActionNotFound:
        return not_found(request)
    context = {
        "family": found.family,
        "action": {"slug": path_slug(request), "code": found.family.action_code, "status": ""},
        "messages": found.messages,
        "status": status,
        "errors": errors or {},
        "max_message": MAX_MESSAGE,
        "languages": [(tag, native_name(tag)) for tag in LOCALES],
    }
    code = 422 if errors else 200
    return render_admin(request, "admin/solidarity.html", context, status_code=code)
