"""The audit log, newest first, a page at a time."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine.domain.workspace.access import Capability
from campaign_engine.domain.workspace.audit import PAGE, read_audit_log
from campaign_engine.web.admin.guard import staff_page
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.services import services


@staff_page(Capability.MANAGE_TEAM)
async def audit_page(request: Request) -> Response:
    before = request.query_params.get("before", "")
    entries = await read_audit_log(
        services(request).pool, int(before) if before.isdigit() and len(before) < 19 else None
    )
    older = entries[-1].id if len(entries) == PAGE else None
    return render_admin(request, "admin/audit.html", {"entries": entries, "older": older})
