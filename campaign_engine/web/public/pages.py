"""The public site: read an urgent action, sign it, confirm, share; read the case."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.action_pages import Preview, read_public_action
from campaign_engine.domain.campaigns.actions import (
    ensure_signable,
    list_feed_entries,
    list_open_actions,
    read_action_page,
)
from campaign_engine.domain.campaigns.cases import read_case_page
from campaign_engine.domain.campaigns.solidarity import shown_messages
from campaign_engine.domain.campaigns.timeline import kind_names, outcome_names
from campaign_engine.domain.errors import SignatureNotFound
from campaign_engine.domain.integrations.partners import partner_for_signing
from campaign_engine.domain.signing.consent import consent_wording
from campaign_engine.domain.signing.signatures import (
    OneMoreStep,
    confirm_signature,
    sign_action,
)
from campaign_engine.formats.countries import country_choices
from campaign_engine.i18n import _
from campaign_engine.models.campaigns import ActionPage, ActionStatus, TimelineEntry
from campaign_engine.models.signing import ConsentScope, ConsentText
from campaign_engine.security.tokens import CONFIRMATION_MAX_AGE, ExpiredLink, InvalidLink
from campaign_engine.web.forms import FieldErrors, attribution, parse_signature
from campaign_engine.web.middleware import PROOF_OF_WORK_POLICY
from campaign_engine.web.public.proof_of_work import with_proof_of_work
from campaign_engine.web.public.thanks import thanks_path
from campaign_engine.web.rendering import (
    PRIVATE,
    render,
    render_error,
    url_path,
)
from campaign_engine.web.services import client_address, services


async def home(request: Request) -> Response:
    """`/` sends each reader to the site in their language."""
    tag = i18n.negotiate(request.headers.get("accept-language"))
    index = url_path(request, "pages.index", locale=tag)
    return RedirectResponse(index, status_code=302, headers={"Vary": "Accept-Language"})


ATOM = "application/atom+xml; charset=utf-8"


async def index(request: Request) -> Response:
    cards = await list_open_actions(services(request).pool, i18n.active().tag)
    return render(request, "public/index.html", {"cards": cards})


async def feed(request: Request) -> Response:
    """`/{locale}/actions.atom`: the open actions in one language, for feed readers, sections
    and partners who follow without email (RFC 4287)."""
    s = services(request)
    entries = await list_feed_entries(s.pool, i18n.active().tag)
    # A feed says when it last changed; an empty one, now.
    updated = max((entry.updated_at for entry in entries), default=s.clock.now())
    context = {
        "entries": entries,
        "updated": updated,
        "organisation": s.settings.organisation_name,
    }
    return render(request, "public/actions.atom", context, media_type=ATOM)


async def action_page(request: Request) -> Response:
    """The action and its form; once it is closed, the case's latest news instead."""
    found = await read_public_action(
        services(request).pool, request.path_params["slug"], i18n.active().tag
    )
    # Only codes the form would keep: the partner checkbox must never be shown in vain.
    values = {
        "partner": attribution(request.query_params.get("partner")) or "",
        "source": attribution(request.query_params.get("source")) or "",
    }
    consent = await _partner_consent(request, values)
    context = action_context(
        found.page, values, FieldErrors(), news=found.news, partner_consent=consent
    )
    return with_form_script(render(request, "public/action.html", context), found.page)


async def sign(request: Request) -> Response:
    tag, slug = i18n.active().tag, request.path_params["slug"]
    form = await request.form(max_files=0, max_fields=30)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    parsed = parse_signature(values, tag, client_address(request))
    if isinstance(parsed, FieldErrors):
        # An action that is gone or closed says so, whatever was wrong with the fields.
        await ensure_signable(services(request).pool, slug)
        page = await read_action_page(services(request).pool, slug, tag)
        consent = await _partner_consent(request, values)
        return with_form_script(
            render(
                request,
                "public/action.html",
                action_context(page, values, parsed, partner_consent=consent),
                status_code=422,
                cache=PRIVATE,
            ),
            page,
        )
    s = services(request)
    parsed = await with_proof_of_work(request, values, parsed)
    await sign_action(s.signatures, s.tokens, slug, parsed, limits=s.client_limits)
    check_email = url_path(request, "pages.check_email", locale=tag, slug=slug)
    return RedirectResponse(check_email, status_code=303)


