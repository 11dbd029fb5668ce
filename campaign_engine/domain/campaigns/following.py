"""Following a case without signing (docs/network.md, "Following a case"): anyone asks, on the
case's page, for its news by email; an email goes to the address with a link, and only there
does the owner of the mailbox say yes (double opt-in, as joining the network). The page
answers the same whoever asks, and an address gets three such emails a day at most. Updates
and outcomes then reach them like the case's signers (db/campaigns/updates.py), each with the
link to stop following; stopping takes one press, or a mail program's one-click (RFC 8058).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import cases, followers, updates
from campaign_engine.db.personal import recipients, supporters
from campaign_engine.db.pool import Pool
from campaign_engine.db.signing import consent
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.domain.errors import CaseNotFound
from campaign_engine.domain.signing.consent import shown_consent, wording_id
from campaign_engine.domain.signing.supporters import canonical_email
from campaign_engine.jobs import JobQueue
from campaign_engine.models.signing import ConsentScope

FOLLOW_EMAILS_PER_DAY = 3
FOLLOWED_THROUGH_LINK = "follow_link"
STOPPED_THROUGH_LINK = "follow_link"
STOPPED_IN_ONE_CLICK = "one_click"


async def ask_to_follow(
    pool: Pool, queue: JobQueue, clock: Clock, slug: str, email: str, locale: str
) -> None:
    """Someone asked, with this address, for the case's news: an email goes to it, unless it
    follows the case already or had its day's share. CaseNotFound for no public case."""
    now = clock.now()
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        case = await cases.get_case_page(conn, slug, locale)
        if case is None:
            raise CaseNotFound
        supporter_id = None
        for _try in range(2):  # None once: made by another request this very moment
            supporter_id = await supporters.find_or_make_supporter(
                conn, email, canonical_email(email), locale
            )
            if supporter_id is not None:
                break
        assert supporter_id is not None
        text_id = await wording_id(conn, shown_consent(ConsentScope.FOLLOW))
        if not await followers.request_follow(conn, case.id, supporter_id, locale, text_id, now):
            return  # following already: nothing to say yes to
        window = timedelta(days=1)
        if await followers.count_recent_follow_emails(conn, supporter_id, window) >= (
            FOLLOW_EMAILS_PER_DAY
        ):
            return
        delivery_id = await followers.insert_follow_email(conn, case.id, supporter_id, now)
        if delivery_id is not None:
            doorbells.delivery(delivery_id)


@dataclass(frozen=True)
class Following:
    """A follower's link, read: the case (in their language) and where they stand."""

    case_slug: str
    case_title: str
    case_locale: str
    status: str | None  # pending, active, left; None: never asked (or erased)


async def following(pool: Pool, supporter_id: UUID, case_id: int, locale: str) -> Following:
    async with pool.acquire() as conn:
        case = await updates.get_update_case(conn, case_id, locale)
        if case is None:
            raise CaseNotFound
        status = await followers.get_follow_status(conn, case_id, supporter_id)
    return Following(case.slug, case.title, case.locale, status)


async def say_yes_to_follow(pool: Pool, clock: Clock, supporter_id: UUID, case_id: int) -> None:
    """The owner of the mailbox follows the case: their consent is recorded now, with the
    wording they ticked. A second press changes nothing."""
    async with pool.acquire() as conn, conn.transaction():
        text_id = await followers.activate_follow(conn, case_id, supporter_id, clock.now())
        if text_id is not None:
            await consent.insert_consent_answer(
                conn,
                supporter_id,
                ConsentScope.FOLLOW,
                text_id,
                FOLLOWED_THROUGH_LINK,
                granted=True,
            )


async def stop_following(
    pool: Pool, clock: Clock, supporter_id: UUID, case_id: int, source: str
) -> None:
    """No more of the case's news; the consent withdrawn on the record. Twice changes nothing."""
    async with pool.acquire() as conn, conn.transaction():
        stopped = await followers.stop_following(conn, case_id, supporter_id, clock.now())
        if stopped is not None and stopped[0]:
            await consent.insert_consent_answer(
                conn, supporter_id, ConsentScope.FOLLOW, stopped[1], source, granted=False
            )


async def follow_email_recipient(
    pool: Pool, delivery_id: UUID
) -> recipients.FollowRecipient | None:
    async with pool.acquire() as conn:
        return await recipients.get_follow_recipient(conn, delivery_id)
