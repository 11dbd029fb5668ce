"""The case forms: what a campaigner typed, tidied and checked, with a message per field.

Each parser returns what the domain verb takes, or a dict of field name -> message. Field names
are the form's (and the HTML ids the error summary links to), so an event's edit form names its
fields `event-<id>-date`, the new event's form `new-date`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import MAXYEAR, datetime, time, timedelta

from campaign_engine import i18n
from campaign_engine.domain.campaigns.case_editing import (
    RISK_CATEGORIES,
    CaseDescription,
    CaseWords,
    EventWords,
    NewCase,
)
from campaign_engine.domain.campaigns.timeline import EventFields
from campaign_engine.formats import fields
from campaign_engine.formats.countries import COUNTRY_CODES
from campaign_engine.formats.fields import MAX_SLUG, OutOfRange
from campaign_engine.i18n import _
from campaign_engine.models.campaigns import CaseEventKind, CaseStatus, Outcome

MAX_LINE = 200  # a title, a person's name
MAX_SUMMARY = 1_000
MAX_TEXT = 50_000  # a story, an update
MAX_SOURCE = 500
# Events are dated in UTC; a day of grace lets someone east of Greenwich date one "today".
FUTURE_GRACE = timedelta(days=1)
EARLIEST_YEAR = 1900

Errors = dict[str, str]


def parse_new_case(values: Mapping[str, str]) -> NewCase | Errors:
    errors: Errors = {}
    slug = fields.typed_slug(values.get("slug", ""))
    if not slug:
        errors["slug"] = _("Enter a short name for the case's address, like ines-caldera.")
    elif not fields.is_slug(slug):
        errors["slug"] = _(
            "Use only lower-case letters a to z, digits and single hyphens between them "
            "(at most %(max)d characters), like ines-caldera."
        ) % {"max": MAX_SLUG}
    description = _description(values, errors)
    words = parse_case_words(values, errors, required=True)
    if errors or description is None:
        return errors
    return NewCase(slug, description, words)


def parse_description(values: Mapping[str, str]) -> CaseDescription | Errors:
    errors: Errors = {}
    description = _description(values, errors)
    return errors if errors or description is None else description


def _description(values: Mapping[str, str], errors: Errors) -> CaseDescription | None:
    country = values.get("country", "").strip().upper() or None
    if country is not None and country not in COUNTRY_CODES:
        errors["country"] = _("Choose a country from the list, or none.")
    risk = values.get("risk_category", "")
    if risk not in RISK_CATEGORIES:
        errors["risk_category"] = _("Choose a risk category.")
    status = next((s for s in CaseStatus if s.value == values.get("status")), None)
    if status is None:
        errors["status"] = _("Choose whether the case is open or closed.")
    locale = i18n.supported(values.get("default_locale", ""))
    if locale is None:
        errors["default_locale"] = _("Choose the language the case is written in.")
    if status is None or locale is None or errors:
        return None
    return CaseDescription(country, risk, status, locale)


def parse_case_words(
    values: Mapping[str, str], errors: Errors, *, required: bool, prefix: str = ""
) -> CaseWords:
    """The case's text; with `required`, the fields a case cannot be without."""
    words = CaseWords(
        title=_line(values, f"{prefix}title", MAX_LINE, errors),
        person=_line(values, f"{prefix}person", MAX_LINE, errors),
        summary=_text(values, f"{prefix}summary", MAX_SUMMARY, errors),
        body=_text(values, f"{prefix}body", MAX_TEXT, errors),
    )
    if required:
        for name in ("title", "person", "summary"):
            if not getattr(words, name) and f"{prefix}{name}" not in errors:
                errors[f"{prefix}{name}"] = missing_message(name)
    return words


def missing_message(name: str) -> str:
    """What to say when a required field was left empty (the domain names the field)."""
    messages = {
        "title": _("Enter a title."),
        "person": _("Enter who is at risk: a name, or a group."),
        "summary": _("Enter a summary: what is happening, in a sentence or two."),
        "body": _("Enter the text."),
        "outcome": _("Choose the outcome."),
    }
    return messages.get(name.rsplit("-", 1)[-1], _("Fill in this field."))


