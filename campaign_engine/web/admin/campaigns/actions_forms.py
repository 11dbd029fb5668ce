"""The action editor's forms: what a campaigner typed, checked, with a message per field.

Times are typed as a local date and time (`<input type="datetime-local">`) in a time zone the
campaigner chooses beside them (UTC unless they say otherwise), and kept as instants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from campaign_engine import i18n
from campaign_engine.formats import fields
from campaign_engine.formats.fields import MAX_SLUG, zone
from campaign_engine.formats.versions import MAX_VERSIONS, subject_versions, too_many_versions
from campaign_engine.i18n import N_, _
from campaign_engine.models.campaigns import ActionContent, ActionSettingsChange, NewAction

# Amnesty's numbering: `UA 123/26` is urgent action 123 of 2026.
CODE = re.compile(r"^UA \d{1,4}/\d{2}$")
# `/admin/actions/new` is the form for a new action, so no action may be called "new".
RESERVED_SLUGS = frozenset({"new"})
MAX_GOAL = 100_000_000
MAX_REASON = 500
# Deadlines and publication times: years far off are typing mistakes.
FIRST_YEAR, LAST_YEAR = 2000, 2999
REPLY_TO = ("relay", "supporter")
PROOF_OF_WORK = ("auto", "on", "off")

# The longest each part of an action's words may be: a title fits a heading and an email
# subject; a share text fits a short post.
TEXT_LIMITS = {
    "title": 200,
    "summary": 1000,
    "body": 20_000,
    "letter_subject": 4 * 200 + 3 * 4,  # up to four versions, `||` between them
    "letter_body": 20_000,
    "share_text": 280,
}
TEXT_FIELDS = tuple(TEXT_LIMITS)
# The parts written on one line; the others are paragraphs.
ONE_LINE = frozenset({"title", "letter_subject", "share_text"})
# Each part's label, in the order a supporter meets them, and what helps to write it.
TEXT_LABELS = {
    "title": N_("Title"),
    "summary": N_("Summary"),
    "body": N_("What we ask"),
    "letter_subject": N_("Letter subject"),
    "letter_body": N_("Letter"),
    "share_text": N_("Share text"),
}
TEXT_HINTS = {
    "summary": N_("One or two sentences: what is happening, to whom."),
    "body": N_(
        "Markdown: a blank line between paragraphs, *emphasis*, **bold**, lists, "
        "[a link](https://example.org)."
    ),
    "letter_subject": N_(
        "Up to four versions, separated by ||: each appeal takes one, so they do not all "
        "read alike."
    ),
    "letter_body": N_(
        "The letter supporters sign, to the officials. Paragraphs separated by a blank line. "
        "A paragraph may have up to four versions, with a line holding only || between "
        "them: each appeal takes one version of each, so officials do not receive the same "
        "letter again and again."
    ),
    "share_text": N_("What a supporter's post says when they share the action."),
}


@dataclass(frozen=True)
class TextPart:
    name: str
    label: str
    hint: str
    maxlength: int
    one_line: bool


def text_parts() -> list[TextPart]:
    """The parts of an action's words as a form shows them, in the language being spoken."""
    return [
        TextPart(
            name,
            _(label),
            _(TEXT_HINTS[name]) if name in TEXT_HINTS else "",
            TEXT_LIMITS[name],
            name in ONE_LINE,
        )
        for name, label in TEXT_LABELS.items()
    ]


def local_input(moment: datetime | None, zone_name: str) -> str:
    """How a stored moment shows in a datetime-local field, in the zone it was typed in."""
    if moment is None:
        return ""
    return moment.astimezone(zone(zone_name)).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Removal:
    typed_code: str
    reason: str


def parse_new_action(values: Mapping[str, str]) -> NewAction | dict[str, str]:
    """A new action, or the problems with it (field name -> message)."""
    errors: dict[str, str] = {}
    case_id = _case_id(values.get("case", ""), errors)
    code = _code(values.get("code", ""), errors)
    slug = _slug(values.get("slug", ""), errors)
    default_locale = i18n.supported(values.get("default_locale", ""))
    if default_locale is None:
        errors["default_locale"] = _("Choose the language the action is written in.")
    time_zone = _time_zone(values.get("time_zone", "UTC"), errors)
    deadline = _moment(values, "deadline", time_zone, errors)
    goal = _goal(values.get("goal", ""), errors)
    content = parse_content(values)
    if isinstance(content, dict):
        errors.update(content)
    if errors or case_id is None or default_locale is None or isinstance(content, dict):
        return errors
    return NewAction(case_id, code, slug, default_locale, deadline, goal, time_zone, content)


