"""Importing targets from a CSV file: the upload form, the preview of what would change, and
the go-ahead that applies it."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine.domain.delivery.channels import typed_channels
from campaign_engine.domain.targets.target_file import (
    MAX_BYTES,
    MAX_ROWS,
    SALUTATION_COLUMNS,
    FileRefused,
    columns,
)
from campaign_engine.domain.targets.target_import import (
    ImportApplied,
    ImportExpired,
    ImportNotFound,
    ImportNotYours,
    apply_import,
    preview_import,
)
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.i18n import _
from campaign_engine.web.admin.guard import forbidden, path_id, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.admin.targets.targets_forms import salutation_label
from campaign_engine.web.errors import error_response
from campaign_engine.web.rendering import render_error, url_path
from campaign_engine.web.services import services


@staff_page(Capability.CAMPAIGN)
async def import_page(request: Request) -> Response:
    return _upload_form(request)


@staff_page(Capability.CAMPAIGN)
async def upload(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    file = (await request.form()).get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _upload_form(request, _("Choose a CSV file to import."))
    # One byte more than allowed is enough to know the file is too large.
    data = await file.read(MAX_BYTES + 1)
    await file.close()
    try:
        preview = await preview_import(s.pool, s.clock, actor, data)
    except FileRefused as refused:
        return _upload_form(request, refused.message)
    context = {"preview": preview, "filename": file.filename, "labels": column_labels()}
    return render_admin(request, "admin/target-import-preview.html", context)


@staff_page(Capability.CAMPAIGN)
async def apply(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    try:
        summary = await apply_import(s.pool, s.clock, actor, path_id(request, "import_id"))
    except ImportNotFound:
        return error_response(request, "not_found")
    except ImportNotYours:
        return forbidden(request)
    except ImportApplied:
        return render_error(
            request,
            409,
            _("This import was applied already"),
            _("Its targets are in the list of targets. To import more, upload a file again."),
        )
    except ImportExpired:
        return render_error(
            request,
            409,
            _("This preview has expired"),
            _("A preview can be applied within an hour. Upload the file again to see a new one."),
        )
    query = urlencode(
        {
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "contacts_added": summary.contacts_added,
            "skipped": summary.skipped,
        }
    )
    return RedirectResponse(f"{url_path(request, 'targets.target_list')}?{query}", status_code=303)


def column_labels() -> dict[str, str]:
    """What each column (and office hours, which three columns make) means, for people."""
    labels = {
        "external_id": _("External id"),
        "name": _("Name"),
        "title": _("Title"),
        "organisation": _("Organisation"),
        "country": _("Country"),
        "time_zone": _("Time zone"),
        "preferred_locale": _("Preferred language"),
        "max_per_hour": _("Most letters per hour"),
        "max_per_day": _("Most letters per day"),
        "office_days": _("Office days"),
        "office_start": _("Office opens"),
        "office_end": _("Office closes"),
        "office_hours": _("Office hours"),
        "notes": _("Notes"),
        "postal_address": _("Postal address"),
    }
    for channel in typed_channels():
        if typed := channel.typed:
            labels[typed.column] = _(typed.label)
    for column, tag in SALUTATION_COLUMNS.items():
        labels[column] = salutation_label(tag)
    return labels


def _upload_form(request: Request, error: str | None = None) -> Response:
    context = {
        "columns": columns(),
        # One column per channel whose addresses are typed (domain/delivery/channels/).
        "address_columns": [
            (typed.column, _(typed.label), _(typed.file_hint))
            for channel in typed_channels()
            if (typed := channel.typed)
        ],
        "labels": column_labels(),
        "max_megabytes": MAX_BYTES // (1024 * 1024),
        "max_rows": MAX_ROWS,
        "errors": {"file": error} if error else {},
    }
    status = 422 if error else 200
    return render_admin(request, "admin/target-import.html", context, status_code=status)
