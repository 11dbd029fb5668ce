"""A YES texted to our number (docs/network.md, "Texts"): from a member's number that waits
for it, the number's double opt-in (and an email telling the member); in answer to an alert
by text (the latest, within ANSWERED_FOR), the alert's action signed with the name, country
and choice to stay unnamed of the member's latest signature, through the one-click act's own
verb (domain/signing/one_click.py): the number was proven as the address was. From any other
number, nothing of ours: the provider's START. And a STOP, which no member's number survives.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.network import alerts
from campaign_engine.db.personal import acting, member_phones
from campaign_engine.db.personal.member_phones import Texter
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.signing import consent
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.domain.errors import ActionClosed, ActionNotFound, ActionRemoved
from campaign_engine.domain.network.alerts import alert_locale
from campaign_engine.domain.signing.one_click import (
    ActFields,
    NotAMember,
    SignatureWithdrawn,
    sign_as_member,
)
from campaign_engine.jobs import JobQueue
from campaign_engine.models.network import MemberStatus, TextsStatus
from campaign_engine.models.signing import ConsentScope, SignatureStatus

# How long an alert by text can be answered YES: past a week it is no longer urgent news, and
# a YES then most likely answers something else.
ANSWERED_FOR = timedelta(days=7)
# Where a consent to texts given by its YES came from, as the evidence records it.
SAID_YES_BY_TEXT = "network_text"
STOPPED_BY_TEXT = "stop"


class YesMeant(enum.StrEnum):
    TEXTS_ON = "texts_on"  # the number's double opt-in: it now texts for its member
    SIGNED = "signed"  # an alert answered: the action signed
    SIGNED_BEFORE = "signed_before"  # an alert answered, but they had signed it
    SIGN_BY_LINK = "sign_by_link"  # an alert answered, but no name to sign with: the link asks
    NOTHING = "nothing"  # a member's number, with nothing waiting for a YES
    GIVEN_BY_SEVERAL = "given_by_several"  # waiting for a YES from more than one member
    NOT_A_MEMBER = "not_a_member"  # no member's number: the provider's own START


@dataclass(frozen=True)
class YesAnswer:
    meant: YesMeant
    locale: str  # the language to answer in: the alert's, for an alert answered
    title: str | None = None  # the action signed, in the language of its alert


async def answer_yes(
    pool: Pool, queue: JobQueue, clock: Clock, phone_key: bytes, fallback_locale: str
) -> YesAnswer:
    """What a YES from this number means, done. A number texting for a member answers their
    latest alert (within ANSWERED_FOR), which signs its action, and nothing else: a YES never
    moves it to another member. A number waiting for its YES starts texting for the one member
    who gave it; given by several (someone typed another's number), it is given to none and
    forgotten by all, so that a YES never hands a phone to whoever typed it last."""
    async with pool.acquire() as conn:
        texters = await member_phones.list_texters(conn, phone_key)
    active = [t for t in texters if t.texts == TextsStatus.ACTIVE]
    pending = [
        t
        for t in texters
        if t.texts == TextsStatus.PENDING and t.member_status == MemberStatus.ACTIVE
    ]
    if active:
        return await _answer_alert(pool, queue, clock, active[0])
    if len(pending) == 1:
        await _start_texts(pool, queue, clock, pending[0], phone_key)
        return YesAnswer(YesMeant.TEXTS_ON, pending[0].locale)
    if pending:
        async with pool.acquire() as conn, conn.transaction():
            await member_phones.forget_number_everywhere(conn, phone_key)
        return YesAnswer(YesMeant.GIVEN_BY_SEVERAL, pending[0].locale)
    return YesAnswer(YesMeant.NOT_A_MEMBER, fallback_locale)


async def _answer_alert(pool: Pool, queue: JobQueue, clock: Clock, texter: Texter) -> YesAnswer:
    async with pool.acquire() as conn:
        action_id = await member_phones.get_answered_alert(
            conn, texter.supporter_id, clock.now() - ANSWERED_FOR
        )
    if action_id is None:
        return YesAnswer(YesMeant.NOTHING, texter.locale)
    meant, locale, title = await sign_by_text(
        pool, queue, texter.supporter_id, action_id, texter.languages
    )
    return YesAnswer(meant, locale or texter.locale, title)


async def _start_texts(
    pool: Pool, queue: JobQueue, clock: Clock, texter: Texter, phone_key: bytes
) -> None:
    """The number's YES: it texts for the member now, their consent is recorded, and an email
    tells them (with the way to stop it: the link to their page may have been forwarded, and
    a number added by someone else would sign in their name)."""
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        text_id = await member_phones.activate_texts(conn, texter.supporter_id, phone_key)
        if text_id is None:
            return  # answered already
        await consent.insert_consent_answer(
            conn,
            texter.supporter_id,
            ConsentScope.NETWORK_TEXTS,
            text_id,
            SAID_YES_BY_TEXT,
            granted=True,
        )
        told = await member_phones.insert_texts_on_email(conn, texter.supporter_id, clock.now())
        if told is not None:
            doorbells.delivery(told)


async def forget_stopped_number(conn: Connection, phone_key: bytes) -> None:
    """A STOP from the number, in the caller's transaction: no member keeps it, and the texts
    it had said yes to are withdrawn on the record (the opt-out list stops every text to it
    besides; a START lifts that, but the member gives the number again on their page)."""
    for supporter_id, text_id in await member_phones.forget_number_everywhere(conn, phone_key):
        await consent.insert_consent_answer(
            conn, supporter_id, ConsentScope.NETWORK_TEXTS, text_id, STOPPED_BY_TEXT, granted=False
        )


# Where a signature made by a texted YES is attributed, in exports and on the dashboard.
TEXT_SOURCE = "network_text"


async def sign_by_text(
    pool: Pool, queue: JobQueue, supporter_id: UUID, action_id: int, languages: list[str]
) -> tuple[YesMeant, str | None, str | None]:
    """The alert's action signed as its member, with the name, country and choice to stay
    unnamed of their latest signature; (what came of it, the alert's language, the action's
    title in it)."""
    async with pool.acquire() as conn:
        actor = await acting.get_actor(conn, supporter_id, action_id)
        contents = await alerts.list_alert_contents(conn, [action_id])
    content = contents.get(action_id)
    locale = None if content is None else alert_locale(languages, list(content.texts))
    if actor is None or content is None or locale is None:
        return YesMeant.NOTHING, None, None
    title = content.texts[locale][0]
    if actor.signature_status is SignatureStatus.CONFIRMED:
        return YesMeant.SIGNED_BEFORE, locale, title
    if actor.name is None or actor.country is None:
        return YesMeant.SIGN_BY_LINK, locale, title
    fields = ActFields(actor.name, actor.country, None, bool(actor.anonymous))
    try:
        acted = await sign_as_member(
            pool, queue, supporter_id, action_id, locale, fields, TEXT_SOURCE
        )
    except (ActionNotFound, ActionRemoved, ActionClosed, NotAMember, SignatureWithdrawn):
        return YesMeant.NOTHING, None, None
    return (YesMeant.SIGNED if acted.signed_now else YesMeant.SIGNED_BEFORE), locale, title
