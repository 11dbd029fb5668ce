"""Cases in the workspace: the list, opening a case, its settings, its text in every language,
and its timeline (updates, outcomes, responses from the authorities, internal notes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import time
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.case_editing import (
    CaseSlugTaken,
    LanguageWithoutText,
    TranslationSheet,
    case_status_names,
    create_case,
    describe_case,
    list_cases,
    read_case_file,
    read_translation,
    risk_category_names,
    translate_case,
)
from campaign_engine.domain.campaigns.timeline import (
    CaseMissing,
    EventLocked,
    EventMissing,
    IncompleteText,
    add_event,
    delete_event,
    edit_event,
    kind_names,
    outcome_names,
    publish_event,
    source_text,
)
from campaign_engine.domain.errors import NotAllowed
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.formats.countries import country_choices
from campaign_engine.i18n import _
from campaign_engine.models.campaigns import CaseEvent, CaseEventKind, CaseStatus
from campaign_engine.web.admin.campaigns.cases_forms import (
    Errors,
    missing_message,
    parse_description,
    parse_event,
    parse_new_case,
    parse_translation,
)
from campaign_engine.web.admin.guard import (
    forbidden,
    form_values,
    path_id,
    path_locale,
    staff_page,
    staff_session,
)
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.errors import error_response
from campaign_engine.web.rendering import render_error, url_path
from campaign_engine.web.services import services

Handler = Callable[[Request], Awaitable[Response]]


def finding_the_case(handler: Handler) -> Handler:
    """A case or event that does not exist, or an event reached through another case than its
    own, is simply not found."""

    @wraps(handler)
    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except (CaseMissing, EventMissing):
            return error_response(request, "not_found")
        except EventLocked:
            return render_error(
                request,
                409,
                _("This event cannot be changed that way"),
                _(
                    "A reply that arrived from an official keeps its words and date: it can be "
                    "unpublished, never edited or deleted. An internal note is never published. "
                    "An update sent to supporters keeps the record of its send: unpublish it "
                    "instead of deleting it."
                ),
            )

    return answer


@staff_page(Capability.READ)
async def cases_page(request: Request) -> Response:
    cases = await list_cases(services(request).pool, i18n.active().tag)
    context = {"cases": cases, **_names()}
    return render_admin(request, "admin/cases.html", context)


@staff_page(Capability.CAMPAIGN)
async def new_case_page(request: Request) -> Response:
    values = {"status": CaseStatus.OPEN, "default_locale": i18n.active().tag}
    return _new_case(request, values, {})


@staff_page(Capability.CAMPAIGN)
async def create(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = parse_new_case(values)
    if isinstance(parsed, dict):
        return _new_case(request, values, parsed, status_code=422)
    try:
        case_id = await create_case(s.pool, s.clock, actor, parsed)
    except CaseSlugTaken:
        errors = {"slug": _("Another case has this address already. Choose another.")}
        return _new_case(request, values, errors, status_code=422)
    return RedirectResponse(url_path(request, "cases.case_page", case_id=case_id), status_code=303)


@staff_page(Capability.READ)
@finding_the_case
async def case_page(request: Request) -> Response:
    return await _case(request)


@staff_page(Capability.CAMPAIGN)
@finding_the_case
async def describe(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = parse_description(values)
    if isinstance(parsed, dict):
        return await _case(request, settings=(values, parsed), status_code=422)
    try:
        await describe_case(s.pool, s.clock, actor, path_id(request, "case_id"), parsed)
    except LanguageWithoutText:
        errors = {
            "default_locale": _("The case has no text in this language yet: translate it first.")
        }
        return await _case(request, settings=(values, errors), status_code=422)
    return RedirectResponse(_case_page(request), status_code=303)


@staff_page(Capability.TRANSLATE)
@finding_the_case
async def translation_page(request: Request) -> Response:
    return await _translation(request)


@staff_page(Capability.TRANSLATE)
@finding_the_case
async def translate(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = parse_translation(values)
    if isinstance(parsed, dict):
        return await _translation(request, values, parsed, status_code=422)
    words, event_words = parsed
    locale = path_locale(request)
    try:
        await translate_case(
            s.pool, s.clock, actor, path_id(request, "case_id"), locale, words, event_words
        )
    except IncompleteText as incomplete:
        errors = {name: missing_message(name) for name in incomplete.fields}
        return await _translation(request, values, errors, status_code=422)
    except NotAllowed:
        return forbidden(request)
    return RedirectResponse(f"{_case_page(request)}#translations", status_code=303)


@staff_page(Capability.CAMPAIGN)
@finding_the_case
async def add_to_timeline(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = parse_event(values, "new-", s.clock.now(), with_kind=True)
    if isinstance(parsed, dict):
        return await _case(request, new_event=(values, parsed), status_code=422)
    kind, fields = parsed
    assert kind is not None  # with_kind: a kind was chosen, or the form was refused
    try:
        event_id = await add_event(
            s.pool, s.clock, actor, path_id(request, "case_id"), kind, fields
        )
    except IncompleteText as incomplete:
        errors = {f"new-{name}": missing_message(name) for name in incomplete.fields}
        return await _case(request, new_event=(values, errors), status_code=422)
    return _to_event(request, event_id)


@staff_page(Capability.CAMPAIGN)
@finding_the_case
async def change_event(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    event_id = path_id(request, "event_id")
    prefix = f"event-{event_id}-"
    values = form_values(await request.form())
    parsed = parse_event(values, prefix, s.clock.now(), with_kind=False)
    if isinstance(parsed, dict):
        return await _case(request, edited=(event_id, values, parsed), status_code=422)
    try:
        await edit_event(s.pool, s.clock, actor, path_id(request, "case_id"), event_id, parsed[1])
    except IncompleteText as incomplete:
        errors = {f"{prefix}{name}": missing_message(name) for name in incomplete.fields}
        return await _case(request, edited=(event_id, values, errors), status_code=422)
    return _to_event(request, event_id)


@staff_page(Capability.CAMPAIGN)
@finding_the_case
async def publish(request: Request) -> Response:
    return await _publish(request, True)


@staff_page(Capability.CAMPAIGN)
@finding_the_case
async def unpublish(request: Request) -> Response:
    return await _publish(request, False)


@staff_page(Capability.CAMPAIGN)
@finding_the_case
async def remove_event(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    await delete_event(
        s.pool, s.clock, actor, path_id(request, "case_id"), path_id(request, "event_id")
    )
    return RedirectResponse(f"{_case_page(request)}#timeline", status_code=303)


async def _publish(request: Request, published: bool) -> Response:
    s, actor = services(request), staff_session(request).staff
    event_id = path_id(request, "event_id")
    case_id = path_id(request, "case_id")
    await publish_event(s.pool, s.clock, actor, case_id, event_id, published, s.queue)
    return _to_event(request, event_id)


def _to_event(request: Request, event_id: int) -> Response:
    return RedirectResponse(f"{_case_page(request)}#event-{event_id}", status_code=303)


def _names() -> dict[str, Any]:
    return {
        "risk_names": risk_category_names(),
        "case_status_names": case_status_names(),
        "outcome_names": outcome_names(),
        "kind_names": kind_names(),
    }


def _choices(request: Request) -> dict[str, Any]:
    """What the case forms offer to choose from, in the campaigner's language."""
    return {
        "countries": country_choices(i18n.active().tag),
        "languages": [(tag, i18n.native_name(tag)) for tag in i18n.LOCALES],
        **_names(),
    }