def parse_event(
    values: Mapping[str, str], prefix: str, now: datetime, *, with_kind: bool
) -> tuple[CaseEventKind | None, EventFields] | Errors:
    """An event's form (`prefix` "new-" or "event-<id>-"). `with_kind`: a new event, whose kind
    is chosen (an event's kind never changes after). Whether its text may be empty is the
    domain's to say."""
    errors: Errors = {}
    kind = None
    if with_kind:
        kind = next((k for k in CaseEventKind if k.value == values.get(f"{prefix}kind")), None)
        if kind is None:
            errors[f"{prefix}kind"] = _("Choose what kind of event this is.")
    outcome = None
    chosen = values.get(f"{prefix}outcome", "")
    if chosen:
        outcome = next((o for o in Outcome if o.value == chosen), None)
        if outcome is None:
            errors[f"{prefix}outcome"] = _("Choose an outcome from the list.")
    elif kind is CaseEventKind.OUTCOME:
        errors[f"{prefix}outcome"] = _("Choose the outcome.")
    occurred_at = _moment(values, prefix, now, errors)
    source = _line(values, f"{prefix}source", MAX_SOURCE, errors) or None
    title = _line(values, f"{prefix}title", MAX_LINE, errors)
    body = _text(values, f"{prefix}body", MAX_TEXT, errors)
    if errors or occurred_at is None:
        return errors
    return kind, EventFields(outcome, occurred_at, source, title, body)


def _moment(
    values: Mapping[str, str], prefix: str, now: datetime, errors: Errors
) -> datetime | None:
    typed_time = values.get(f"{prefix}time", "").strip()
    try:
        day = fields.parse_date(
            values.get(f"{prefix}date", ""), first_year=EARLIEST_YEAR, last_year=MAXYEAR
        )
    except OutOfRange:
        errors[f"{prefix}date"] = _("Enter a date after 1900.")
        return None
    except ValueError:
        errors[f"{prefix}date"] = _("Enter the date it happened, like 2026-03-14.")
        return None
    try:
        at = fields.parse_clock_time(typed_time) if typed_time else time(0, 0)
    except ValueError:
        errors[f"{prefix}time"] = _("Enter a time like 14:30, or leave it empty.")
        return None
    moment = fields.instant(day, at)
    if moment > now + FUTURE_GRACE:
        errors[f"{prefix}date"] = _("The date cannot be in the future.")
        return None
    return moment


def parse_translation(
    values: Mapping[str, str],
) -> tuple[CaseWords | None, dict[int, EventWords]] | Errors:
    """The translation form: the case's text and, per event, `event-<id>-title`/`-body`.
    Which parts are required is the domain's to say (a part may be left wholly empty); a
    part whose fields the form did not carry at all is left as it is (None, or no entry)."""
    errors: Errors = {}
    carried = any(name in values for name in ("title", "person", "summary", "body"))
    words = parse_case_words(values, errors, required=False) if carried else None
    events: dict[int, EventWords] = {}
    for name in values:
        found = re.fullmatch(r"event-([0-9]{1,18})-body", name)
        if found is None:
            continue
        prefix = f"event-{found.group(1)}-"
        events[int(found.group(1))] = EventWords(
            title=_line(values, f"{prefix}title", MAX_LINE, errors),
            body=_text(values, f"{prefix}body", MAX_TEXT, errors),
        )
    return errors if errors else (words, events)


def _line(values: Mapping[str, str], name: str, limit: int, errors: Errors) -> str:
    """One line of text ("" if it cannot be taken; the problem is in `errors`)."""
    line = fields.check(
        errors, name, lambda text: fields.clean_line(text, limit), values.get(name, "")
    )
    return line or ""


def _text(values: Mapping[str, str], name: str, limit: int, errors: Errors) -> str:
    """Paragraphs ("" if they cannot be taken; the problem is in `errors`)."""
    text = fields.check(
        errors, name, lambda text: fields.clean_text(text, limit), values.get(name, "")
    )
    return text or ""
