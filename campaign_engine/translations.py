"""The translation workflow: extract the strings, update the catalogues, check them.

`campaign-engine i18n extract` writes `locales/messages.pot` from the code and templates;
`campaign-engine i18n update` merges it into every language's `messages.po`; `campaign-engine
i18n check` (and the test suite) fails while the template is stale, or while any catalogue has
an untranslated, fuzzy, English-only or badly formatted entry, or does not compile.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from campaign_engine.i18n import DOMAIN, LOCALES, SOURCE_LOCALE, babel_locale, catalogue_name

PROJECT = "campaign-engine"
# A translator's comment that marks a translation identical to the English on purpose.
SAME_ON_PURPOSE = "same as English on purpose"
_PLACEHOLDER = re.compile(r"%\([^)]*\)[sd]")
LINE_WIDTH = 100


def template_path(home: Path) -> Path:
    return home / "locales" / f"{DOMAIN}.pot"


def catalogue_path(home: Path, tag: str) -> Path:
    return home / "locales" / catalogue_name(tag) / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract(home: Path) -> Catalog:
    """Every translatable string in the code and the templates, as a fresh template."""
    with (home / "locales" / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    template = Catalog(project=PROJECT, charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        home, method_map, options_map, directory_filter=lambda path: ".data" not in path
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        # No file locations: they change with every edit and would make every diff noisy.
        write_po(file, catalog, width=LINE_WIDTH, no_location=True, sort_output=True)


def _read(path: Path, tag: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=babel_locale(tag) if tag else None, domain=DOMAIN)


def write_template(home: Path) -> None:
    _write(extract(home), template_path(home))


def update_catalogues(home: Path) -> None:
    """Merge the template into each language: new strings appear empty, changed ones fuzzy."""
    template = _read(template_path(home))
    for tag in LOCALES:
        if tag == SOURCE_LOCALE:
            continue
        path = catalogue_path(home, tag)
        catalogue = (
            _read(path, tag)
            if path.exists()
            else Catalog(locale=babel_locale(tag), domain=DOMAIN, project=PROJECT, fuzzy=False)
        )
        catalogue.update(template, update_creation_date=False)
        catalogue.obsolete.clear()  # removed strings leave with the code that used them
        _write(catalogue, path)


def _keys(catalog: Catalog) -> set[tuple[object, str | None]]:
    return {(message.id, message.context) for message in catalog if message.id}


def problems(home: Path) -> list[str]:
    """Everything that stops the catalogues from being complete and current; empty if none."""
    found = []
    extracted, committed = extract(home), _read(template_path(home))
    if _keys(extracted) != _keys(committed):
        found.append("locales/messages.pot is stale: run `campaign-engine i18n extract`")
    for tag in LOCALES:
        if tag == SOURCE_LOCALE:
            continue
        path = catalogue_path(home, tag)
        if not path.exists():
            found.append(f"{tag}: no catalogue at {path.relative_to(home)}")
            continue
        found.extend(
            f"{tag}: {problem}" for problem in _catalogue_problems(_read(path, tag), committed)
        )
    return found


def _catalogue_problems(catalogue: Catalog, template: Catalog) -> list[str]:
    found = []
    if _keys(catalogue) != _keys(template):
        found.append("out of date with messages.pot: run `campaign-engine i18n update`")
    for message in catalogue:
        if not message.id:
            continue
        found.extend(f"{_shown(message)}: {problem}" for problem in _message_problems(message))
    for message, errors in catalogue.check():
        found.extend(f"{_shown(message)}: {error}" for error in errors)
    try:
        write_mo(io.BytesIO(), catalogue)
    except Exception as error:  # anything that stops compiling is a problem to report
        found.append(f"does not compile: {error}")
    return found


def _message_problems(message: Message) -> list[str]:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
    if message.fuzzy:
        return ["fuzzy: a translator must check it"]
    if not all(strings):
        return ["not translated"]
    deliberate = any(SAME_ON_PURPOSE in comment for comment in message.user_comments)
    if not deliberate and any(s in ids for s in strings) and _has_words(ids[0]):
        return [f'still in English (if that is right, add the comment "# {SAME_ON_PURPOSE}")']
    return []


def _has_words(text: str) -> bool:
    """False for a message that is only placeholders and punctuation, like "%(date)s (%(when)s)"."""
    return any(c.isalpha() for c in _PLACEHOLDER.sub("", text))


def _shown(message: Message) -> str:
    first = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return repr(first[:60])
