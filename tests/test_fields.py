"""The field checks the workspace's areas share (campaign_engine/formats/fields.py): one rule
for a slug, for free text, for time zones and for dates, whichever form asks."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from campaign_engine.domain.targets.target_fields import clean_line, clean_notes, clean_time_zone
from campaign_engine.formats import fields
from campaign_engine.formats.fields import InvalidValue, NotADate, OutOfRange
from campaign_engine.web.admin.campaigns.actions_forms import (
    parse_content,
    parse_new_action,
    parse_settings,
)
from campaign_engine.web.admin.campaigns.cases_forms import (
    parse_case_words,
    parse_event,
    parse_new_case,
)
from campaign_engine.web.admin.campaigns.exports import parse_filters
from campaign_engine.web.routes import SlugConvertor

# The CHECK on cases.slug and actions.slug, as the database applies it.
DATABASE_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
REFUSED_CHARACTERS = "This contains characters we cannot accept."


@pytest.mark.parametrize(
    ("slug", "good"),
    [
        ("ines-caldera", True),
        ("ua-12-26", True),
        ("a" * 80, True),
        ("a" * 81, False),
        ("-ines", False),
        ("ines-", False),
        ("ines--caldera", False),
        ("ines_caldera", False),
        ("inés", False),
        ("ines\n", False),  # a `$` would have let the line break through
        ("", False),
    ],
)
def test_one_slug_rule_for_cases_actions_urls_and_the_database(slug: str, good: bool) -> None:
    assert fields.is_slug(slug) is good
    assert (re.fullmatch(SlugConvertor.regex, slug) is not None) is (
        DATABASE_SLUG.search(slug) is not None and not slug.endswith("\n")
    )
    if len(slug) <= fields.MAX_SLUG:
        assert fields.is_slug(slug) is (DATABASE_SLUG.fullmatch(slug) is not None)


def test_cases_and_actions_read_a_typed_slug_alike() -> None:
    assert fields.typed_slug("  Ines-Caldera ") == "ines-caldera"
    # The Kelvin sign lowers to an ASCII k; it is refused, not turned into a letter nobody typed.
    assert not fields.is_slug(fields.typed_slug("\u212aelvin"))
    # Only the slug is filled in, so both forms answer with problems: never with the slug's.
    assert "slug" not in _problems(parse_new_case({"slug": "Ines-Caldera"}))
    assert "slug" not in _problems(parse_new_action({"slug": "Free-Ana"}))
    assert "slug" in _problems(parse_new_action({"slug": "NEW"}))  # reserved, whatever the case
    assert "slug" in _problems(parse_new_case({"slug": "ines_caldera"}))
    assert "slug" in _problems(parse_new_action({"slug": "free ana"}))


def _problems(parsed: object) -> dict[str, str]:
    assert isinstance(parsed, dict)
    return parsed


@pytest.mark.parametrize("character", ["\x07", "\x1b", "\x7f", "\x90", "\u202e", "\u2066"])
def test_controls_and_bidi_overrides_are_refused_in_every_area(character: str) -> None:
    typed = f"Free {character}Ana"
    with pytest.raises(InvalidValue):
        fields.clean_line(typed, 200)
    with pytest.raises(InvalidValue):
        fields.clean_text(typed, 200)
    errors: dict[str, str] = {}
    parse_case_words({"title": typed, "body": typed}, errors, required=False)
    assert errors == {"title": REFUSED_CHARACTERS, "body": REFUSED_CHARACTERS}
    assert parse_content({"title": "Free Ana", "letter_body": typed}) == {
        "letter_body": REFUSED_CHARACTERS
    }
    with pytest.raises(InvalidValue, match=REFUSED_CHARACTERS):
        clean_notes(typed)
    with pytest.raises(InvalidValue, match=REFUSED_CHARACTERS):
        clean_line(typed)


def test_line_breaks_tabs_and_any_script_are_kept() -> None:
    assert fields.clean_text("  Para one\r\n\r\n\tPara two\rend  ", 100) == (
        "Para one\n\n\tPara two\nend"
    )
    assert fields.clean_line(" Free\n\tAna  Garc\u00eda ", 100) == "Free Ana Garc\u00eda"
    assert fields.clean_line("\u0627\u0644\u062d\u0631\u064a\u0629 \u81ea\u7531", 100)
    # Joiners and marks that scripts need are not controls.
    assert fields.clean_line("\u0646\u200c\u0645 \u200f\u05d0", 100)
    with pytest.raises(InvalidValue, match="at most 5 characters"):
        fields.clean_line("Free Ana", 5)


@pytest.mark.parametrize("typed", ["Etc/UTC", "etc/utc", "UTC", "Etc/GMT+5", "Europe/Paris"])
def test_actions_and_targets_accept_the_same_zones(typed: str) -> None:
    canonical = clean_time_zone(typed)
    assert canonical in fields.time_zone_names()
    settings = parse_settings({"time_zone": typed})
    assert not isinstance(settings, dict)
    assert settings.time_zone == canonical


@pytest.mark.parametrize("typed", ["Mars/Olympus", "Mars/Olympus_Mons", "localtime", ""])
def test_actions_and_targets_refuse_the_same_zones(typed: str) -> None:
    with pytest.raises(InvalidValue, match="Use a time zone name from the list"):
        clean_time_zone(typed)
    assert parse_settings({"time_zone": typed}) == {
        "time_zone": "Choose a time zone from the list."
    }


def test_one_sorted_list_of_zones() -> None:
    zones = fields.time_zone_names()
    assert list(zones) == sorted(zones)
    assert {"UTC", "Etc/UTC", "America/Mexico_City"} <= set(zones)
    assert "localtime" not in zones


def test_a_date_within_the_years_given() -> None:
    assert fields.parse_date(" 2000-01-01 ", first_year=2000, last_year=2999) == date(2000, 1, 1)
    assert fields.parse_date("2999-12-31", first_year=2000, last_year=2999) == date(2999, 12, 31)
    with pytest.raises(OutOfRange):
        fields.parse_date("1999-12-31", first_year=2000, last_year=2999)
    with pytest.raises(OutOfRange):
        fields.parse_date("3000-01-01", first_year=2000, last_year=2999)
    for typed in ("2026-02-30", "20260314", "2026-W11-6", "14/03/2026", "", "2026-3-14"):
        with pytest.raises(NotADate):
            fields.parse_date(typed, first_year=1900, last_year=9999)


def test_a_local_date_and_time_in_a_zone() -> None:
    paris = fields.parse_local_datetime(
        "2026-12-31 18:00", "Europe/Paris", first_year=2000, last_year=2999
    )
    assert paris == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    assert fields.parse_local_datetime(
        "2026-07-01T09:30:15", "UTC", first_year=2000, last_year=2999
    ) == datetime(2026, 7, 1, 9, 30, 15, tzinfo=UTC)
    for typed in ("2026-12-31 18:00+01:00", "2026-12-31", "2026-12-31T18", "2026-02-30 10:00"):
        with pytest.raises(NotADate):
            fields.parse_local_datetime(typed, "UTC", first_year=2000, last_year=2999)
    with pytest.raises(OutOfRange):
        fields.parse_local_datetime("1999-12-31 23:59", "UTC", first_year=2000, last_year=2999)


def test_each_area_keeps_its_own_years_and_messages() -> None:
    def event_errors(day: str) -> object:
        parsed = parse_event(
            {"new-date": day, "new-title": "Arrested"}, "new-", NOW, with_kind=False
        )
        return parsed if isinstance(parsed, dict) else {}

    assert event_errors("1900-01-01") == {}
    assert event_errors("1899-12-31") == {"new-date": "Enter a date after 1900."}
    assert event_errors("14/03/2026") == {
        "new-date": "Enter the date it happened, like 2026-03-14."
    }
    assert event_errors("2026-03-16") == {"new-date": "The date cannot be in the future."}

    filters = parse_filters({"signed_from": "2000-01-01", "signed_to": "2999-12-31"})
    assert not isinstance(filters, dict)
    assert parse_filters({"signed_from": "1999-12-31"}) == {
        "signed_from": "Enter a date like 2026-03-31."
    }

    late = parse_settings({"time_zone": "UTC", "deadline": "3000-01-01 00:00"})
    assert late == {"deadline": "Enter a date and time like 2026-12-31 18:00."}
    tokyo = parse_settings({"time_zone": "Asia/Tokyo", "deadline": "2026-12-31T09:00"})
    assert not isinstance(tokyo, dict)
    assert tokyo.deadline == datetime(2026, 12, 31, 0, 0, tzinfo=UTC)
