"""What a target's fields may hold, checked the same way whether a campaigner typed them into
the form or a spreadsheet brought them: each cleaner returns a value as it is stored, or raises
InvalidValue with a message in the reader's language. What targets share with cases and actions
(free text, time zones, times of day) is campaign_engine/formats/fields.py's."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from campaign_engine import i18n
from campaign_engine.formats import fields
from campaign_engine.formats.countries import COUNTRY_CODES
from campaign_engine.formats.fields import InvalidValue
from campaign_engine.i18n import _

MAX_EXTERNAL_ID = 100
MAX_LINE = 200  # a name, a title, an organisation, a salutation
MAX_ADDRESS = 600  # a postal address, all its lines
MAX_ADDRESS_LINES = 8
MAX_NOTES = 4000
MAX_EMAIL = 254  # RFC 5321's limit on a path
MAX_LIMIT = 100_000  # a cap above this is no cap
MAX_ADDRESSES = 20  # per channel: more is a pasting accident
WEEKDAYS = range(1, 8)  # ISO: Monday is 1

_LIST_SEPARATORS = re.compile(r"[\s,;]+")
_DAY_RANGE = re.compile(r"^([1-7])(?:-([1-7]))?$")


def clean_external_id(text: str) -> str | None:
    external_id = text.strip()
    if not external_id:
        return None
    if len(external_id) > MAX_EXTERNAL_ID or fields.unacceptable(external_id, allowed=""):
        raise InvalidValue(
            _("An external id is at most %(max)d letters, digits or signs.")
            % {"max": MAX_EXTERNAL_ID}
        )
    return external_id


def clean_name(text: str) -> str:
    name = clean_line(text)
    if not name:
        raise InvalidValue(_("Enter the target's name."))
    return name


def clean_line(text: str, limit: int = MAX_LINE) -> str:
    return fields.clean_line(text, limit)


def clean_notes(text: str) -> str:
    notes = fields.paragraphs(text)
    if len(notes) > MAX_NOTES:
        raise InvalidValue(_("Notes can be at most %(max)d characters long.") % {"max": MAX_NOTES})
    return fields.refuse_unacceptable(notes)


def clean_postal_address(text: str) -> str:
    """An address for the envelope: each line trimmed, blank lines dropped (a spreadsheet's
    cell may hold them separated by " | ", as one line cannot hold several)."""
    typed = fields.paragraphs(text).replace(" | ", "\n")
    lines = [fields.one_line(line) for line in typed.split("\n") if line.strip()]
    if len(lines) > MAX_ADDRESS_LINES:
        raise InvalidValue(
            _("A postal address can have at most %(max)d lines.") % {"max": MAX_ADDRESS_LINES}
        )
    return fields.clean_text("\n".join(lines), MAX_ADDRESS)


def clean_country(text: str) -> str | None:
    code = text.strip().upper()
    if not code:
        return None
    if code not in COUNTRY_CODES:
        raise InvalidValue(_("Use a two-letter country code (ISO 3166-1), like MX or FR."))
    return code


def clean_time_zone(text: str) -> str:
    zone = fields.known_time_zone(text)
    if zone is None:
        raise InvalidValue(
            _("Use a time zone name from the list, like Europe/Paris or America/Mexico_City.")
        )
    return zone


def clean_locale(text: str) -> str:
    tag = i18n.supported(text.strip().replace("_", "-"))
    if tag is None:
        raise InvalidValue(
            _("Choose one of our languages: %(tags)s.") % {"tags": ", ".join(i18n.LOCALES)}
        )
    return tag


def clean_limit(text: str) -> int | None:
    """A cap per hour or per day: a whole number above zero, or nothing (no cap)."""
    text = text.strip().replace(" ", "")
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_LIMIT:
        raise InvalidValue(
            _("Enter a whole number from 1 to %(max)d, or leave it empty for no cap.")
            % {"max": MAX_LIMIT}
        )
    return int(text)


def parse_weekdays(text: str) -> list[int]:
    """ "1-5", "1,3,5" or "1-5 7" (Monday is 1) as sorted ISO weekdays."""
    days: set[int] = set()
    for part in filter(None, _LIST_SEPARATORS.split(text.strip())):
        found = _DAY_RANGE.match(part)
        if found is None:
            raise InvalidValue(_('Write office days as numbers from 1 (Monday) to 7, like "1-5".'))
        first, last = int(found.group(1)), int(found.group(2) or found.group(1))
        if last < first:
            raise InvalidValue(_('Write office days as numbers from 1 (Monday) to 7, like "1-5".'))
        days.update(range(first, last + 1))
    return sorted(days)


def clean_clock_time(text: str) -> str:
    try:
        moment = fields.parse_clock_time(text)
    except ValueError:
        raise InvalidValue(_("Write a time as hours and minutes, like 09:00.")) from None
    return moment.strftime("%H:%M")


def office_hours(weekdays: list[int], start: str, end: str) -> dict[str, object]:
    """Office hours as stored; `start` and `end` as clean_clock_time returns them."""
    if not weekdays:
        raise InvalidValue(_("Choose the days the office is open."))
    if not start < end:
        raise InvalidValue(_("The office must open before it closes, on the same day."))
    return {"weekdays": weekdays, "start": start, "end": end}


def describe_office_hours(hours: dict[str, object] | None) -> str:
    """Office hours as the import file writes them: "1-5 09:00-17:00"; "" for any hour."""
    if not hours:
        return ""
    days = hours.get("weekdays")
    listed = ",".join(str(day) for day in days) if isinstance(days, list) else ""
    return f"{listed} {hours.get('start')}-{hours.get('end')}"


def clean_email(text: str) -> str:
    address = text.strip()
    if len(address) > MAX_EMAIL:
        raise InvalidValue(_("%(address)s is not a valid email address.") % {"address": address})
    try:
        # No DNS: an office's domain may be slow, or blocked from where we run.
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidValue(
            _("%(address)s is not a valid email address.") % {"address": address}
        ) from None
    if valid.ascii_email is None:
        # Letters beyond ASCII before the @ need SMTPUTF8 end to end, which we cannot send.
        raise InvalidValue(
            _("We cannot send email to %(address)s: it has non-Latin letters before the @.")
            % {"address": address}
        )
    return valid.ascii_email


def clean_phone(text: str, country: str | None) -> str:
    """A phone number in E.164, read as a number of `country` unless it starts with +.

    Possible (the right length for its country) is enough, unlike a supporter's number: an
    office's number may be in a range newer than the library's tables, and one that fails is
    marked blocked by the first letter sent to it."""
    try:
        number = phonenumbers.parse(text.strip(), country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise InvalidValue(
            _(
                "%(number)s is not a valid phone number. Start with + and the country code, "
                "like +52 55 1234 5678."
            )
            % {"number": text.strip()}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
