"""Sending an update: the fan-out that writes one delivery per supporter and channel, its
resumption when it stalls, and, just before each send, what the message says and whether it
is still wanted.

Exactly once: the deliveries' unique index admits one update per (event, supporter, channel),
so a second fan-out, a resumed one or two racing write nothing twice; each batch records the
last supporter it reached in its own transaction; and the outbox (`domain/delivery/deliveries.py`)
sends each row once, retrying under the same Message-ID.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import updates
from campaign_engine.db.personal import recipients as personal_recipients
from campaign_engine.db.personal.recipients import UpdateRecipient
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.campaigns.updates import message_locale
from campaign_engine.domain.doorbells import fan_out_in_batches
from campaign_engine.i18n import SOURCE_LOCALE, is_supported
from campaign_engine.jobs import JobQueue
from campaign_engine.links import absolute_url
from campaign_engine.models.campaigns import CaseEventKind, EventContent, Outcome
from campaign_engine.models.delivery import Delivery
from campaign_engine.models.signing import ConsentScope
from campaign_engine.security.tokens import Tokens

log = logging.getLogger(__name__)

# Supporters per statement: large enough that 20,000 take ten round trips, small enough that
# each transaction holds its locks for a moment only.
FAN_OUT_BATCH = 2000
# A fan-out touches its send after every batch (a second or so); one silent for this long
# lost its job or its worker, and the sweeper asks for it again.
STALLED_AFTER = timedelta(minutes=1)


async def fan_out_mailing(
    pool: Pool,
    queue: JobQueue,
    tokens: Tokens,
    clock: Clock,
    mailing_id: int,
    *,
    batch_size: int = FAN_OUT_BATCH,
    max_batches: int | None = None,
) -> int:
    """Write the deliveries of a send, a batch at a time from where it stopped, and wake the
    senders after each batch. Returns how many deliveries it wrote. `max_batches` stops early
    (the tests' crash)."""
    return await fan_out_in_batches(
        pool,
        queue,
        lambda conn: _fan_out_batch(conn, tokens, clock, mailing_id, batch_size),
        max_batches,
    )


async def _fan_out_batch(
    conn: Connection, tokens: Tokens, clock: Clock, mailing_id: int, batch_size: int
) -> tuple[list[UUID], bool]:
    """(deliveries created, whether more may follow)."""
    state = await updates.lock_unfinished_mailing(conn, mailing_id)
    if state is None:  # finished, by this job earlier or by another
        return [], False
    event_id, case_id, reached = state
    audience, emails = await updates.insert_email_batch(
        conn, case_id, event_id, reached, batch_size
    )
    texts = await _insert_texts(conn, tokens, event_id, audience)
    if audience:
        await updates.advance_mailing(
            conn, mailing_id, audience[-1], len(emails), len(texts), clock.now()
        )
    if len(audience) < batch_size:
        await updates.finish_mailing(conn, mailing_id, clock.now())
        return emails + texts, False
    return emails + texts, True


async def _insert_texts(
    conn: Connection, tokens: Tokens, event_id: int, audience: list[UUID]
) -> list[UUID]:
    """Texts for those of the batch who agreed to them, each number checked against STOP by
    its keyed hash (the database holds no other form of a number that stopped)."""
    if not audience:
        return []
    phones = await personal_recipients.list_text_phones(conn, audience)
    keyed = [(supporter_id, tokens.phone_key(phone)) for supporter_id, phone in phones]
    return await updates.insert_text_batch(conn, event_id, keyed)


async def resume_stalled_mailings(pool: Pool, queue: JobQueue, clock: Clock) -> int:
    """The sweeper's part: ask again for every fan-out that stopped before its end."""
    async with pool.acquire() as conn:
        stalled = await updates.list_stalled_mailings(conn, clock.now() - STALLED_AFTER)
    for mailing_id in stalled:
        await queue.fan_out_update(mailing_id, again=True)
    if stalled:
        log.info("resumed %d stalled update fan-outs", len(stalled))
    return len(stalled)


@dataclass(frozen=True)
class UpdateMessage:
    """One update as it leaves: to whom, and what it says in which language."""

    delivery_id: UUID
    channel: str
    to: str  # an email address, or a number in E.164
    reader_locale: str  # the words around the update: the reader's language
    locale: str  # the update's title and text: along the chain (`message_locale`)
    kind: CaseEventKind
    outcome: Outcome | None
    title: str
    body: str
    case_title: str
    case_title_locale: str
    case_url: str
    unsubscribe_url: str  # how to hear no more of it: unsubscribe, leave, or stop following
    why: str  # "signer" (asked for updates), "member" (alerted to the case) or "follower"


async def update_messages(
    pool: Pool, tokens: Tokens, base_url: str, deliveries: list[Delivery]
) -> dict[UUID, UpdateMessage | str]:
    """The messages of several update deliveries, by delivery: what to send, or why nothing
    is to be sent any more (the reader unsubscribed, texted STOP, the update was unpublished).
    A delivery whose supporter is gone is missing."""
    if not deliveries:
        return {}
    async with pool.acquire() as conn:
        recipients = await personal_recipients.list_update_recipients(
            conn, [d.id for d in deliveries]
        )
        event_ids = {r.event_id for r in recipients if r.event_id is not None}
        events = await updates.list_event_contents(conn, list(event_ids))
        keys = {r.delivery_id: tokens.phone_key(r.phone) for r in recipients if r.phone}
        stopped = (
            await personal_recipients.list_opted_out(conn, list(keys.values())) if keys else set()
        )
    return {
        r.delivery_id: _reason_not_to_send(r, events, keys.get(r.delivery_id) in stopped)
        or _message(r, events[r.event_id or 0], tokens, base_url)
        for r in recipients
    }


def _reason_not_to_send(
    recipient: UpdateRecipient, events: dict[int, EventContent], stopped: bool
) -> str | None:
    """Why this delivery must not go out now (recorded as its error: never an address)."""
    event = events.get(recipient.event_id or 0)
    if event is None:
        return "the update was deleted"
    if not event.published:
        return "the update was unpublished"
    if not event.texts:
        return "the update has no text"
    if not (recipient.wants_updates or recipient.alerted_member or recipient.follower):
        if recipient.member_locale is not None:
            return "the supporter unsubscribed, or left the network"
        return "the supporter unsubscribed"
    if recipient.channel == "sms" and not (recipient.wants_texts and recipient.phone):
        return "the supporter no longer agrees to texts"
    if recipient.channel == "sms" and stopped:
        return "the number texted STOP"
    return None


def _why(recipient: UpdateRecipient) -> str:
    """Why they receive it, the first that holds: a signer who asked for updates, a member of
    the network alerted to the case, one who follows it."""
    if recipient.wants_updates:
        return "signer"
    return "member" if recipient.alerted_member else "follower"


def _message(
    recipient: UpdateRecipient, event: EventContent, tokens: Tokens, base_url: str
) -> UpdateMessage:
    reader = recipient.locale if is_supported(recipient.locale) else SOURCE_LOCALE
    locale = message_locale(reader, event.texts, event.case_locale) or event.case_locale
    case_locale = message_locale(reader, event.case_titles, event.case_locale)
    title, body = event.texts[locale]
    # Why they receive it decides how they stop it: a signer's "no more updates"; for a member
    # alerted to the case who never said yes to updates, leaving the network; for one who
    # follows the case without signing, no longer following it.
    why = _why(recipient)
    if why == "member":
        member = tokens.network_token(recipient.supporter_id, recipient.member_locale or reader)
        unsubscribe_url = absolute_url(base_url, "network.leave_page", token=member)
    elif why == "follower":
        follow = tokens.follow_token(recipient.supporter_id, recipient.case_id or 0, reader)
        unsubscribe_url = absolute_url(base_url, "following.stop_page", token=follow)
    else:
        unsubscribe = tokens.unsubscribe_token(recipient.supporter_id, ConsentScope.UPDATES, reader)
        unsubscribe_url = absolute_url(base_url, "unsubscribe.unsubscribe_page", token=unsubscribe)
    return UpdateMessage(
        delivery_id=recipient.delivery_id,
        channel=recipient.channel,
        to=recipient.phone if recipient.channel == "sms" and recipient.phone else recipient.email,
        reader_locale=reader,
        locale=locale,
        kind=event.kind,
        outcome=event.outcome,
        title=title,
        body=body,
        case_title=event.case_titles.get(case_locale or "", event.case_slug),
        case_title_locale=case_locale or event.case_locale,
        case_url=absolute_url(base_url, "pages.case_page", locale=reader, slug=event.case_slug),
        unsubscribe_url=unsubscribe_url,
        why=why,
    )
