"""What comes back: providers' reports on what we sent, texts to our number (keywords,
members' YES, officials' replies), and mail to our relay address (officials' replies and
bounce reports).

Officials' replies join their case's timeline, unpublished until a campaigner decides. A
report or a message that arrives twice (providers retry webhooks) changes nothing the second
time: replies are recorded once per provider id, and status changes apply only where they
still make sense.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import cases
from campaign_engine.db.delivery import appeals, deliveries
from campaign_engine.db.personal import member_phones, recipients
from campaign_engine.db.pool import Pool
from campaign_engine.db.targets import targets
from campaign_engine.domain.network.text_answers import (
    YesAnswer,
    YesMeant,
    answer_yes,
    forget_stopped_number,
)
from campaign_engine.domain.network.texts import normalised_word
from campaign_engine.i18n import SOURCE_LOCALE
from campaign_engine.jobs import JobQueue
from campaign_engine.messages.inbound_mail import UnreadableMail, read_inbound
from campaign_engine.models.campaigns import NewCaseEvent
from campaign_engine.security.tokens import Tokens

log = logging.getLogger(__name__)

# Twilio's standard keywords (its Advanced Opt-Out acts on the same ones).
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Delivery failures that say the number itself is wrong, or that texts to it are blocked.
_NUMBER_FAILURES = frozenset({"30003", "30004", "30005", "30006", "21610"})


async def record_text_status(
    pool: Pool,
    clock: Clock,
    delivery_id: UUID,
    provider_id: str | None,
    status: str,
    error_code: str | None,
) -> None:
    """Twilio's status callback for one of our texts."""
    async with pool.acquire() as conn:
        if status == "delivered":
            await deliveries.mark_delivered(conn, delivery_id, clock.now(), provider_id)
        elif status in ("queued", "accepted", "sending", "sent"):
            await deliveries.mark_accepted(conn, delivery_id, clock.now(), provider_id)
        elif status in ("failed", "undelivered"):
            marked, contact_id = await deliveries.mark_returned(
                conn, delivery_id, "failed", f"Twilio {status} {error_code or ''}".strip()
            )
            if marked and contact_id is not None and error_code in _NUMBER_FAILURES:
                status_of_number = "blocked" if error_code in ("21610", "30004") else "bouncing"
                await targets.set_contact_status(conn, contact_id, status_of_number)


@dataclass(frozen=True)
class IncomingText:
    """A text to our number, as Twilio hands it over (signed)."""

    sender: str  # E.164
    body: str
    provider_id: str


class TextKind(enum.StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    YES = "yes"  # a member's YES: their number's opt-in, or an alert answered (network/texts)
    REPLY = "reply"  # from an official, now on the case's timeline
    OTHER = "other"


@dataclass(frozen=True)
class ReceivedText:
    kind: TextKind
    locale: str  # the language to answer in, when there is an answer
    answer: YesAnswer | None = None  # what a member's YES did


async def receive_text(
    pool: Pool,
    queue: JobQueue,
    tokens: Tokens,
    clock: Clock,
    text: IncomingText,
    yes_words: frozenset[str],
) -> ReceivedText:
    """A text to our number: a keyword, a member's YES (in any of our languages), or an
    official's reply."""
    keyword = text.body.strip().upper()
    sender, body, provider_id = text.sender, text.body, text.provider_id
    phone_key = tokens.phone_key(sender)
    if normalised_word(body) in yes_words and keyword not in STOP_WORDS | HELP_WORDS:
        if keyword in START_WORDS:  # the provider's own opt-in word: it lifts a STOP too
            async with pool.acquire() as conn:
                await recipients.opt_in_phone(conn, phone_key)
        answer = await answer_yes(pool, queue, clock, phone_key, SOURCE_LOCALE)
        if answer.meant is not YesMeant.NOT_A_MEMBER:
            return ReceivedText(TextKind.YES, answer.locale, answer)
    async with pool.acquire() as conn, conn.transaction():
        officials = await targets.find_targets_at(conn, "sms", sender)
        texters = [] if officials else await member_phones.list_texters(conn, phone_key)
        locale = (
            officials[0].preferred_locale
            if officials
            else texters[0].locale
            if texters
            else SOURCE_LOCALE
        )
        if keyword in STOP_WORDS:
            await recipients.opt_out_phone(conn, phone_key, clock.now())
            await targets.set_status_at(conn, "sms", sender, "blocked", replacing=("ok",))
            await forget_stopped_number(conn, phone_key)
            return ReceivedText(TextKind.STOP, locale)
        if keyword in START_WORDS:
            await recipients.opt_in_phone(conn, phone_key)
            await targets.set_status_at(conn, "sms", sender, "ok", replacing=("blocked",))
            return ReceivedText(TextKind.START, locale)
        if keyword in HELP_WORDS:
            return ReceivedText(TextKind.HELP, locale)
        for official in officials:
            answered = await deliveries.get_last_appeal_to(conn, official.contact_id)
            if answered is None:
                continue
            case_id, action_id = answered
            await cases.insert_case_event(
                conn,
                NewCaseEvent(
                    case_id=case_id,
                    kind="reply",
                    occurred_at=clock.now(),
                    body=body,
                    channel="sms",
                    target_id=official.target_id,
                    action_id=action_id,
                    sender=sender,
                    source_ref=f"twilio:{provider_id}",
                ),
            )
            return ReceivedText(TextKind.REPLY, locale)
    return ReceivedText(TextKind.OTHER, locale)


async def receive_email(pool: Pool, clock: Clock, relay_email: str, raw: bytes) -> str:
    """Mail forwarded to us; returns what it was: "reply", "bounce", "sent by supporter" or
    "ignored"."""
    try:
        # Up to 25 MB of parsing takes a second or so: not on the loop every request shares.
        inbound = await asyncio.to_thread(read_inbound, raw, relay_email)
    except UnreadableMail as unreadable:
        # The provider delivered a message correctly; it is the message we will not read (too
        # deep, too many parts, headers the parser cannot take). "ignored" says so and stops
        # the provider's retries, which could never turn out differently. The log says what
        # was wrong, never what the message said.
        log.warning("inbound mail ignored: %s", unreadable.reason)
        return "ignored"
    async with pool.acquire() as conn, conn.transaction():
        if inbound.sent_by_supporter is not None:
            # The blind copy of an appeal the supporter sent from their own mailbox: the relay
            # does not send it again. Its tag is the appeal's random id, shown to them alone.
            await appeals.mark_sent_by_supporter(conn, inbound.sent_by_supporter, clock.now())
            return "sent by supporter"
        for bounce in inbound.bounces:
            if not bounce.permanent:
                continue  # a delay notice: the server is still trying
            marked, contact_id = await deliveries.mark_returned(
                conn, bounce.delivery_id, "bounced", f"bounced {bounce.status}"
            )
            if marked and contact_id is not None:
                await targets.set_contact_status(conn, contact_id, "bouncing")
        if inbound.bounces:
            return "bounce"
        reply = inbound.reply
        context = (
            None if reply is None else await deliveries.get_case_context(conn, reply.delivery_id)
        )
        if reply is None or context is None:
            return "ignored"
        case_id, action_id, target_id = context
        await cases.insert_case_event(
            conn,
            NewCaseEvent(
                case_id=case_id,
                kind="reply",
                occurred_at=clock.now(),
                body=reply.text,
                channel="email",
                target_id=target_id,
                action_id=action_id,
                sender=reply.sender,
                subject=reply.subject,
                source_ref=f"email:{reply.message_id or reply.delivery_id}",
            ),
        )
        return "reply"