def with_form_script(response: Response, page: ActionPage) -> Response:
    """A form that asks for a proof of work may run its script (static/pow.js)."""
    if page.proof_of_work:
        response.headers["Content-Security-Policy"] = PROOF_OF_WORK_POLICY
    return response


async def _partner_consent(request: Request, values: dict[str, str]) -> ConsentText | None:
    """The sentence beside the partner's opt-in box, in the partner's own words; None (and
    no box) when the page names no partner that may collect signatures now."""
    found = await partner_for_signing(
        services(request).pool, attribution(values.get("partner")), i18n.active().tag
    )
    return found[1] if found else None


def action_context(
    page: ActionPage,
    values: dict[str, str],
    errors: FieldErrors,
    *,
    news: Sequence[TimelineEntry] = (),
    preview: Preview | None = None,
    partner_consent: ConsentText | None = None,
) -> dict[str, Any]:
    """What public/action.html shows: the action, its form (or why it is closed, with the
    case's news), and for a preview link the banner and a form that cannot be sent. The
    partner's box shows only with `partner_consent` (see `partner_for_signing`)."""
    return {
        "page": page,
        "open": page.status is ActionStatus.OPEN,
        "news": news,
        "outcome_names": outcome_names() if news else {},
        "preview": preview,
        "values": values,
        "errors": errors.errors,
        "countries": country_choices(i18n.active().tag),
        "consent_updates": consent_wording(ConsentScope.UPDATES),
        "consent_partner": (
            partner_consent.text if partner_consent else consent_wording(ConsentScope.PARTNER)
        ),
        "consent_partner_locale": (
            partner_consent.locale if partner_consent else i18n.active().tag
        ),
        "partner_box": partner_consent is not None,
        "consent_sms": consent_wording(ConsentScope.SMS),
        "consent_network": consent_wording(ConsentScope.NETWORK),
    }


async def check_email(request: Request) -> Response:
    page = await read_action_page(
        services(request).pool, request.path_params["slug"], i18n.active().tag
    )
    context = {"page": page, "link_days": CONFIRMATION_MAX_AGE.days}
    return render(request, "public/check_email.html", context)


async def confirm(request: Request) -> Response:
    """The link in the confirmation email. It confirms on GET, as the email promises; a
    signature that came without the proof of work its form asked for confirms on the button of
    the page shown instead (one deliberate step, docs/abuse.md)."""
    return await _confirm(request, deliberate=False)


async def confirm_deliberately(request: Request) -> Response:
    """That page's button."""
    return await _confirm(request, deliberate=True)


async def _confirm(request: Request, *, deliberate: bool) -> Response:
    s, token = services(request), request.path_params["token"]
    try:
        confirmed = await confirm_signature(s.pool, s.tokens, token, s.queue, deliberate=deliberate)
    except OneMoreStep as step:
        with s.catalogues.activate(step.locale):
            return render(request, "public/confirm-step.html", {"token": token}, cache=PRIVATE)
    except ExpiredLink:
        return render_error(
            request,
            410,
            _("This link has expired"),
            i18n.ngettext(
                "A confirmation link works for %(num)s day. Sign again to get a new one.",
                "A confirmation link works for %(num)s days. Sign again to get a new one.",
                CONFIRMATION_MAX_AGE.days,
            )
            % {"num": CONFIRMATION_MAX_AGE.days},
        )
    except (InvalidLink, SignatureNotFound):
        return render_error(
            request,
            404,
            _("This link does not work"),
            _("Check that you copied the whole link from the email, or sign the action again."),
        )
    thanks = thanks_path(
        request, confirmed.locale, confirmed.action_slug, confirmed.thanked_signature
    )
    return RedirectResponse(thanks, status_code=303)


async def case_page(request: Request) -> Response:
    pool = services(request).pool
    case = await read_case_page(pool, request.path_params["slug"], i18n.active().tag)
    context = {
        "solidarity": await shown_messages(pool, case.page.id),
        "case": case.page,
        "consent_follow": consent_wording(ConsentScope.FOLLOW),
        "actions": case.actions,
        "timeline": case.timeline,
        "outcome": case.outcome,
        "outcome_names": outcome_names(),
        "kind_names": kind_names(),
    }
    return render(request, "public/case.html", context)