def parse_settings(values: Mapping[str, str]) -> ActionSettingsChange | dict[str, str]:
    errors: dict[str, str] = {}
    time_zone = _time_zone(values.get("time_zone", "UTC"), errors)
    deadline = _moment(values, "deadline", time_zone, errors)
    publish_at = _moment(values, "publish_at", time_zone, errors)
    goal = _goal(values.get("goal", ""), errors)
    reply_to = values.get("reply_to", "relay")
    if reply_to not in REPLY_TO:
        errors["reply_to"] = _("Choose where officials' replies go.")
    proof_of_work = values.get("proof_of_work", "auto")
    if proof_of_work not in PROOF_OF_WORK:
        errors["proof_of_work"] = _("Choose when the form asks for a proof of work.")
    if errors:
        return errors
    return ActionSettingsChange(
        deadline,
        goal,
        publish_at,
        reply_to,
        time_zone,
        proof_of_work,
        own_mailbox=values.get("own_mailbox") == "on",
        asks_solidarity=values.get("asks_solidarity") == "on",
    )


def parse_content(values: Mapping[str, str]) -> ActionContent | dict[str, str]:
    """An action's words in one language. Only the title is needed to save them; publishing
    asks for the rest (domain/action_editing.REQUIRED_TO_PUBLISH)."""
    errors: dict[str, str] = {}
    parts = {name: _text(values.get(name, ""), name, errors) for name in TEXT_FIELDS}
    if not parts["title"] and "title" not in errors:
        errors["title"] = _("Enter a title.")
    if errors:
        return errors
    return ActionContent(**parts)


def parse_removal(values: Mapping[str, str]) -> Removal | dict[str, str]:
    errors: dict[str, str] = {}
    typed = fields.one_line(values.get("confirm_code", ""))
    reason = fields.check(
        errors, "reason", lambda text: fields.clean_line(text, MAX_REASON), values.get("reason", "")
    )
    if not typed:
        errors["confirm_code"] = _("Type the action's code to confirm.")
    if reason == "":
        errors["reason"] = _("Say why the action is taken down: the audit log keeps it.")
    return errors or Removal(typed, reason or "")


def _text(typed: str, name: str, errors: dict[str, str]) -> str:
    # One-line parts lose stray spaces and line breaks; paragraphs keep their blank lines.
    clean = fields.clean_line if name in ONE_LINE else fields.clean_text
    text = fields.check(errors, name, lambda text: clean(text, TEXT_LIMITS[name]), typed) or ""
    if name in LETTER_PARTS and name not in errors:
        _check_versions(text, name, errors)
    return text


# The parts of the model letter that may come in versions (formats/versions.py).
LETTER_PARTS = frozenset({"letter_subject", "letter_body"})
MAX_SUBJECT = 200


def _check_versions(text: str, name: str, errors: dict[str, str]) -> None:
    if name == "letter_subject" and any(len(v) > MAX_SUBJECT for v in subject_versions(text)):
        errors[name] = _("Keep each version of the subject to %(max)s characters.") % {
            "max": MAX_SUBJECT
        }
    elif too_many_versions(text, one_line=name in ONE_LINE):
        errors[name] = _("Write at most %(max)s versions of each part, with || between them.") % {
            "max": MAX_VERSIONS
        }


def _case_id(typed: str, errors: dict[str, str]) -> int | None:
    if re.fullmatch(r"[0-9]{1,18}", typed):
        return int(typed)
    errors["case"] = _("Choose the case this action is for.")
    return None


def _code(typed: str, errors: dict[str, str]) -> str:
    code = fields.one_line(typed).upper()
    if not CODE.match(code):
        errors["code"] = _("Write the code like UA 123/26: UA, a space, the number, /, the year.")
    return code


def _slug(typed: str, errors: dict[str, str]) -> str:
    slug = fields.typed_slug(typed)
    if not fields.is_slug(slug):
        errors["slug"] = _(
            "Use lower-case letters, digits and single hyphens (at most %(max)s characters), "
            "like free-ana-garcia."
        ) % {"max": MAX_SLUG}
    elif slug in RESERVED_SLUGS:
        errors["slug"] = _("This address is reserved. Choose another.")
    return slug


def _time_zone(typed: str, errors: dict[str, str]) -> str:
    known = fields.known_time_zone(typed)
    if known is None:
        errors["time_zone"] = _("Choose a time zone from the list.")
        return "UTC"
    return known


def _moment(
    values: Mapping[str, str], name: str, time_zone: str, errors: dict[str, str]
) -> datetime | None:
    typed = values.get(name, "").strip()
    if not typed:
        return None
    try:
        return fields.parse_local_datetime(
            typed, time_zone, first_year=FIRST_YEAR, last_year=LAST_YEAR
        )
    except ValueError:
        errors[name] = _("Enter a date and time like 2026-12-31 18:00.")
        return None


def _goal(typed: str, errors: dict[str, str]) -> int:
    typed = typed.strip().replace(",", "").replace(" ", "")
    if not typed:
        return 0
    if not re.fullmatch(r"[0-9]{1,9}", typed) or int(typed) > MAX_GOAL:
        errors["goal"] = _("Enter a whole number of signatures, or leave it empty for no goal.")
        return 0
    return int(typed)
