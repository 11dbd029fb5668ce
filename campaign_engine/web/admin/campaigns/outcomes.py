"""`/admin/impact`: what urgent actions achieved across cases, inside the workspace's frame:
the public impact page's own figures (web/public/impact.py), with a link to that page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine.domain.campaigns.impact import read_impact
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.web.admin.guard import staff_page
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.public.impact import impact_context
from campaign_engine.web.services import services


@staff_page(Capability.READ)
async def outcomes_page(request: Request) -> Response:
    impact = await read_impact(services(request).pool)
    return render_admin(request, "admin/impact.html", impact_context(impact))
