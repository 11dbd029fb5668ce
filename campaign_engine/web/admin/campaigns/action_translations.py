"""An action's words in each language: the overview of the six, the side-by-side editor (the
source read-only beside the language being written), publishing a language, and preview links
to show a language before it is published."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.action_editing import (
    ChangeRefused,
    publish_locale,
    read_action_editor,
    save_translation,
    unpublish_locale,
)
from campaign_engine.domain.campaigns.action_pages import make_preview_link
from campaign_engine.domain.errors import ActionNotFound, NotAllowed
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.web.admin.campaigns.actions import done_message, not_found, refused_page
from campaign_engine.web.admin.campaigns.actions_forms import TEXT_LIMITS, parse_content, text_parts
from campaign_engine.web.admin.guard import (
    forbidden,
    form_values,
    path_locale,
    path_slug,
    staff_page,
    staff_session,
)
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.rendering import absolute_url, url_path
from campaign_engine.web.services import services


@staff_page(Capability.TRANSLATE)
async def translations_page(request: Request) -> Response:
    try:
        editor = await read_action_editor(services(request).pool, path_slug(request))
    except ActionNotFound:
        return not_found(request)
    context = {
        "editor": editor,
        "action": editor.settings,
        "done": done_message(request),
    }
    return render_admin(request, "admin/action_translations.html", context)


@staff_page(Capability.TRANSLATE)
async def translation_page(request: Request) -> Response:
    return await _translation(request)


@staff_page(Capability.TRANSLATE)
async def save(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    slug, locale = path_slug(request), path_locale(request)
    values = form_values(await request.form())
    parsed = parse_content(values)
    if isinstance(parsed, dict):
        return await _translation(request, values=values, errors=parsed, status_code=422)
    try:
        await save_translation(s.pool, s.clock, actor, slug, locale, parsed)
    except ActionNotFound:
        return not_found(request)
    except NotAllowed:
        return forbidden(request)
    page = url_path(request, "action_translations.translation_page", slug=slug, locale=locale)
    return _back(page, "translated")


@staff_page(Capability.CAMPAIGN)
async def publish(request: Request) -> Response:
    return await _set_published(request, publish=True)


@staff_page(Capability.CAMPAIGN)
async def unpublish(request: Request) -> Response:
    return await _set_published(request, publish=False)


async def _set_published(request: Request, *, publish: bool) -> Response:
    s, actor = services(request), staff_session(request).staff
    slug, locale = path_slug(request), path_locale(request)
    back = _next(request, form_values(await request.form()).get("next", ""))
    verb = publish_locale if publish else unpublish_locale
    try:
        await verb(s.pool, s.clock, actor, slug, locale)
    except ActionNotFound:
        return not_found(request)
    except ChangeRefused as refused:
        return refused_page(request, slug, refused, back=back)
    return _back(back, "locale_published" if publish else "locale_unpublished")


# TRANSLATE, not READ: the link opens an unpublished draft to anyone who holds it, for a week.
@staff_page(Capability.TRANSLATE)
async def preview_link(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    slug, locale = path_slug(request), path_locale(request)
    try:
        link = await make_preview_link(s.pool, s.clock, s.tokens, actor, slug, locale)
    except ActionNotFound:
        return not_found(request)
    context = {
        "slug": slug,
        "link": link,
        "url": absolute_url(request, "preview.preview_page", token=link.token),
        "language": i18n.native_name(locale),
    }
    return render_admin(request, "admin/action_preview_link.html", context)


async def _translation(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    locale = path_locale(request)
    try:
        editor = await read_action_editor(services(request).pool, path_slug(request))
    except ActionNotFound:
        return not_found(request)
    text = editor.texts.get(locale)
    state = next(state for state in editor.locales if state.locale == locale)
    context: dict[str, Any] = {
        "editor": editor,
        "action": editor.settings,
        "target": locale,
        "state": state,
        "is_source": locale == editor.settings.default_locale,
        "source": editor.source,
        "values": values
        if values is not None
        else ({part: getattr(text, part) for part in TEXT_LIMITS} if text else {}),
        "errors": errors or {},
        "parts_list": text_parts(),
        "done": done_message(request),
    }
    return render_admin(request, "admin/action_translation.html", context, status_code=status_code)


def _next(request: Request, asked: str) -> str:
    """Where to go after publishing: back to the page the button was on, if it is one of this
    action's; else its translations."""
    own = url_path(request, "dashboard.dashboard_page", slug=path_slug(request))
    if asked.startswith(f"{own}/") and "//" not in asked and "?" not in asked:
        return asked
    return url_path(request, "action_translations.translations_page", slug=path_slug(request))


def _back(path: str, done: str) -> Response:
    return RedirectResponse(f"{path}?done={done}", status_code=303)
