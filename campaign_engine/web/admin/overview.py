"""The workspace's first page: every action, its signatures and where its letters stand."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.actions import list_workspace_actions
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.web.admin.guard import staff_page
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.services import services


@staff_page(Capability.READ)
async def overview(request: Request) -> Response:
    actions = await list_workspace_actions(services(request).pool, i18n.active().tag)
    return render_admin(request, "admin/overview.html", {"actions": actions})
