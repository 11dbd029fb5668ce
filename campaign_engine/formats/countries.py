"""Countries a supporter can sign from: ISO 3166-1 alpha-2 codes, named in the reader's language."""

from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale

from campaign_engine.i18n import LOCALES, babel_locale

# CLDR lists groupings and pseudo-regions beside countries; none of them is a place to live.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})

# Two-letter codes that every language we speak can name (CLDR is still naming the newest).
COUNTRY_CODES: frozenset[str] = frozenset(
    code
    for code in map(str, Locale("en").territories)
    if len(code) == 2
    and code.isalpha()
    and code not in _NOT_COUNTRIES
    and all(code in babel_locale(tag).territories for tag in LOCALES)
)


def country_name(code: str, tag: str) -> str:
    return str(babel_locale(tag).territories.get(code, code))


@cache
def country_choices(tag: str) -> tuple[tuple[str, str], ...]:
    """(code, name) pairs in the order a reader of `tag` looks for them."""
    return tuple(
        sorted(
            ((code, country_name(code, tag)) for code in COUNTRY_CODES),
            key=lambda choice: _sort_key(choice[1]),
        )
    )


def _sort_key(name: str) -> str:
    # Without ICU we cannot collate properly; ignoring accents puts "Égypte" among the Es,
    # which is what readers of Latin scripts expect. Other scripts sort by code point.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
