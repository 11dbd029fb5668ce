"""The Urgent Action Network's public pages (docs/network.md): the form to join, and a member's
own page, reached through the link in every network email, where they say yes, change what
they hear about, or leave. The signed link is the authority there (no cookie, no form token,
as for unsubscribing); a GET changes nothing, because mail scanners open links. Leaving takes
one POST, from the page's button or a mail program's one-click (RFC 8058)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from babel.lists import format_list
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from campaign_engine.domain.campaigns.case_editing import RISK_CATEGORIES, risk_category_names
from campaign_engine.domain.delivery.sms_budget import SmsPolicy
from campaign_engine.domain.network.membership import (
    LEFT_IN_ONE_CLICK,
    LEFT_THROUGH_LINK,
    JoinRequest,
    ask_to_join,
    change_preferences,
    leave,
    membership,
    say_yes,
)
from campaign_engine.domain.network.texts import TextsChange, TextsChoice, can_text, choose_texts
from campaign_engine.domain.signing.consent import consent_wording
from campaign_engine.formats.countries import COUNTRY_CODES, country_choices
from campaign_engine.formats.regions import REGION_CODES, region_choices
from campaign_engine.i18n import LOCALES, _, active, babel_locale, native_name
from campaign_engine.models.network import (
    Frequency,
    Membership,
    MemberStatus,
    Preferences,
    TextsStatus,
)
from campaign_engine.models.signing import ConsentScope
from campaign_engine.security.tokens import InvalidLink
from campaign_engine.web.forms import FieldErrors, canonical_phone, parse_email
from campaign_engine.web.public.unsubscribe import is_one_click
from campaign_engine.web.rendering import PRIVATE, render, render_error
from campaign_engine.web.services import client_address, services

# Requests to join from one client address in a minute: a person joins once, a robot many times.
JOINS_PER_CLIENT = 10
# How many languages a member may list, in order.
LANGUAGE_CHOICES = 3
MOST_A_WEEK = 20
# The most form fields a page sends: every country may be chosen.
MAX_FIELDS = len(COUNTRY_CODES) + len(REGION_CODES) + len(RISK_CATEGORIES) + 20


async def join_page(request: Request) -> Response:
    """`/{locale}/network`: what the network is, and the form to join it."""
    values = {"language_1": active().tag, "frequency": Frequency.EVERY.value}
    return render(request, "public/network-join.html", _form_context(values, {}))


async def ask(request: Request) -> Response:
    """A request to join. Each sends an email, so a robot must not make us a mail cannon:
    requests are limited per client address, and a form whose hidden field came back filled
    in gets the usual answer and sends nothing."""
    s = services(request)
    verdict = await s.limiter.hit("join", client_address(request) or "unknown", JOINS_PER_CLIENT)
    if not verdict.allowed:
        return too_many(request, verdict.retry_after)
    form = await _form(request)
    values = _values(form)
    email = parse_email(values)
    parsed = _preferences(form)
    errors = {
        **(email.errors if isinstance(email, FieldErrors) else {}),
        **(parsed.errors if isinstance(parsed, FieldErrors) else {}),
    }
    if values.get("consent_network") != "yes":
        errors["consent_network"] = _("Tick the box to say that you want to join.")
    if errors or isinstance(email, FieldErrors) or isinstance(parsed, FieldErrors):
        context = _form_context(values, errors, form)
        return render(request, "public/network-join.html", context, status_code=422, cache=PRIVATE)
    if not values.get("website"):  # the field nobody sees: only a robot fills it in
        await ask_to_join(s.pool, s.queue, s.clock, JoinRequest(email, active().tag, parsed))
    # The same page whoever asks: it tells nobody who is in the network.
    return render(request, "public/network-asked.html", cache=PRIVATE)


async def member_page(request: Request) -> Response:
    s = services(request)
    link = _read(request)
    if link is None:
        return bad_link(request)
    supporter_id, locale = link
    with s.catalogues.activate(locale):
        found = await membership(s.pool, supporter_id)
        return _member_page(request, found, {})


async def save(request: Request) -> Response:
    """Say yes (a pending request) and keep the preferences on the page, or change them."""
    s = services(request)
    link = _read(request)
    if link is None:
        return bad_link(request)
    supporter_id, locale = link
    with s.catalogues.activate(locale):
        form = await _form(request)
        parsed = _preferences(form)
        found = await membership(s.pool, supporter_id)
        if found is None or found.status is MemberStatus.LEFT:
            return _member_page(request, found, {})
        texts = _texts_choice(_values(form), found, SmsPolicy.of(s.settings))
        errors = {
            **(parsed.errors if isinstance(parsed, FieldErrors) else {}),
            **(texts.errors if isinstance(texts, FieldErrors) else {}),
        }
        if errors or isinstance(parsed, FieldErrors) or isinstance(texts, FieldErrors):
            return _member_page(request, found, errors, form, status_code=422)
        await change_preferences(s.pool, supporter_id, parsed)
        if found.status is MemberStatus.PENDING:
            await say_yes(s.pool, s.clock, supporter_id)
        # After the yes: a number is asked for its own YES only once the address is proven.
        change = await choose_texts(s.pool, s.queue, s.clock, s.tokens, supporter_id, texts)
        saved = await membership(s.pool, supporter_id)
        return _member_page(request, saved, {}, saved=True, texts_change=change)


async def leave_page(request: Request) -> Response:
    """The leaving link of an alert's List-Unsubscribe, opened by a mail program that does not
    post to it itself (RFC 2369): a page with the one button. A GET changes nothing."""
    s = services(request)
    link = _read(request)
    if link is None:
        return bad_link(request)
    with s.catalogues.activate(link[1]):
        context = {"token": request.path_params["token"]}
        return render(request, "public/network-leave.html", context, cache=PRIVATE)


async def leave_now(request: Request) -> Response:
    s = services(request)
    link = _read(request)
    if link is None:
        return bad_link(request)
    supporter_id, locale = link
    source = LEFT_IN_ONE_CLICK if await is_one_click(request) else LEFT_THROUGH_LINK
    await leave(s.pool, s.clock, supporter_id, source)
    with s.catalogues.activate(locale):
        return render(request, "public/network-left.html", cache=PRIVATE)


def _member_page(
    request: Request,
    found: Membership | None,
    errors: dict[str, str],
    form: FormData | None = None,
    *,
    status_code: int = 200,
    saved: bool = False,
    texts_change: TextsChange | None = None,
) -> Response:
    if found is None or found.status is MemberStatus.LEFT:
        return render(request, "public/network-not-member.html", cache=PRIVATE)
    values = _stored_values(found) if form is None else _values(form)
    context = {
        **_form_context(values, errors, form if form is not None else found.preferences),
        "token": request.path_params["token"],
        "pending": found.status is MemberStatus.PENDING,
        "saved": saved,
        "texts": found.texts.value,
        "number_ends": found.number_ends,
        "texts_change": texts_change.value if texts_change else None,
        "texts_wording": consent_wording(ConsentScope.NETWORK_TEXTS),
    }
    return render(
        request, "public/network-member.html", context, status_code=status_code, cache=PRIVATE
    )


def _form_context(
    values: Mapping[str, str], errors: dict[str, str], chosen: FormData | Preferences | None = None
) -> dict[str, Any]:
    if isinstance(chosen, Preferences):
        countries, themes = set(chosen.countries), set(chosen.themes)
        regions = set(chosen.regions)
    elif chosen is not None:
        countries = {str(code).upper() for code in chosen.getlist("country")}
        themes = {str(theme) for theme in chosen.getlist("theme")}
        regions = {str(code) for code in chosen.getlist("region")}
    else:
        countries, themes, regions = set(), set(), set()
    every_country = country_choices(active().tag)
    chosen_names = [name for code, name in every_country if code in countries]
    choices = {
        "language_choices": [(tag, native_name(tag)) for tag in LOCALES],
        "language_fields": [f"language_{n}" for n in range(1, LANGUAGE_CHOICES + 1)],
        "regions": region_choices(active().tag),
        "chosen_regions": regions,
        "countries": every_country,
        "chosen_countries": countries,
        # Said in words too: a long list scrolled shows few of its chosen lines.
        "chosen_country_names": format_list(chosen_names, locale=babel_locale(active().tag))
        if chosen_names
        else "",
        "themes": sorted(risk_category_names().items(), key=lambda item: item[1]),
        "chosen_themes": themes,
        "most_a_week": MOST_A_WEEK,
    }
    return {
        "values": values,
        "errors": errors,
        "choices": choices,
        "consent_wording": consent_wording(ConsentScope.NETWORK),
    }


def _preferences(form: FormData) -> Preferences | FieldErrors:
    """What a member chose, all problems at once."""
    problems = FieldErrors()
    values = _values(form)
    languages = [
        values[name]
        for n in range(1, LANGUAGE_CHOICES + 1)
        if (name := f"language_{n}") in values and values[name]
    ]
    if not languages:
        problems.errors["language_1"] = _("Choose a language you read.")
    elif any(tag not in LOCALES for tag in languages):
        problems.errors["language_1"] = _("Choose languages from the lists.")
    elif len(set(languages)) < len(languages):
        problems.errors["language_1"] = _("Choose each language only once.")
    countries = [str(code).upper() for code in form.getlist("country")]
    if any(code not in COUNTRY_CODES for code in countries):
        problems.errors["country"] = _("Choose countries from the list.")
    regions = [str(code) for code in form.getlist("region")]
    if any(code not in REGION_CODES for code in regions):
        problems.errors["region"] = _("Choose regions from the list.")
    themes = [str(theme) for theme in form.getlist("theme")]
    if any(theme not in RISK_CATEGORIES for theme in themes):
        problems.errors["theme"] = _("Choose themes from the list.")
    frequency, cap = _frequency(values, problems)
    if problems:
        return problems
    return Preferences(
        languages=tuple(languages),
        countries=tuple(sorted(set(countries))),
        regions=tuple(sorted(set(regions))),
        themes=tuple(sorted(set(themes))),
        frequency=frequency,
        weekly_cap=cap,
    )


def _frequency(values: Mapping[str, str], problems: FieldErrors) -> tuple[Frequency, int | None]:
    try:
        frequency = Frequency(values.get("frequency", Frequency.EVERY.value))
    except ValueError:
        problems.errors["frequency"] = _("Choose how often you want alerts.")
        return Frequency.EVERY, None
    if frequency is not Frequency.CAPPED:
        return frequency, None
    cap = values.get("weekly_cap", "").strip()
    if not cap.isdigit() or not 1 <= int(cap) <= MOST_A_WEEK:
        problems.errors["weekly_cap"] = _(
            "Enter how many alerts a week you want at most, from 1 to %(most)d."
        ) % {"most": MOST_A_WEEK}
        return frequency, None
    return frequency, int(cap)


def _texts_choice(
    values: Mapping[str, str], found: Membership, policy: SmsPolicy
) -> TextsChoice | FieldErrors:
    """Texts or not, and the number: typed with its country code (a member's page knows no
    country to read it in); left empty, the number held is kept."""
    wanted = values.get("texts") == "yes"
    typed = values.get("phone", "").strip()
    if not wanted:
        return TextsChoice(False, None)
    if not typed:
        if found.texts is TextsStatus.NONE:
            return FieldErrors({"phone": _("Enter your mobile number to receive texts.")})
        return TextsChoice(True, None)
    phone = canonical_phone(typed, "")
    if phone is None:
        return FieldErrors(
            {"phone": _("Enter a mobile number with + and its country code, like +44 7700 900123.")}
        )
    if not can_text(policy, phone):
        return FieldErrors({"phone": _("We cannot text this number: give a mobile number.")})
    return TextsChoice(True, phone)


def _stored_values(found: Membership) -> dict[str, str]:
    preferences = found.preferences
    values = {f"language_{n}": tag for n, tag in enumerate(preferences.languages, start=1)}
    if found.texts is not TextsStatus.NONE:
        values["texts"] = "yes"
    values["frequency"] = preferences.frequency.value
    if preferences.weekly_cap is not None:
        values["weekly_cap"] = str(preferences.weekly_cap)
    return values


async def _form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=MAX_FIELDS)


def _values(form: FormData) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _read(request: Request) -> tuple[UUID, str] | None:
    try:
        return services(request).tokens.read_network_token(request.path_params["token"])
    except InvalidLink:
        return None


def too_many(request: Request, retry_after: int) -> Response:
    """A localised 429 with Retry-After (joining the network, following a case)."""
    answer = render_error(
        request, 429, _("Please wait"), _("Too many requests. Wait a moment, then try again.")
    )
    answer.headers["Retry-After"] = str(retry_after)
    return answer


def bad_link(request: Request) -> Response:
    """A link of ours that is not one (cut short in copying, or made up): a localised 404."""
    return render_error(
        request,
        404,
        _("This link does not work"),
        _("Check that you copied the whole link from the email."),
    )
