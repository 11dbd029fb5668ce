"""Urgent actions in the workspace: the list, a new action, the editor of its settings, the
changes of its lifecycle, and follow-ups. Its words in each language are edited in
`action_translations.py`; its officials at /admin/actions/{slug}/targets (`targets.py`), its
figures at /admin/actions/{slug} (`dashboard.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.clock import Clock
from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.action_editing import (
    AlreadyTaken,
    CaseMissing,
    ChangeRefused,
    create_action,
    follow_up,
    list_actions,
    list_case_choices,
    read_action_editor,
    update_action_settings,
)
from campaign_engine.domain.campaigns.action_lifecycle import (
    ALLOWED_FROM,
    archive_action,
    close_action,
    publish_action,
    remove_action,
    reopen_action,
    restore_action,
    schedule_action,
)
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.formats.fields import time_zone_names
from campaign_engine.i18n import N_, _
from campaign_engine.models.campaigns import ActionStatus
from campaign_engine.models.workspace import Staff
from campaign_engine.web.admin.campaigns.actions_forms import (
    REPLY_TO,
    local_input,
    parse_new_action,
    parse_removal,
    parse_settings,
    text_parts,
)
from campaign_engine.web.admin.guard import form_values, path_slug, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.rendering import url_path
from campaign_engine.web.services import services

# What the page says after a change went through (`?done=…` on the page it leads back to).
DONE = {
    "created": N_("The action was created as a draft. Add its translations and targets."),
    "settings": N_("The settings were saved."),
    "published": N_("The action is open: the public can read and sign it."),
    "scheduled": N_("The action will open by itself at its publication time."),
    "closed": N_("The action is closed: it no longer takes signatures."),
    "reopened": N_("The action is open again."),
    "archived": N_("The action is archived."),
    "removed": N_("The action was taken down: every page and the API answer that it is gone."),
    "restored": N_("The action was restored, closed. Reopen it if it should take signatures."),
    "followed_up": N_("This follow-up is a draft: check its words, set a deadline, publish."),
    "translated": N_("The translation was saved."),
    "locale_published": N_("This language is published."),
    "locale_unpublished": N_("This language is no longer published."),
}

# Why a change was refused, in words a campaigner can act on.
REFUSALS = {
    "source_unpublished": N_(
        "Publish the action's own language first: the public reads it "
        "when their language is missing."
    ),
    "deadline_past": N_("The deadline has passed. Set a later one in the settings first."),
    "publish_at_needed": N_("Set the publication time in the settings first."),
    "publish_at_past": N_("The publication time has passed. Choose a later one."),
    "deadline_before_publication": N_("The deadline must come after the publication time."),
    "locale_missing": N_("There is no text in this language yet. Write it first."),
    "locale_incomplete": N_(
        "Fill in the title, the summary, what we ask and the letter before "
        "publishing this language."
    ),
    "default_locale_live": N_(
        "The action's own language stays published while the action is open or scheduled."
    ),
    "removed": N_("A removed action cannot be followed up. Restore it first."),
    "confirmation_mismatch": N_("This is not the action's code. Type it exactly as shown."),
}

# The status names of rendering.STATUS_NAMES, lower-cased for the middle of a sentence.
STATUS_LABELS = {
    ActionStatus.DRAFT: N_("draft"),
    ActionStatus.SCHEDULED: N_("scheduled"),
    ActionStatus.OPEN: N_("open"),
    ActionStatus.CLOSED: N_("closed"),
    ActionStatus.ARCHIVED: N_("archived"),
    ActionStatus.REMOVED: N_("removed"),
}

# A refused settings change is a problem with one field of the form.
SETTINGS_FIELDS = {
    "deadline_past": "deadline",
    "publish_at_past": "publish_at",
    "publish_at_needed": "publish_at",
    "deadline_before_publication": "deadline",
}

Change = Callable[[Pool, Clock, Staff, str], Awaitable[None]]


@staff_page(Capability.READ)
async def actions_page(request: Request) -> Response:
    asked = request.query_params.get("status", "")
    status = next((s for s in ActionStatus if s.value == asked), None)
    found = await list_actions(services(request).pool, i18n.active().tag, status)
    context = {
        "actions": found,
        "status": status,
        "statuses": list(ActionStatus),
    }
    return render_admin(request, "admin/actions.html", context)


@staff_page(Capability.CAMPAIGN)
async def new_action_page(request: Request) -> Response:
    values = {
        "case": request.query_params.get("case", ""),
        "default_locale": i18n.active().tag,
        "time_zone": "UTC",
    }
    return await _new_form(request, values)


@staff_page(Capability.CAMPAIGN)
async def create(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = parse_new_action(values)
    if isinstance(parsed, dict):
        return await _new_form(request, values, parsed, status_code=422)
    try:
        slug = await create_action(s.pool, s.clock, actor, parsed)
    except CaseMissing:
        errors = {"case": _("Choose the case this action is for.")}
        return await _new_form(request, values, errors, status_code=422)
    except AlreadyTaken as taken:
        errors = {}
        if "code" in taken.fields:
            errors["code"] = _("Another action has this code.")
        if "slug" in taken.fields:
            errors["slug"] = _("Another action has this address.")
        return await _new_form(request, values, errors, status_code=422)
    return _back_to_editor(request, slug, "created")


async def _new_form(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    cases = await list_case_choices(services(request).pool, i18n.active().tag)
    context = {
        "cases": cases,
        "values": values,
        "errors": errors or {},
        "languages": _languages(),
        "time_zones": time_zone_names(),
        "parts_list": text_parts(),
    }
    return render_admin(request, "admin/action_new.html", context, status_code=status_code)


@staff_page(Capability.CAMPAIGN)
async def edit_page(request: Request) -> Response:
    return await _editor(request)


@staff_page(Capability.CAMPAIGN)
async def update_settings(request: Request) -> Response:
    s, actor, slug = services(request), staff_session(request).staff, path_slug(request)
    values = form_values(await request.form())
    parsed = parse_settings(values)
    if isinstance(parsed, dict):
        return await _editor(request, values=values, errors=parsed, status_code=422)
    try:
        await update_action_settings(s.pool, s.clock, actor, slug, parsed)
    except ActionNotFound:
        return not_found(request)
    except ChangeRefused as refused:
        errors = {SETTINGS_FIELDS.get(refused.reason, "deadline"): refusal_message(refused)}
        return await _editor(request, values=values, errors=errors, status_code=422)
    return _back_to_editor(request, slug, "settings")


@staff_page(Capability.CAMPAIGN)
async def publish(request: Request) -> Response:
    # The queue, to ring for the webhooks the change tells.
    queue = services(request).queue
    return await _change(request, partial(publish_action, queue=queue), "published")


@staff_page(Capability.CAMPAIGN)
async def schedule(request: Request) -> Response:
    return await _change(request, schedule_action, "scheduled")


@staff_page(Capability.CAMPAIGN)
async def close(request: Request) -> Response:
    queue = services(request).queue
    return await _change(request, partial(close_action, queue=queue), "closed")


@staff_page(Capability.CAMPAIGN)
async def reopen(request: Request) -> Response:
    return await _change(request, reopen_action, "reopened")


@staff_page(Capability.CAMPAIGN)
async def archive(request: Request) -> Response:
    return await _change(request, archive_action, "archived")


@staff_page(Capability.CAMPAIGN)
async def restore(request: Request) -> Response:
    return await _change(request, restore_action, "restored")


@staff_page(Capability.CAMPAIGN)
async def remove(request: Request) -> Response:
    s, actor, slug = services(request), staff_session(request).staff, path_slug(request)
    values = form_values(await request.form())
    parsed = parse_removal(values)
    if isinstance(parsed, dict):
        return await _editor(request, removal=values, removal_errors=parsed, status_code=422)
    try:
        await remove_action(s.pool, s.clock, actor, slug, parsed.typed_code, parsed.reason)
    except ActionNotFound:
        return not_found(request)
    except ChangeRefused as refused:
        if refused.reason != "confirmation_mismatch":
            return refused_page(request, slug, refused)
        errors = {"confirm_code": refusal_message(refused)}
        return await _editor(request, removal=values, removal_errors=errors, status_code=422)
    return _back_to_editor(request, slug, "removed")


@staff_page(Capability.CAMPAIGN)
async def make_follow_up(request: Request) -> Response:
    s, actor, slug = services(request), staff_session(request).staff, path_slug(request)
    try:
        new_slug = await follow_up(s.pool, s.clock, actor, slug)
    except ActionNotFound:
        return not_found(request)
    except (ChangeRefused, AlreadyTaken) as refused:
        return refused_page(request, slug, refused)
    return _back_to_editor(request, new_slug, "followed_up")


async def _change(request: Request, change: Change, done: str) -> Response:
    s, actor, slug = services(request), staff_session(request).staff, path_slug(request)
    try:
        await change(s.pool, s.clock, actor, slug)
    except ActionNotFound:
        return not_found(request)
    except ChangeRefused as refused:
        return refused_page(request, slug, refused)
    return _back_to_editor(request, slug, done)


async def _editor(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    removal: dict[str, str] | None = None,
    removal_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        editor = await read_action_editor(services(request).pool, path_slug(request))
    except ActionNotFound:
        return not_found(request)
    settings = editor.settings
    context: dict[str, Any] = {
        "editor": editor,
        "action": settings,
        "values": values
        if values is not None
        else {
            "deadline": local_input(settings.deadline, settings.time_zone),
            "publish_at": local_input(settings.publish_at, settings.time_zone),
            "time_zone": settings.time_zone,
            "goal": str(settings.goal) if settings.goal else "",
            "reply_to": settings.reply_to,
            "proof_of_work": settings.proof_of_work,
            "own_mailbox": "on" if settings.own_mailbox else "",
            "asks_solidarity": "on" if settings.asks_solidarity else "",
        },
        "errors": errors or {},
        "removal": removal or {},
        "removal_errors": removal_errors or {},
        "changes": [c for c, start in ALLOWED_FROM.items() if settings.status in start],
        "time_zones": time_zone_names(),
        "reply_to_choices": REPLY_TO,
        "done": done_message(request),
    }
    return render_admin(request, "admin/action_edit.html", context, status_code=status_code)


def done_message(request: Request) -> str | None:
    """What the page says of the change that led to it."""
    done = request.query_params.get("done", "")
    return _(DONE[done]) if done in DONE else None


def _back_to_editor(request: Request, slug: str, done: str) -> Response:
    edit_page = url_path(request, "actions.edit_page", slug=slug)
    return RedirectResponse(f"{edit_page}?done={done}", status_code=303)


def _languages() -> list[tuple[str, str]]:
    return [(tag, i18n.native_name(tag)) for tag in i18n.LOCALES]


def refusal_message(refused: ChangeRefused | AlreadyTaken) -> str:
    if isinstance(refused, AlreadyTaken):
        return _("Another action already has the code or address this follow-up would take.")
    if refused.reason == "wrong_status" and refused.status is not None:
        return _("This cannot be done while the action's status is “%(status)s”.") % {
            "status": _(STATUS_LABELS[refused.status])
        }
    return _(REFUSALS.get(refused.reason, N_("This cannot be done now.")))


def refused_page(
    request: Request, slug: str, refused: ChangeRefused | AlreadyTaken, back: str | None = None
) -> Response:
    """409: the change cannot start from where the action stands; the page says why."""
    context = {
        "title": _("This cannot be done now"),
        "message": refusal_message(refused),
        "back": back or url_path(request, "actions.edit_page", slug=slug),
    }
    return render_admin(request, "admin/action_refused.html", context, status_code=409)


def not_found(request: Request) -> Response:
    context = {
        "title": _("No such action"),
        "message": _("No urgent action has this address. It may have been mistyped."),
        "back": url_path(request, "actions.actions_page"),
    }
    return render_admin(request, "admin/action_refused.html", context, status_code=404)
