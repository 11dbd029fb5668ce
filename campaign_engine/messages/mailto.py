"""An appeal the supporter sends from their own mailbox (docs/letters.md): a mailto link to
the official with the letter in the official's language, signed with the supporter's name,
and a blind copy to our relay tagged with the appeal, so its arrival marks the appeal as sent
by them. The words are in `templates/mailto/appeal.txt`.

Mail programs take only so much from a link: Outlook and older browsers cut a link past about
2,000 characters, and a letter in Arabic or Chinese grows six- to ninefold once
percent-encoded. A letter that does not fit loses its last paragraphs from the link (an
ellipsis says so), and the page offers the whole letter to paste."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote
from uuid import UUID

from campaign_engine.domain.delivery.appeals import AppealLetter
from campaign_engine.formats.countries import country_name
from campaign_engine.formats.versions import paragraph_versions
from campaign_engine.messages.emails import MessageTemplates
from campaign_engine.settings import Settings

MAX_MAILTO = 2000  # characters of the whole link
TEMPLATE = "mailto/appeal.txt"


@dataclass(frozen=True)
class MailtoLetter:
    to_name: str
    locale: str  # the letter's language
    href: str
    text: str  # the whole letter, to paste where the link could not carry it all
    complete: bool  # the link carries the whole letter


def sent_copy_address(settings: Settings, delivery_id: UUID) -> str:
    """`replies+sent-<appeal>@example.org`: the blind copy that marks the appeal as sent by
    the supporter (domain/delivery/inbound.py)."""
    local, _at, domain = settings.relay_email.partition("@")
    return f"{local}+sent-{delivery_id}@{domain}"


def mailto_letter(
    templates: MessageTemplates, settings: Settings, letter: AppealLetter
) -> MailtoLetter:
    paragraphs = [versions[0] for versions in paragraph_versions(letter.body)]
    context: dict[str, object] = {
        "salutation": letter.salutation,
        "to_name": letter.to_name,
        "comment": letter.comment,
        "signer_name": letter.signer_name,
        "country": country_name(letter.signer_country, letter.locale),
    }
    whole = templates.text(TEMPLATE, letter.locale, {**context, "paragraphs": paragraphs})
    bcc = sent_copy_address(settings, letter.delivery_id)
    # The whole letter; then fewer paragraphs; then without the signer's own message; at last
    # no body at all (the page offers the letter whole to paste).
    tries = [(kept, letter.comment) for kept in range(len(paragraphs), -1, -1)]
    tries += [(0, None)] if letter.comment else []
    for kept, comment in tries:
        shown = paragraphs[:kept] + (["…"] if kept < len(paragraphs) else [])
        body = templates.text(
            TEMPLATE, letter.locale, {**context, "comment": comment, "paragraphs": shown}
        )
        href = _href(letter.to_address, bcc, letter.subject, body)
        if len(href) <= MAX_MAILTO:
            complete = kept == len(paragraphs) and comment == letter.comment
            return MailtoLetter(letter.to_name, letter.locale, href, whole, complete)
    href = _href(letter.to_address, bcc, letter.subject, "")
    return MailtoLetter(letter.to_name, letter.locale, href, whole, complete=False)


def _href(to: str, bcc: str, subject: str, body: str) -> str:
    """RFC 6068: every field percent-encoded as UTF-8, line breaks as CRLF."""

    def encoded(text: str) -> str:
        return quote(text.replace("\r\n", "\n").replace("\n", "\r\n"), safe="")

    fields = f"bcc={encoded(bcc)}&subject={encoded(subject)}&body={encoded(body)}"
    return f"mailto:{quote(to, safe='@')}?{fields}"
