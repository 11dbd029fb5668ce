"""`/{locale}/actions/{slug}/case-sheet.pdf`: the action's case sheet, to print and post from
(docs/letters.md), on A4 or US Letter (`?paper=letter`). A GET that changes nothing and
holds nothing personal, so any cache may keep it a while."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine.domain.campaigns.case_sheets import read_case_sheet
from campaign_engine.i18n import _, active
from campaign_engine.links import absolute_url
from campaign_engine.messages.case_sheets import PAPERS, SheetRequest, compose_case_sheet
from campaign_engine.web.rendering import render_error
from campaign_engine.web.services import services

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
