"""The case sheet as a PDF (templates/pdf/case-sheet.typ, typeset by messages/typesetting.py):
its words gathered here, every label through gettext in the sheet's language, each
official's salutation in their own, and a QR code to the action."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from babel.dates import format_date

from campaign_engine.domain.campaigns.case_sheets import CaseSheet
from campaign_engine.formats.markup import plain_paragraphs
from campaign_engine.formats.versions import model_letter
from campaign_engine.i18n import Catalogues, _, active, is_supported
from campaign_engine.messages.typesetting import directed, region_of, typesetter
from campaign_engine.models.campaigns import SheetTarget

# Paper sizes as the link names them, and as Typst does.
PAPERS = {"a4": "a4", "letter": "us-letter"}
TEMPLATE = Path("pdf") / "case-sheet.typ"


@dataclass(frozen=True)
class SheetRequest:
    """Which sheet: on which paper (a key of PAPERS), pointing where, made by whom."""

    paper: str
    action_url: str
    organisation: str


async def compose_case_sheet(
    templates_dir: Path, catalogues: Catalogues, sheet: CaseSheet, request: SheetRequest
) -> bytes:
    """The sheet as a PDF, in the active language."""
    data = case_sheet_data(catalogues, sheet, request)
    return await typesetter(templates_dir / TEMPLATE).pdf(data)


def case_sheet_data(
    catalogues: Catalogues, sheet: CaseSheet, request: SheetRequest
) -> dict[str, Any]:
    """What the template says, as JSON: the sheet's words in the active language."""
    page, locale = sheet.page, active().babel
    model = model_letter(page.letter_subject, page.letter_body)
    action_url = request.action_url
    qr = qr_code(action_url)
    return {
        "paper": PAPERS[request.paper],
        "lang": locale.language,
        "region": region_of(locale),
        "organisation": request.organisation,
        "code": page.code,
        "issued": format_date(sheet.issued_at, format="long", locale=locale),
        "title": page.title,
        "person": page.case_person,
        "summary": page.summary,
        "body": plain_paragraphs(page.body),
        "letter_subject": model.subject,
        "letter_body": list(model.paragraphs),
        "targets": [_target(catalogues, target) for target in sheet.targets],
        "copies": [_target(catalogues, target) for target in sheet.copies],
        "deadline": (
            format_date(page.deadline, format="long", locale=locale) if page.deadline else None
        ),
        "url": action_url,
        "qr": qr,
        "labels": {
            "urgent_action": _("Urgent action"),
            "issued": _("Issued on"),
            "what_happened": _("What happened"),
            "what_to_ask": _("What to ask for: the model letter"),
            "write_to": _("Write to"),
            "copies_to": _("And send copies to"),
            "salutation": _("Salutation:"),
            "act": _("Act now"),
            "deadline": _("Send your appeal before"),
            "sign_online": _("Or sign online:"),
        },
    }


def _target(catalogues: Catalogues, target: SheetTarget) -> dict[str, Any]:
    """An official as the sheet names them, greeted in their own language."""
    locale = target.preferred_locale
    return {
        "name": target.name,
        "title": target.title,
        "organisation": target.organisation,
        "salutation": salutation(catalogues, target.name, target.salutations, locale),
        "lang": locale.split("-", 1)[0],
        "address": directed(target.postal_address.split("\n")),
    }


@lru_cache(maxsize=512)
def qr_code(url: str) -> str:
    """The action's address as a QR code (SVG). segno draws it in Python, a third of an English
    sheet's time (bench letters); it depends on the address alone, so each process keeps the
    last few hundred."""
    return str(segno.make(url, error="m").svg_inline(scale=4, border=0))


def salutation(catalogues: Catalogues, name: str, kept: dict[str, str], locale: str) -> str:
    """How a letter in `locale` to an official opens: the salutation kept for that language
    (or its base), else the language's own "Dear …" (ours, if we do not speak it)."""
    found = kept.get(locale) or kept.get(locale.split("-", 1)[0])
    if found:
        return found
    with catalogues.activate(locale if is_supported(locale) else active().tag):
        return _("Dear %(name)s,") % {"name": name}
