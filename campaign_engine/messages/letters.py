"""A supporter's own letters on paper (templates/pdf/letters.typ, typeset by
messages/typesetting.py): one to each official, in the language the official reads (the
letter their appeal by email would carry), opened with their salutation, from the name and
country the supporter typed (and the address, if they gave one: it is printed, never kept);
the date in the letter's language; how to post it abroad; and, when the letter is in another
language than the supporter's, a page with it in theirs, to read and keep."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date

from campaign_engine.domain.campaigns.case_sheets import Letters
from campaign_engine.formats.countries import country_name
from campaign_engine.formats.versions import versioned
from campaign_engine.i18n import Catalogues, _, active
from campaign_engine.messages.case_sheets import PAPERS, salutation
from campaign_engine.messages.typesetting import directed, region_of, typesetter
from campaign_engine.models.campaigns import LetterTarget

TEMPLATE = Path("pdf") / "letters.typ"


@dataclass(frozen=True)
class Sender:
    """Whom the letters are from, as the supporter typed it for them alone."""

    name: str
    country: str  # ISO 3166-1 alpha-2
    address: tuple[str, ...]  # its lines; () when they gave none


async def compose_letters(
    templates_dir: Path,
    catalogues: Catalogues,
    letters: Letters,
    sender: Sender,
    paper: str,
    today: datetime,
    versions: int | None = None,
) -> bytes:
    data = letters_data(catalogues, letters, sender, paper, today, versions)
    return await typesetter(templates_dir / TEMPLATE).pdf(data)


def letters_data(
    catalogues: Catalogues,
    letters: Letters,
    sender: Sender,
    paper: str,
    today: datetime,
    versions: int | None = None,
) -> dict[str, Any]:
    """What the template says, as JSON; the supporter's own words in the active language.
    `versions`: which versions of a letter written in versions each takes (formats/versions.py);
    None, by chance, so that letters posted by many people do not read alike."""
    locale = active().babel
    combination = secrets.randbits(64) if versions is None else versions
    return {
        "paper": PAPERS[paper],
        "lang": locale.language,
        "region": region_of(locale),
        "code": letters.page.code,
        "sender": {"name": directed([sender.name])[0], "address": directed(sender.address)},
        "letters": [
            _letter(catalogues, letters, target, sender, today, combination)
            for target in letters.targets
        ],
        "labels": {
            "yours_title": _("The same letter in your language"),
            "yours_hint": _("To read and keep: post the letter on the page before."),
        },
    }


def _letter(
    catalogues: Catalogues,
    letters: Letters,
    target: LetterTarget,
    sender: Sender,
    today: datetime,
    combination: int,
) -> dict[str, Any]:
    written_in = Locale.parse(target.letter_locale, sep="-")
    page = letters.page
    letter = versioned(target.letter_subject, target.letter_body).written(combination)
    theirs = versioned(page.letter_subject, page.letter_body).written(combination)
    yours = (
        None
        if target.letter_locale == page.locale
        else {"subject": theirs.subject, "body": list(theirs.paragraphs)}
    )
    return {
        "lang": written_in.language,
        "region": region_of(written_in),
        "name": target.name,
        "title": target.title,
        "organisation": target.organisation,
        "address": directed(target.postal_address.split("\n")),
        "date": format_date(today, format="long", locale=written_in),
        "sender_country": country_name(sender.country, target.letter_locale),
        "subject": letter.subject,
        "salutation": salutation(catalogues, target.name, target.salutations, target.letter_locale),
        "body": list(letter.paragraphs),
        "hints": _posting_hints(target) + _copy_hints(letters),
        "yours": yours,
    }


def _copy_hints(letters: Letters) -> list[dict[str, Any]]:
    """Whom the action asks to receive a copy (a diplomat, usually): the words in the
    supporter's language, then the recipient on one line, set in its own direction."""
    return [
        {
            "text": _("Post a copy to:"),
            "run": directed(
                [
                    _one_line(copy.name, copy.title, copy.organisation),
                    _one_line(*copy.postal_address.split("\n")),
                ]
            ),
        }
        for copy in letters.copies
    ]


def _one_line(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


def _posting_hints(target: LetterTarget) -> list[dict[str, Any]]:
    """How to post it, in the supporter's language."""
    return [{"text": hint, "run": []} for hint in _posting_words(target)]


def _posting_words(target: LetterTarget) -> list[str]:
    hints = [_("Post it as an international letter, by air mail: the post office says the stamp.")]
    if not target.postal_address:
        hints.append(_("We have no postal address for this official: send it by email instead."))
    elif target.country:
        there = country_name(target.country, target.preferred_locale)
        here = country_name(target.country, active().tag)
        hints.append(
            _("Copy the address as printed, with the country last: %(there)s (%(here)s).")
            % {"there": there, "here": here}
        )
    return hints
