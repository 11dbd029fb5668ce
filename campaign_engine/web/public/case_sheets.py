"""Paper (docs/letters.md). `/{locale}/actions/{slug}/case-sheet.pdf`: the action's case sheet,
on A4 or US Letter (`?paper=letter`), a GET that changes nothing and holds nothing personal,
so any cache may keep it a while. `/{locale}/actions/{slug}/letter`: a supporter's own letters
to post, one to each official: the form, then its POST, answered with the PDF. What they type
for it (their name, country, address) goes into the PDF and nowhere else: no row, no log, no
URL, and no cache may keep the answer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine.domain.campaigns.case_sheets import read_case_sheet, read_letters
from campaign_engine.formats.countries import country_choices
from campaign_engine.i18n import _, active
from campaign_engine.links import absolute_url
from campaign_engine.messages.case_sheets import PAPERS, SheetRequest, compose_case_sheet
from campaign_engine.messages.letters import Sender, compose_letters
from campaign_engine.web.forms import FieldErrors, parse_letter_sender
from campaign_engine.web.public.network import too_many
from campaign_engine.web.rendering import PRIVATE, render, render_error
from campaign_engine.web.services import client_address, services

# A sheet changes when the action's texts do: a few minutes' staleness is harmless on paper.
CACHE = "public, max-age=300"


async def case_sheet(request: Request) -> Response:
    s, locale, slug = services(request), active().tag, request.path_params["slug"]
    paper = request.query_params.get("paper", "a4")
    if paper not in PAPERS:
        return render_error(
            request, 400, _("No such paper"), _("Choose A4 or US Letter from the action's page.")
        )
    sheet = await read_case_sheet(s.pool, slug, locale)
    action_url = absolute_url(
        s.settings.public_base_url, "pages.action_page", locale=locale, slug=slug
    )
    document = await compose_case_sheet(
        s.settings.templates_dir,
        s.catalogues,
        sheet,
        SheetRequest(paper, action_url, s.settings.organisation_name),
    )
    filename = f"{slug}-{locale}-{paper}.pdf"
    return Response(
        document,
        media_type="application/pdf",
        headers={"Cache-Control": CACHE, "Content-Disposition": f'inline; filename="{filename}"'},
    )


# Letters made for one client address in a minute: a person prints a few, a robot many.
LETTERS_PER_CLIENT = 20
NOT_KEPT = "no-store"


async def letter_page(request: Request) -> Response:
    """The form: whom the letters are from, and on which paper."""
    s, locale = services(request), active().tag
    letters = await read_letters(s.pool, request.path_params["slug"], locale)
    return _letter_form(request, letters.page.code, letters.page.title, {"paper": "a4"}, {})


async def print_letters(request: Request) -> Response:
    s, locale, slug = services(request), active().tag, request.path_params["slug"]
    verdict = await s.limiter.hit(
        "letters", client_address(request) or "unknown", LETTERS_PER_CLIENT
    )
    if not verdict.allowed:
        return too_many(request, verdict.retry_after)
    form = await request.form(max_files=0, max_fields=10)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    letters = await read_letters(s.pool, slug, locale)
    sender = parse_letter_sender(values)
    paper = values.get("paper", "a4")
    if isinstance(sender, FieldErrors) or paper not in PAPERS:
        errors = sender.errors if isinstance(sender, FieldErrors) else {}
        if paper not in PAPERS:
            errors["paper"] = _("Choose A4 or US Letter.")
        page = letters.page
        return _letter_form(request, page.code, page.title, values, errors, status_code=422)
    name, country, address = sender
    document = await compose_letters(
        s.settings.templates_dir,
        s.catalogues,
        letters,
        Sender(name, country, tuple(line for line in address.split("\n") if line)),
        paper,
        s.clock.now(),
    )
    return Response(
        document,
        media_type="application/pdf",
        headers={
            "Cache-Control": NOT_KEPT,
            "Content-Disposition": f'inline; filename="{slug}-letters.pdf"',
        },
    )


def _letter_form(
    request: Request,
    code: str,
    title: str,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    context = {
        "slug": request.path_params["slug"],
        "code": code,
        "title": title,
        "values": values,
        "errors": errors,
        "countries": country_choices(active().tag),
    }
    return render(request, "public/letter.html", context, status_code=status_code, cache=PRIVATE)
