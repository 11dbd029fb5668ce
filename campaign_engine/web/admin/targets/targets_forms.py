"""The target form and an action's channel settings: what a campaigner typed, checked, with a
message per field (the checks themselves are domain/targets/target_fields.py's, shared with
imports)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from campaign_engine import i18n
from campaign_engine.domain.delivery.channels import (
    clean_addresses,
    officials_channels,
    typed_channels,
)
from campaign_engine.domain.targets.action_targets import (
    DIGEST_FORMATS,
    MAX_DIGEST_HOURS,
    MAX_PACE,
    MODES,
)
from campaign_engine.domain.targets.target_editing import Addresses, TargetPage
from campaign_engine.domain.targets.target_fields import (
    clean_clock_time,
    clean_country,
    clean_external_id,
    clean_limit,
    clean_line,
    clean_locale,
    clean_name,
    clean_notes,
    clean_postal_address,
    clean_time_zone,
    office_hours,
)
from campaign_engine.formats.fields import InvalidValue
from campaign_engine.formats.fields import check as checked
from campaign_engine.i18n import _
from campaign_engine.models.targets import ChannelSettings, TargetDetails

T = TypeVar("T")
Errors = dict[str, str]


def salutation_field(tag: str) -> str:
    return f"salutation_{tag}"


def salutation_label(tag: str) -> str:
    """ "Salutation in Spanish", naming the language in the reader's own."""
    name = i18n.babel_locale(tag).get_display_name(i18n.active().babel) or tag
    return _("Salutation in %(language)s") % {"language": name}


def parse_target(
    values: Mapping[str, str], office_days: list[str]
) -> tuple[TargetDetails, Addresses] | Errors:
    """The target and its addresses, or the problems with them (field name -> message)."""
    errors: Errors = {}

    def check(name: str, clean: Callable[[str], T]) -> T | None:
        return checked(errors, name, clean, values.get(name, ""))

    country = check("country", clean_country)
    details = TargetDetails(
        external_id=check("external_id", clean_external_id),
        name=check("name", clean_name) or "",
        title=check("title", clean_line) or "",
        organisation=check("organisation", clean_line) or "",
        country=country,
        time_zone=check("time_zone", clean_time_zone) or "UTC",
        office_hours=_office_hours(values, office_days, errors),
        preferred_locale=check("preferred_locale", clean_locale) or "",
        salutations={
            tag: text for tag in i18n.LOCALES if (text := check(salutation_field(tag), clean_line))
        },
        max_per_hour=check("max_per_hour", clean_limit),
        max_per_day=check("max_per_day", clean_limit),
        notes=check("notes", clean_notes) or "",
        postal_address=check("postal_address", clean_postal_address) or "",
    )
    addresses = {
        channel.name: tuple(check(typed.form_field, _cleaner(channel.name, country)) or ())
        for channel in typed_channels()
        if (typed := channel.typed)
    }
    if errors:
        return errors
    return details, Addresses(addresses)


def _cleaner(channel: str, country: str | None) -> Callable[[str], list[str]]:
    return lambda text: clean_addresses(text, channel, country)


def _office_hours(
    values: Mapping[str, str], office_days: list[str], errors: Errors
) -> dict[str, object] | None:
    """No day ticked and no time given: any hour. Otherwise all three are needed."""
    start, end = values.get("office_start", "").strip(), values.get("office_end", "").strip()
    if not office_days and not start and not end:
        return None
    weekdays = sorted({int(day) for day in office_days if day in _WEEKDAY_VALUES})
    if not weekdays:
        errors["office_days"] = _("Choose the days the office is open.")
    times = {}
    for name, text in (("office_start", start), ("office_end", end)):
        try:
            times[name] = clean_clock_time(text)
        except InvalidValue as invalid:
            errors[name] = invalid.message
    if not weekdays or len(times) < 2:
        return None
    try:
        return office_hours(weekdays, times["office_start"], times["office_end"])
    except InvalidValue as invalid:
        errors["office_end"] = invalid.message
        return None


