"""Bringing an existing network in from a CSV file: the upload form (with what each column
means), the preview of what it would do (counts and problems, never the addresses), and the
go-ahead that applies it (domain/network/member_import.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine.domain.network.member_file import MAX_BYTES, MAX_ROWS
from campaign_engine.domain.network.member_import import (
    ImportApplied,
    ImportExpired,
    ImportNotFound,
    ImportNotYours,
    apply_member_import,
    preview_member_import,
)
from campaign_engine.domain.targets.target_file import FileRefused
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.i18n import _
from campaign_engine.web.admin.guard import forbidden, path_id, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.errors import error_response
from campaign_engine.web.rendering import render_error, url_path
from campaign_engine.web.services import services


# Members' addresses are personal data: importing them asks what exporting them asks.
@staff_page(Capability.EXPORT)
async def import_page(request: Request) -> Response:
    return _upload_form(request)


@staff_page(Capability.EXPORT)
async def upload(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    file = (await request.form(max_part_size=MAX_BYTES + 1)).get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _upload_form(request, _("Choose a CSV file to import."))
    data = await file.read(MAX_BYTES + 1)  # one byte more than allowed says it is too large
    await file.close()
    try:
        preview = await preview_member_import(s.pool, s.clock, actor, data)
    except FileRefused as refused:
        return _upload_form(request, refused.message)
    context = {"preview": preview, "filename": file.filename}
    return render_admin(request, "admin/network-import-preview.html", context)


@staff_page(Capability.EXPORT)
async def apply(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    try:
        summary = await apply_member_import(s.pool, s.clock, actor, path_id(request, "import_id"))
    except ImportNotFound:
        return error_response(request, "not_found")
    except ImportNotYours:
        return forbidden(request)
    except ImportApplied:
        return render_error(
            request,
            409,
            _("This import was applied already"),
            _("Its members are in the network. To import more, upload a file again."),
        )
    except ImportExpired:
        return render_error(
            request,
            409,
            _("This preview has expired"),
            _("A preview can be applied within an hour. Upload the file again to see a new one."),
        )
    query = urlencode(
        {"added": summary.added, "unchanged": summary.unchanged, "left": summary.left}
    )
    return RedirectResponse(f"{url_path(request, 'members.network_page')}?{query}", status_code=303)


def _upload_form(request: Request, error: str | None = None) -> Response:
    context = {
        "max_megabytes": MAX_BYTES // (1024 * 1024),
        "max_rows": MAX_ROWS,
        "errors": {"file": error} if error else {},
    }
    status = 422 if error else 200
    return render_admin(request, "admin/network-import.html", context, status_code=status)
