"""Paper (docs/letters.md). `/{locale}/actions/{slug}/case-sheet.pdf`: the action's case sheet,
on A4 or US Letter (`?paper=letter`), a GET that changes nothing and holds nothing personal,
so any cache may keep it a while. `/{locale}/actions/{slug}/letter`: a supporter's own letters
to post, one to each official: the form, then its POST, answered with the PDF. What they type
for it (their name, country, address) goes into the PDF and nowhere else: no row, no log, no
URL, and no cache may keep the answer. `/{locale}/actions/{slug}/letter/posted`: "I posted
it", a count per official and nothing else."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine.domain.campaigns.case_sheets import (
    Letters,
    count_posted_letters,
    read_case_sheet,
    read_letters,
)
from campaign_engine.formats.countries import country_choices
from campaign_engine.i18n import _, active
from campaign_engine.links import absolute_url
from campaign_engine.messages.case_sheets import PAPERS, SheetRequest, compose_case_sheet
from campaign_engine.messages.letters import Sender, compose_letters
from campaign_engine.web.forms import FieldErrors, parse_letter_sender
from campaign_engine.web.public.network import too_many
from campaign_engine.web.rendering import PRIVATE, render, render_error, url_path
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
# "I posted it" from one client address in a minute: a person posts a few letters a day.
POSTED_PER_CLIENT = 10
MAX_OFFICIALS = 50
NOT_KEPT = "no-store"


async def letter_page(request: Request) -> Response:
    """The form: whom the letters are from, and on which paper."""
    s, locale = services(request), active().tag
    letters = await read_letters(s.pool, request.path_params["slug"], locale)
    return _letter_form(request, letters, {"paper": "a4"}, {})


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
        return _letter_form(request, letters, values, errors, status_code=422)
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


async def posted(request: Request) -> Response:
    """ "I posted it": the officials the supporter says they posted a letter to, counted."""
    s, locale, slug = services(request), active().tag, request.path_params["slug"]
    verdict = await s.limiter.hit("posted", client_address(request) or "unknown", POSTED_PER_CLIENT)
    if not verdict.allowed:
        return too_many(request, verdict.retry_after)
    form = await request.form(max_files=0, max_fields=MAX_OFFICIALS + 2)
    chosen = [value for value in form.getlist("official") if isinstance(value, str)]
    target_ids = [int(v) for v in chosen if v.isascii() and v.isdigit() and len(v) <= 18]
    valid = bool(target_ids) and len(target_ids) == len(chosen)
    counted = await count_posted_letters(s.pool, s.clock, slug, locale, target_ids) if valid else 0
    if not counted:  # none ticked, or none of this action's officials
        letters = await read_letters(s.pool, slug, locale)
        errors = {"official": _("Tick the officials you posted a letter to.")}
        return _letter_form(request, letters, {"paper": "a4"}, errors, status_code=422)
    to = url_path(request, "case_sheets.letter_page", locale=locale, slug=slug)
    return RedirectResponse(f"{to}?posted={counted}#posted", status_code=303)


def _letter_form(
    request: Request,
    letters: Letters,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    counted = request.query_params.get("posted", "")
    context = {
        "slug": request.path_params["slug"],
        "code": letters.page.code,
        "title": letters.page.title,
        "officials": letters.targets,
        "values": values,
        "errors": errors,
        "countries": country_choices(active().tag),
        "counted": int(counted)
        if counted.isascii() and counted.isdigit() and len(counted) <= 3
        else None,
    }
    return render(request, "public/letter.html", context, status_code=status_code, cache=PRIVATE)
