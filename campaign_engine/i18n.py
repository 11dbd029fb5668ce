"""Languages: which we speak, how we pick one, and translating in the one that is active.

URLs carry BCP 47 tags (`/zh-Hans/…`); Babel and the catalogues under `locales/` use Babel's
identifiers (`zh_Hans`). The active language lives in a context variable, so a page rendered
for a request and an email rendered by a worker each speak their reader's language, even when
they run side by side on one event loop.

Catalogues are compiled from the `.po` files in memory at start-up: there is no `.mo` file to
forget to rebuild.
"""

from __future__ import annotations

import gettext as gettext_module
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

# The six official languages of the United Nations. English is the source language: its
# text is the msgid itself, so it has no catalogue.
LOCALES: tuple[str, ...] = ("en", "fr", "es", "ar", "zh-Hans", "ru")
SOURCE_LOCALE = "en"
DOMAIN = "messages"


@cache
def babel_locale(tag: str) -> Locale:
    return Locale.parse(tag, sep="-")


def catalogue_name(tag: str) -> str:
    """The folder under `locales/` holding a language's catalogue: `zh-Hans` -> `zh_Hans`."""
    return str(babel_locale(tag))


def text_direction(tag: str) -> str:
    return str(babel_locale(tag).text_direction)


def native_name(tag: str) -> str:
    """A language's name in itself, as a language menu shows it: "Français", "中文 (简体)"."""
    name = babel_locale(tag).get_display_name(babel_locale(tag)) or tag
    return name[:1].upper() + name[1:]


def language_name(code: str, reader: str | None = None) -> str:
    """A language named in the reader's language (the active one by default): 'Arabic',
    'arabe', '阿拉伯语'; the code itself when Babel does not know it."""
    try:
        name = babel_locale(code).get_display_name(babel_locale(reader or active().tag))
    except (ValueError, UnknownLocaleError):
        return code
    return name or code


def is_supported(tag: str) -> bool:
    return tag in LOCALES


def supported(tag: str) -> str | None:
    """Our spelling of a language tag, whatever its case (`zh-hans` -> `zh-Hans`), or None."""
    return _BY_LOWER.get(tag.lower())


_BY_LOWER = {tag.lower(): tag for tag in LOCALES}


@dataclass(frozen=True)
class ActiveLocale:
    tag: str
    translations: gettext_module.NullTranslations

    @property
    def babel(self) -> Locale:
        return babel_locale(self.tag)


_SOURCE = ActiveLocale(SOURCE_LOCALE, gettext_module.NullTranslations())
_active: ContextVar[ActiveLocale | None] = ContextVar("active_locale", default=None)


class Catalogues:
    """Every language's translations, loaded once."""

    def __init__(self, locales_dir: Path) -> None:
        self._by_tag: dict[str, gettext_module.NullTranslations] = {
            tag: _load(locales_dir, tag) for tag in LOCALES
        }

    def translations(self, tag: str) -> gettext_module.NullTranslations:
        return self._by_tag[tag]

    @contextmanager
    def activate(self, tag: str) -> Iterator[ActiveLocale]:
        """Speak `tag` until the block ends."""
        active = ActiveLocale(tag, self._by_tag[tag])
        reset = _active.set(active)
        try:
            yield active
        finally:
            _active.reset(reset)


def _load(locales_dir: Path, tag: str) -> gettext_module.NullTranslations:
    if tag == SOURCE_LOCALE:
        return gettext_module.NullTranslations()
    path = locales_dir / catalogue_name(tag) / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalogue = read_po(po, locale=babel_locale(tag), domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def active() -> ActiveLocale:
    """The language being spoken here; the source language outside any `activate` block."""
    return _active.get() or _SOURCE


def gettext(message: str) -> str:
    return active().translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return active().translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return active().translations.pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return active().translations.npgettext(context, singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where shown."""
    return message


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an `Accept-Language` header, else the source language.

    We match on the primary language only: every Chinese reader gets Simplified Chinese,
    every French reader gets our one French, which is what a reader of `fr-CA` would pick too.
    """
    for tag in _preferences(accept_language or ""):
        language = tag.split("-")[0].lower()
        for ours in LOCALES:
            if ours.split("-")[0] == language:
                return ours
    return SOURCE_LOCALE


def _preferences(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _sep, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _q, _p, tag in sorted(weighted)]
