"""Alerts by text (docs/network.md, "Texts"): a member's mobile number, its double opt-in by
text, and what a text from it to our number means.

A member gives a number on their own page (reached through their email, so the address is
proven already), ticking the sentence that goes with it. Nothing is sent to the number but
one text asking it to answer YES, and at most ASKS_PER_DAY of those a day: a member cannot
make us text a stranger more than that. Only the YES from the number itself makes it theirs
to text; its consent is recorded then, with the wording they ticked. A number texts for one
member at a time.

Then the campaigner's most urgent alerts go to it too, and a YES to one signs the action
(text_answers.py). STOP stops every text to the number, as before; stopping texts on their
page or leaving the network forgets the number.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.network import members
from campaign_engine.db.personal import member_phones, recipients
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.signing import consent
from campaign_engine.domain.delivery.sms_budget import SmsPolicy, refusal
from campaign_engine.domain.doorbells import Doorbells, committed_then_rung
from campaign_engine.domain.signing.consent import shown_consent, wording_id
from campaign_engine.i18n import LOCALES, Catalogues
from campaign_engine.jobs import JobQueue
from campaign_engine.models.network import MemberStatus, TextsStatus
from campaign_engine.models.signing import ConsentScope
from campaign_engine.security.tokens import Tokens

# Texts asking for a YES, per member and day: enough to fix a typo, too few to harass anyone.
ASKS_PER_DAY = 3
ASKED_OVER = timedelta(days=1)
# Where a consent to texts, or its withdrawal, came from, as the evidence records it.
STOPPED_ON_PAGE = "network_link"
# The word a member texts back to say yes, as each catalogue says it (the alert tells it).
YES_CONTEXT = "texted answer"
YES = "YES"


class TextsChange(enum.StrEnum):
    ASKED = "asked"  # kept, and a text asks the number for its YES (unless it must not)
    TOO_MANY = "too_many"  # enough asks today: nothing changed
    KEPT = "kept"  # nothing changed
    STOPPED = "stopped"  # the number was forgotten


@dataclass(frozen=True)
class TextsChoice:
    """What a member chose on their page: texts or not, and the number (None: keep it)."""

    wanted: bool
    phone: str | None  # E.164, checked by the page


async def choose_texts(
    pool: Pool,
    queue: JobQueue,
    clock: Clock,
    tokens: Tokens,
    supporter_id: UUID,
    choice: TextsChoice,
) -> TextsChange:
    """Keep an active member's choice about texts. A new number (or one still waiting for its
    YES, given again) is asked for its YES, at most ASKS_PER_DAY times a day: past that the
    choice is not kept, so that it can be made again tomorrow."""
    if not choice.wanted:
        return await stop_texts(pool, supporter_id, STOPPED_ON_PAGE)
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        membership = await members.get_membership(conn, supporter_id)
        if membership is None or membership.status is not MemberStatus.ACTIVE:
            return TextsChange.KEPT  # not a member (yet): their page says yes first
        held = await member_phones.get_member_phone(conn, supporter_id)
        if choice.phone is None:
            return TextsChange.KEPT
        if held is not None and held[0] == choice.phone and membership.texts is TextsStatus.ACTIVE:
            return TextsChange.KEPT
        if await member_phones.count_recent_asks(conn, supporter_id, ASKED_OVER) >= ASKS_PER_DAY:
            return TextsChange.TOO_MANY
        text_id = await wording_id(conn, shown_consent(ConsentScope.NETWORK_TEXTS))
        now = clock.now()
        phone_key = tokens.phone_key(choice.phone)
        await member_phones.ask_for_texts(conn, supporter_id, choice.phone, phone_key, text_id, now)
        await _ask(conn, doorbells, supporter_id, phone_key, now)
        return TextsChange.ASKED


async def _ask(
    conn: Connection, doorbells: Doorbells, supporter_id: UUID, phone_key: bytes, now: datetime
) -> None:
    """The text asking for a YES, unless the number texted STOP or receives texts for another
    member already: then nothing goes to it, and the page says the same (it tells nobody
    what a number is to us)."""
    if await recipients.is_opted_out(conn, phone_key):
        return
    if await member_phones.is_texting_elsewhere(conn, supporter_id, phone_key):
        return
    delivery_id = await member_phones.insert_ask(conn, supporter_id, now)
    if delivery_id is not None:
        doorbells.delivery(delivery_id)


async def stop_texts(pool: Pool, supporter_id: UUID, source: str) -> TextsChange:
    """The number forgotten; a consent given by its YES withdrawn on the record."""
    async with pool.acquire() as conn, conn.transaction():
        return await forget_number(conn, supporter_id, source)


async def forget_number(conn: Connection, supporter_id: UUID, source: str) -> TextsChange:
    """In the caller's transaction (leaving the network forgets the number too)."""
    stopped = await member_phones.stop_texts(conn, supporter_id)
    if stopped is None:
        return TextsChange.KEPT
    was, text_id = stopped
    if was == TextsStatus.ACTIVE:
        await consent.insert_consent_answer(
            conn, supporter_id, ConsentScope.NETWORK_TEXTS, text_id, source, granted=False
        )
    return TextsChange.STOPPED


def can_text(policy: SmsPolicy, phone: str) -> bool:
    """A number the sender would text: a mobile one, in a country texts may go to."""
    return refusal(policy, phone) is None


def number_ends(phone: str) -> str:
    """What a page may show of a number: its last two digits (the link may be forwarded)."""
    return phone[-2:]


def normalised_word(text: str) -> str:
    """A texted word as compared: no case, no accents, no punctuation or spaces around it."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.strip(" \t\r\n.!?¡¿,;:'\"،؟。！？")


def yes_words(catalogues: Catalogues) -> frozenset[str]:
    """Every language's word for YES, normalised: a member may answer in any of them."""
    words = {normalised_word(YES)}
    for tag in LOCALES:
        words.add(normalised_word(catalogues.translations(tag).pgettext(YES_CONTEXT, YES)))
    return frozenset(words)


# --- Texts to the number ----------------------------------------------------------------------


@dataclass(frozen=True)
class AskText:
    """The text asking a member's number to answer YES, in the language they joined in."""

    delivery_id: UUID
    to: str
    locale: str


async def ask_message(pool: Pool, delivery_id: UUID) -> AskText | str | None:
    """What to send, why nothing is to be sent any more, or None when the member is gone."""
    async with pool.acquire() as conn:
        found = await member_phones.get_ask_recipient(conn, delivery_id)
    if found is None:
        return None
    if found.member_status != MemberStatus.ACTIVE:
        return "they left the network before it went"
    if found.phone is None or found.texts != TextsStatus.PENDING:
        return "the number answered already, or was taken back"
    if found.stopped:
        return "the number texted STOP"
    return AskText(delivery_id, found.phone, found.locale)


@dataclass(frozen=True)
class TextsOn:
    """The email telling a member their number now receives texts."""

    supporter_id: UUID
    email: str
    locale: str  # the language they joined in
    digits: str  # the number's last digits


async def texts_on_message(pool: Pool, delivery_id: UUID) -> TextsOn | str | None:
    """What to send, why nothing is to be sent any more, or None when the member is gone."""
    async with pool.acquire() as conn:
        found = await member_phones.get_texts_on_recipient(conn, delivery_id)
    if found is None:
        return None
    if found.member_status != MemberStatus.ACTIVE:
        return "they left the network before it went"
    if found.member_phone is None or found.texts != TextsStatus.ACTIVE:
        return "they stopped texts before it went"
    return TextsOn(found.supporter_id, found.email, found.locale, number_ends(found.member_phone))