def _new_case(
    request: Request, values: dict[str, str], errors: Errors, *, status_code: int = 200
) -> Response:
    context = {"values": values, "errors": errors, **_choices(request)}
    return render_admin(request, "admin/case_new.html", context, status_code=status_code)


FormState = tuple[dict[str, str], Errors]


async def _case(
    request: Request,
    *,
    settings: FormState | None = None,
    new_event: FormState | None = None,
    edited: tuple[int, dict[str, str], Errors] | None = None,
    status_code: int = 200,
) -> Response:
    """The case's page; after a refused form, with what was typed and what was wrong."""
    s = services(request)
    case_file = await read_case_file(s.pool, path_id(request, "case_id"), i18n.active().tag)
    case = case_file.case
    if edited is not None and all(event.id != edited[0] for event in case_file.events):
        raise EventMissing  # another case's event: not found, whatever the form said
    context = {
        "file": case_file,
        "heading": case_file.heading_in(i18n.active().tag),
        "settings_values": settings[0]
        if settings
        else {
            "country": case.country or "",
            "risk_category": case.risk_category,
            "status": case.status,
            "default_locale": case.default_locale,
        },
        "settings_errors": settings[1] if settings else {},
        "event_values": new_event[0]
        if new_event
        else {
            "new-kind": "update",
            "new-date": s.clock.now().date().isoformat(),
        },
        "event_errors": new_event[1] if new_event else {},
        "edit_values": {
            event.id: (
                edited[1]
                if edited and edited[0] == event.id
                else _event_values(event, case.default_locale)
            )
            for event in case_file.events
        },
        "edit_errors": {edited[0]: edited[2]} if edited else {},
        **_choices(request),
    }
    return render_admin(request, "admin/case.html", context, status_code=status_code)


def _event_values(event: CaseEvent, default_locale: str) -> dict[str, str]:
    """An event's edit form, filled with what is saved."""
    prefix, moment = f"event-{event.id}-", event.occurred_at
    if event.kind is CaseEventKind.REPLY:
        title, body = event.subject or "", event.body or ""
    else:
        text = source_text(event, default_locale)
        title, body = (text.title, text.body) if text else ("", "")
    return {
        f"{prefix}outcome": event.outcome or "",
        f"{prefix}date": moment.date().isoformat(),
        f"{prefix}time": "" if moment.time() == time(0, 0) else moment.strftime("%H:%M"),
        f"{prefix}source": event.source or "",
        f"{prefix}title": title,
        f"{prefix}body": body,
    }


async def _translation(
    request: Request,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    *,
    status_code: int = 200,
) -> Response:
    locale = path_locale(request)
    sheet = await read_translation(services(request).pool, path_id(request, "case_id"), locale)
    if values is None:
        values = _typed_so_far(sheet)
    context = {
        "sheet": sheet,
        "values": values,
        "errors": errors or {},
        "target_locale": locale,
        **_names(),
    }
    return render_admin(request, "admin/case_translation.html", context, status_code=status_code)


def _typed_so_far(sheet: TranslationSheet) -> dict[str, str]:
    """The translation form filled with what is saved in its language."""
    values: dict[str, str] = {}
    if sheet.translation is not None:
        values.update(
            title=sheet.translation.title,
            person=sheet.translation.person,
            summary=sheet.translation.summary,
            body=sheet.translation.body,
        )
    for item in sheet.events:
        if item.translation is not None:
            values[f"event-{item.event.id}-title"] = item.translation.title
            values[f"event-{item.event.id}-body"] = item.translation.body
    return values


def _case_page(request: Request) -> str:
    """The page of the case this request is about."""
    return url_path(request, "cases.case_page", case_id=path_id(request, "case_id"))
