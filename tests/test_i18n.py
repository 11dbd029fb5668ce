"""Every language is first class: complete catalogues, right plurals, right formats."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaign_engine import translations
from campaign_engine.i18n import LOCALES, Catalogues, negotiate, text_direction
from campaign_engine.settings import SOURCE_HOME
from campaign_engine.templating import format_long_date, format_number, format_relative

CATALOGUES = Catalogues(SOURCE_HOME / "locales")


def test_the_catalogues_are_current_complete_and_compile() -> None:
    assert translations.problems(SOURCE_HOME) == []


def test_a_new_sentence_fails_the_check_until_every_language_has_it(tmp_path: Path) -> None:
    for folder in ("campaign_engine", "workers", "templates", "locales"):
        shutil.copytree(
            SOURCE_HOME / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    new = tmp_path / "templates" / "public" / "new.html"
    new.write_text('{{ _("Zebras juggle quartz violins on Tuesdays.") }}')
    assert translations.problems(tmp_path) == [
        "locales/messages.pot is stale: run `campaign-engine i18n extract`"
    ]
    translations.write_template(tmp_path)
    translations.update_catalogues(tmp_path)
    found = translations.problems(tmp_path)
    for tag in LOCALES[1:]:
        assert f"{tag}: 'Zebras juggle quartz violins on Tuesdays.': not translated" in found


@pytest.mark.parametrize(
    ("n", "form"),
    [(0, 0), (1, 1), (2, 2), (3, 3), (10, 3), (11, 5), (99, 5), (100, 4), (102, 4), (105, 3)],
)
def test_arabic_uses_all_six_plural_forms(n: int, form: int) -> None:
    """Babel's Arabic formula orders the forms differently from CLDR (100-102 is form 4, 11-99
    form 5); this pins which sentence each number gets."""
    arabic = CATALOGUES.translations("ar")
    forms = [
        arabic.ngettext("%(num)s person has signed.", "%(num)s people have signed.", k)
        for k in (0, 1, 2, 3, 100, 11)
    ]
    assert len(set(forms)) == 6, "six different sentences"
    chosen = arabic.ngettext("%(num)s person has signed.", "%(num)s people have signed.", n)
    assert chosen == forms[form]


@pytest.mark.parametrize(("n", "form"), [(1, 0), (21, 0), (2, 1), (24, 1), (5, 2), (11, 2)])
def test_russian_plurals(n: int, form: int) -> None:
    russian = CATALOGUES.translations("ru")
    forms = [
        russian.ngettext("%(num)s person has signed.", "%(num)s people have signed.", k)
        for k in (1, 2, 5)
    ]
    assert len(set(forms)) == 3
    chosen = russian.ngettext("%(num)s person has signed.", "%(num)s people have signed.", n)
    assert chosen == forms[form]


def test_numbers_and_dates_follow_the_reader() -> None:
    when = datetime(2027, 1, 4, 12, tzinfo=UTC)
    expected = {
        "en": ("1,234,567", "January 4, 2027"),
        "fr": ("1\u202f234\u202f567", "4 janvier 2027"),
        "es": ("1.234.567", "4 de enero de 2027"),
        "ru": ("1\xa0234\xa0567", "4 января 2027\u202fг."),
        "zh-Hans": ("1,234,567", "2027年1月4日"),
    }
    for tag, (number, date) in expected.items():
        with CATALOGUES.activate(tag):
            assert format_number(1234567) == number, tag
            assert format_long_date(when) == date, tag
    with CATALOGUES.activate("fr"):
        assert format_relative(when, now=when - timedelta(days=21)) == "dans 3 semaines"


def test_only_arabic_reads_right_to_left() -> None:
    assert [tag for tag in LOCALES if text_direction(tag) == "rtl"] == ["ar"]


@pytest.mark.parametrize(
    ("header", "tag"),
    [
        ("zh-TW", "zh-Hans"),
        ("pt-BR, es;q=0.4", "es"),
        ("*", "en"),
        ("ru;q=0, fr;q=0.1", "fr"),
        ("ar;q=nonsense, ru", "ru"),
        (None, "en"),
    ],
)
def test_negotiation(header: str | None, tag: str) -> None:
    assert negotiate(header) == tag
