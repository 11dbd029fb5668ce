"""Solidarity messages as cards for the family (docs/solidarity.md): four to an A4 page, each
in the family's language first (its translation) with the message as written below, and the
country it came from, named in the family's language. Typeset like every PDF here
(messages/typesetting.py), each text in its own direction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel import Locale

from campaign_engine.domain.campaigns.solidarity import ForTheFamily
from campaign_engine.formats.countries import country_name
from campaign_engine.i18n import Catalogues, _, active, is_supported
from campaign_engine.messages.typesetting import directed, region_of, typesetter
from campaign_engine.models.signing import ApprovedMessage

TEMPLATE = "pdf/solidarity-cards.typ"


async def compose_cards(templates_dir: Path, catalogues: Catalogues, found: ForTheFamily) -> bytes:
    return await typesetter(templates_dir / TEMPLATE).pdf(cards_data(catalogues, found))


def cards_data(catalogues: Catalogues, found: ForTheFamily) -> dict[str, Any]:
    """The cards' words: each card's own, and its heading in the family's language when we
    speak it (else the workspace's)."""
    family = found.family.family_locale
    heading_in = family if family is not None and is_supported(family) else active().tag
    with catalogues.activate(heading_in):
        labels = {
            "from": _("A message of solidarity for %(person)s") % {"person": found.family.person},
            "empty": _("No message has been approved yet."),
        }
    locale = Locale.parse(heading_in, sep="-")
    return {
        "lang": locale.language,
        "region": region_of(locale),
        "code": found.family.action_code,
        "person": found.family.person,
        "cards": [_card(message, family) for message in found.messages],
        "labels": labels,
    }


def _card(message: ApprovedMessage, family: str | None) -> dict[str, Any]:
    """The translation first when there is one; the country in the family's language."""
    texts = [(message.translation, message.translation_locale), (message.text, message.locale)]
    shown = [_text(text, tag) for text, tag in texts if text and tag]
    return {
        "texts": shown,
        "country": country_name(message.country, family or active().tag),
    }


def _text(text: str, tag: str) -> dict[str, str]:
    """A text in its language, set in the direction of its own letters: a message may be in
    another language than the page it was written on."""
    language = Locale.parse(tag, sep="-")
    [line] = directed([text])
    return {
        "text": text,
        "lang": language.language,
        "region": region_of(language) or "",
        "dir": line["dir"],
    }