_WEEKDAY_VALUES = frozenset(str(day) for day in range(1, 8))


def target_values(page: TargetPage) -> tuple[dict[str, str], list[str]]:
    """A stored target as its form shows it: the fields, and the office days ticked."""
    details = page.target.details
    hours = details.office_hours or {}
    days = hours.get("weekdays", [])
    values = {
        "external_id": details.external_id or "",
        "name": details.name,
        "title": details.title,
        "organisation": details.organisation,
        "country": details.country or "",
        "time_zone": details.time_zone,
        "office_start": str(hours.get("start", "")),
        "office_end": str(hours.get("end", "")),
        "preferred_locale": details.preferred_locale,
        "max_per_hour": _number(details.max_per_hour),
        "max_per_day": _number(details.max_per_day),
        "notes": details.notes,
        "postal_address": details.postal_address,
        **{
            typed.form_field: "\n".join(page.addresses.on(channel.name))
            for channel in typed_channels()
            if (typed := channel.typed)
        },
        **{salutation_field(tag): text for tag, text in details.salutations.items()},
    }
    return values, [str(day) for day in days] if isinstance(days, list) else []


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def parse_channel_settings(values: Mapping[str, str]) -> list[ChannelSettings] | Errors:
    """Each channel's settings, from fields named `email_mode`, `sms_digest_every` and so on."""
    errors: Errors = {}
    chosen = [_channel_settings(channel, values, errors) for channel in officials_channels()]
    if errors:
        return errors
    return chosen


def _channel_settings(channel: str, values: Mapping[str, str], errors: Errors) -> ChannelSettings:
    def field(name: str) -> tuple[str, str]:
        key = f"{channel}_{name}"
        return key, values.get(key, "").strip()

    key, mode = field("mode")
    if mode not in MODES:
        errors[key] = _("Choose how letters go out on this channel.")
    key, every = field("digest_every")
    if not _whole_number(every, MAX_DIGEST_HOURS):
        errors[key] = _("Enter a number of hours from 1 to %(max)d.") % {"max": MAX_DIGEST_HOURS}
    key, digest_format = field("digest_format")
    if digest_format not in DIGEST_FORMATS:
        errors[key] = _("Choose how a digest lists the signatures.")
    key, pace = field("min_per_hour")
    if not _whole_number(pace, MAX_PACE):
        errors[key] = _("Enter a number of letters per hour from 1 to %(max)d.") % {"max": MAX_PACE}
    numbers_ok = _whole_number(every, MAX_DIGEST_HOURS) and _whole_number(pace, MAX_PACE)
    return ChannelSettings(
        channel,
        mode,
        int(every) if numbers_ok else 0,
        digest_format,
        int(pace) if numbers_ok else 0,
    )


def _whole_number(text: str, largest: int) -> bool:
    return text.isascii() and text.isdigit() and 0 < int(text) <= largest


def parse_assignment(values: Mapping[str, str]) -> tuple[int, str] | Errors:
    """A target (by id) and a channel, as the forms that add and remove one send them."""
    errors: Errors = {}
    chosen, channel = values.get("target_id", "").strip(), values.get("channel", "")
    if not chosen.isascii() or not chosen.isdigit() or len(chosen) > 18:
        errors["target_id"] = _("Choose a target from the list.")
    if channel not in officials_channels():
        errors["channel"] = _("Choose email or SMS.")
    if errors:
        return errors
    return int(chosen), channel


def parse_copy(values: Mapping[str, str]) -> int | Errors:
    """A target (by id), as the forms that add and remove a copy recipient send it."""
    chosen = values.get("copy_target_id", "").strip()
    if not chosen.isascii() or not chosen.isdigit() or len(chosen) > 18:
        return {"copy_target_id": _("Choose a target from the list.")}
    return int(chosen)
