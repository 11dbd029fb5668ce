"""Webhooks in the workspace: the endpoints (with a form for a new one), one endpoint with its
secret and delivery log, and switching it off, on again, or to a new secret. All of it is for
those who manage partners: the secret signs what partners' systems will trust."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine.domain.integrations.webhooks import (
    WebhookListing,
    WebhookNotFound,
    WebhookPage,
    WebhookPartnerNotFound,
    create_webhook,
    list_webhooks,
    read_webhook,
    rotate_webhook_secret,
    set_webhook_enabled,
    update_webhook,
)
from campaign_engine.domain.workspace.access import Capability
from campaign_engine.i18n import N_, _
from campaign_engine.models.integrations import WebhookEventType
from campaign_engine.settings import Settings
from campaign_engine.web.admin.guard import form_values, path_id, staff_page, staff_session
from campaign_engine.web.admin.rendering import render_admin
from campaign_engine.web.errors import error_response
from campaign_engine.web.rendering import url_path
from campaign_engine.web.services import services

EVENT_NAMES = {
    WebhookEventType.SIGNATURE_CONFIRMED: N_("A signature is confirmed"),
    WebhookEventType.ACTION_PUBLISHED: N_("An action is published"),
    WebhookEventType.ACTION_CLOSED: N_("An action closes"),
    WebhookEventType.OUTCOME_RECORDED: N_("An outcome is published"),
}
ORGANISATION = "organisation"
MAX_URL_LENGTH = 2000
# Plain http only to this machine, and never in production: a receiver under test.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})


def event_field(event: WebhookEventType) -> str:
    return "event_" + event.value.replace(".", "_")


@dataclass(frozen=True)
class NewWebhook:
    partner_id: int | None
    url: str
    events: list[WebhookEventType]


@staff_page(Capability.MANAGE_PARTNERS)
async def webhook_list(request: Request) -> Response:
    listing = await list_webhooks(services(request).pool)
    return _list_page(request, listing, {"owner": ORGANISATION}, {})


@staff_page(Capability.MANAGE_PARTNERS)
async def create(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    values = form_values(await request.form())
    parsed = parse_new_webhook(values, s.settings)
    if isinstance(parsed, NewWebhook):
        try:
            endpoint_id = await create_webhook(
                s.pool, s.clock, actor, parsed.partner_id, parsed.url, parsed.events
            )
        except WebhookPartnerNotFound:
            parsed = {"owner": _("Choose the organisation or one of the partners listed.")}
        else:
            return RedirectResponse(
                f"{url_path(request, 'webhooks.webhook_page', endpoint_id=endpoint_id)}?created=1",
                status_code=303,
            )
    listing = await list_webhooks(s.pool)
    return _list_page(request, listing, values, parsed, status_code=422)


@staff_page(Capability.MANAGE_PARTNERS)
async def webhook_page(request: Request) -> Response:
    try:
        page = await read_webhook(services(request).pool, path_id(request, "endpoint_id"))
    except WebhookNotFound:
        return error_response(request, "not_found")
    endpoint = page.endpoint
    values = {"url": endpoint.url, **{event_field(event): "yes" for event in endpoint.events}}
    return _endpoint_page(request, page, values, {})


@staff_page(Capability.MANAGE_PARTNERS)
async def save(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    endpoint_id = path_id(request, "endpoint_id")
    values = form_values(await request.form())
    parsed = parse_webhook(values, s.settings)
    try:
        if isinstance(parsed, dict):
            page = await read_webhook(s.pool, endpoint_id)
            return _endpoint_page(request, page, values, parsed, status_code=422)
        await update_webhook(s.pool, s.clock, actor, endpoint_id, *parsed)
    except WebhookNotFound:
        return error_response(request, "not_found")
    return RedirectResponse(
        f"{url_path(request, 'webhooks.webhook_page', endpoint_id=endpoint_id)}?saved=1",
        status_code=303,
    )


@staff_page(Capability.MANAGE_PARTNERS)
async def disable(request: Request) -> Response:
    return await _switch(request, False)


@staff_page(Capability.MANAGE_PARTNERS)
async def enable(request: Request) -> Response:
    return await _switch(request, True)


@staff_page(Capability.MANAGE_PARTNERS)
async def new_secret(request: Request) -> Response:
    s, actor = services(request), staff_session(request).staff
    endpoint_id = path_id(request, "endpoint_id")
    try:
        await rotate_webhook_secret(s.pool, s.clock, actor, endpoint_id)
    except WebhookNotFound:
        return error_response(request, "not_found")
    return RedirectResponse(
        f"{url_path(request, 'webhooks.webhook_page', endpoint_id=endpoint_id)}#secret",
        status_code=303,
    )


async def _switch(request: Request, on: bool) -> Response:
    s, actor = services(request), staff_session(request).staff
    endpoint_id = path_id(request, "endpoint_id")
    try:
        await set_webhook_enabled(s.pool, s.queue, s.clock, actor, endpoint_id, on)
    except WebhookNotFound:
        return error_response(request, "not_found")
    return RedirectResponse(
        url_path(request, "webhooks.webhook_page", endpoint_id=endpoint_id), status_code=303
    )


def _endpoint_page(
    request: Request,
    page: WebhookPage,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    context = {
        "page": page,
        "endpoint": page.endpoint,
        "values": values,
        "errors": errors,
        "event_fields": [(event_field(e), _(name)) for e, name in EVENT_NAMES.items()],
        "event_names": {event: _(name) for event, name in EVENT_NAMES.items()},
        "created": request.query_params.get("created") == "1",
        "saved": request.query_params.get("saved") == "1",
    }
    return render_admin(request, "admin/webhook.html", context, status_code=status_code)


def _list_page(
    request: Request,
    listing: WebhookListing,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "listing": listing,
        "values": values,
        "errors": errors,
        "organisation": ORGANISATION,
        "event_fields": [(event_field(e), _(name)) for e, name in EVENT_NAMES.items()],
        "event_names": {event: _(name) for event, name in EVENT_NAMES.items()},
    }
    return render_admin(request, "admin/webhooks.html", context, status_code=status_code)


# --- The form ---------------------------------------------------------------------------------


def parse_new_webhook(values: dict[str, str], settings: Settings) -> NewWebhook | dict[str, str]:
    """The new endpoint, or an error per field."""
    errors: dict[str, str] = {}
    owner = values.get("owner", "").strip()
    partner_id: int | None = None
    if owner != ORGANISATION:
        if not owner.isdecimal() or len(owner) > 18:
            errors["owner"] = _("Choose the organisation or one of the partners listed.")
        else:
            partner_id = int(owner)
    parsed = parse_webhook(values, settings)
    if isinstance(parsed, dict) or errors:
        return {**(parsed if isinstance(parsed, dict) else {}), **errors}
    return NewWebhook(partner_id, *parsed)


def parse_webhook(
    values: dict[str, str], settings: Settings
) -> tuple[str, list[WebhookEventType]] | dict[str, str]:
    """An endpoint's address and events, or an error per field."""
    errors: dict[str, str] = {}
    url = values.get("url", "").strip()
    url_error = _url_error(url, production=settings.environment == "production")
    if url_error:
        errors["url"] = url_error
    events = [event for event in WebhookEventType if values.get(event_field(event))]
    if not events:
        errors[event_field(WebhookEventType.SIGNATURE_CONFIRMED)] = _(
            "Choose at least one event to send."
        )
    return errors or (url, events)


def _url_error(url: str, *, production: bool) -> str | None:
    if not url:
        return _("Enter the address that will receive the events.")
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in url):
        return _("Enter a web address such as https://example.org/hooks.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is no number)
    except ValueError:
        return _("Enter a web address such as https://example.org/hooks.")
    if not parts.hostname or parts.username is not None or parts.fragment:
        return _("Enter a web address such as https://example.org/hooks.")
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS and not production:
        return None
    return _("The address must start with https:// (http:// only for this computer, in testing).")


def _endpoint_url(request: Request, endpoint_id: int) -> str:
    return url_path(request, "webhooks.webhook_page", endpoint_id=endpoint_id)
