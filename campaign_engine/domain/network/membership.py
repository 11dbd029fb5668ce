"""Joining the Urgent Action Network, changing what one hears about, and leaving it.

Joining is double opt-in: the form asks, an email goes to the address, and only the owner of
the mailbox, on the page that email links to, says yes. Until then nothing is recorded as
consent and nothing is sent but that one email (three a day at most, whoever asks). The form
answers the same whether the address is new, pending or already a member: it tells nobody who
is in the network. An active member's request sends them a link to their preferences instead,
and changes nothing: a stranger cannot rewrite what a member chose.

The link in every network email (`Tokens.network_token`) is the member's key to their
preferences and to leaving; it names a supporter, never an address, and does not expire, like
an unsubscribe link (a member must be able to leave from an alert years old).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.network import alerts, growth, members
from campaign_engine.db.personal import member_phones, recipients, supporters
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.signing import consent
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.domain.network.texts import forget_number, number_ends
from campaign_engine.domain.signing.consent import shown_consent, wording_id
from campaign_engine.domain.signing.supporters import canonical_email
from campaign_engine.jobs import JobQueue
from campaign_engine.models.network import Membership, NetworkOverview, Preferences
from campaign_engine.models.signing import ConsentScope

# The period the network's page tells what the alerts brought.
OUTCOMES_OVER = timedelta(days=30)
# The months its growth is shown over, this one included.
GROWTH_MONTHS = 12
# Joining emails per address and day, whoever asks: enough to retry, too few to annoy.
JOIN_EMAILS_PER_DAY = 3
# Where a consent or its withdrawal came from, as the evidence records it.
JOINED_THROUGH_LINK = "network_link"
LEFT_THROUGH_LINK = "network_link"
LEFT_IN_ONE_CLICK = "one_click"


@dataclass(frozen=True)
class JoinRequest:
    email: str
    locale: str  # the language of the form: the network's emails to them speak it
    preferences: Preferences


async def ask_to_join(pool: Pool, queue: JobQueue, clock: Clock, request: JoinRequest) -> None:
    """Someone asked, with this address, to join: an email goes to it. The consent wording is
    the active language's, as the form showed it."""
    shown = shown_consent(ConsentScope.NETWORK)
    now = clock.now()
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        supporter_id = await _supporter(conn, request)
        text_id = await wording_id(conn, shown)
        await members.request_membership(
            conn, supporter_id, request.locale, request.preferences, text_id, now
        )
        sent = await members.count_recent_join_emails(conn, supporter_id, timedelta(days=1))
        if sent >= JOIN_EMAILS_PER_DAY:
            return
        delivery_id = await members.insert_join_email(conn, supporter_id, now)
        if delivery_id is not None:
            doorbells.delivery(delivery_id)


async def _supporter(conn: Connection, request: JoinRequest) -> UUID:
    canonical = canonical_email(request.email)
    for _try in range(2):  # None once: made by another request this very moment
        found = await supporters.find_or_make_supporter(
            conn, request.email, canonical, request.locale
        )
        if found is not None:
            return found
    raise RuntimeError("a supporter neither found nor made")


async def join_on_confirmation(conn: Connection, signature_id: UUID) -> None:
    """A signature just confirmed: its signer joins if they ticked the network's box on the
    signing form (the confirmation proved the address; no joining email is needed)."""
    await members.join_on_confirmation(conn, signature_id)


async def membership(pool: Pool, supporter_id: UUID) -> Membership | None:
    """Their membership, with the last digits of the number they gave for texts, if any."""
    async with pool.acquire() as conn:
        found = await members.get_membership(conn, supporter_id)
        phone = await member_phones.get_member_phone(conn, supporter_id) if found else None
    if found is None or phone is None:
        return found
    return replace(found, number_ends=number_ends(phone[0]))


async def say_yes(pool: Pool, clock: Clock, supporter_id: UUID) -> bool:
    """The owner of the mailbox joins, through the link we sent there: their consent is
    recorded now, with the wording they ticked. False when there was nothing to say yes to
    (a member already, left, or erased)."""
    async with pool.acquire() as conn, conn.transaction():
        text_id = await members.activate_member(conn, supporter_id, clock.now())
        if text_id is None:
            return False
        await consent.insert_consent_answer(
            conn, supporter_id, ConsentScope.NETWORK, text_id, JOINED_THROUGH_LINK, granted=True
        )
    return True


async def change_preferences(pool: Pool, supporter_id: UUID, preferences: Preferences) -> bool:
    """False when there is no member to change (left, or erased)."""
    async with pool.acquire() as conn:
        return await members.update_preferences(conn, supporter_id, preferences)


async def leave(pool: Pool, clock: Clock, supporter_id: UUID, source: str) -> None:
    """Out of the network at once. A member's consent is withdrawn on the record (and their
    number for texts forgotten); a request never said yes to simply ends. Leaving twice
    changes nothing."""
    async with pool.acquire() as conn, conn.transaction():
        left = await members.leave_network(conn, supporter_id, clock.now())
        if left is None:
            return
        was_active, text_id = left
        await forget_number(conn, supporter_id, source)
        if was_active:
            await consent.insert_consent_answer(
                conn, supporter_id, ConsentScope.NETWORK, text_id, source, granted=False
            )


async def join_email_recipient(pool: Pool, delivery_id: UUID) -> recipients.MemberRecipient | None:
    async with pool.acquire() as conn:
        return await recipients.get_member_recipient(conn, delivery_id)


async def network_overview(pool: Pool, clock: Clock) -> NetworkOverview:
    """How many are in the network and what they chose, for the workspace."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        active, pending, left, joined = await members.count_members(
            conn, clock.now() - timedelta(days=7)
        )
        return NetworkOverview(
            active=active,
            pending=pending,
            left=left,
            joined_this_week=joined,
            first_languages=await members.tally_active(conn, "first_language"),
            frequencies=await members.tally_active(conn, "frequency"),
            countries=await members.tally_active(conn, "country"),
            regions=await members.tally_active(conn, "region"),
            themes=await members.tally_active(conn, "theme"),
            channels=await members.tally_active(conn, "channel"),
            growth=tuple(await growth.list_months(conn, clock.now(), GROWTH_MONTHS)),
            outcomes=await alerts.count_alert_outcomes(conn, clock.now() - OUTCOMES_OVER),
        )
