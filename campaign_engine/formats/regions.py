"""Regions of the world, as the UN's M.49 standard groups countries: its 22 sub-regions (with
the intermediate regions of Africa and the Americas), named by CLDR in the reader's language.
Which country lies in which is data in the database (`country_regions`, migration 0033), so
that matching a case to a member's regions is one join."""

from __future__ import annotations

from functools import cache

from campaign_engine.i18n import babel_locale

# By continent: Africa, the Americas, Asia, Europe, Oceania.
REGION_CODES: tuple[str, ...] = (
    "015", "011", "017", "014", "018",  # Africa: north, west, middle, east, south
    "029", "013", "005", "021",  # the Caribbean, Central, South and Northern America
    "143", "030", "034", "035", "145",  # Asia: central, east, south, south-east, west
    "154", "151", "039", "155",  # Europe: north, east, south, west
    "053", "054", "057", "061",  # Oceania
)  # fmt: skip


def region_name(code: str, tag: str) -> str:
    return str(babel_locale(tag).territories.get(code, code))


@cache
def region_choices(tag: str) -> tuple[tuple[str, str], ...]:
    """(code, name) pairs continent by continent, as a map reads, the same in every language:
    alphabetical order would scatter Africa's regions through the list (and without ICU,
    Chinese names sort by code point, which is no order at all)."""
    return tuple((code, region_name(code, tag)) for code in REGION_CODES)
