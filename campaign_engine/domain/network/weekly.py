"""The network's weekly email, for members who chose "one email a week" over an alert for each
action: on Monday at 08:00 UTC, the actions whose alert fell due in the seven days before,
that match them and that they have not signed, each with its one-click act.

An hourly cron makes the week's emails once that moment has passed (the unique index makes
one per member and week, however often it runs, and a worker down on Monday morning sends
them when it is back); a member whom nothing matched gets none. As each leaves, its actions
are read again: one signed, closed or unpublished meanwhile drops out, and an email left with
none is not sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.network import weekly
from campaign_engine.db.personal import recipients
from campaign_engine.db.pool import Pool
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.i18n import is_supported
from campaign_engine.jobs import JobQueue
from campaign_engine.links import absolute_url
from campaign_engine.models.delivery import Delivery
from campaign_engine.models.network import MemberStatus
from campaign_engine.security.tokens import Tokens

# When the weekly email goes: Monday morning in Europe and Africa, Monday evening in Asia,
# Sunday night in the Americas. One moment for everyone: the network spans every time zone,
# and a member's is not something we ask for.
SENT_AT = time(8, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
# A week's emails are made within this long after it ends (a worker down on Monday morning
# still sends them), never days later: by then the next week's is near.
MADE_WITHIN = timedelta(days=2)


def week_just_ended(now: datetime) -> tuple[datetime, datetime]:
    """(start, end) of the latest whole week the email tells of: it ends on the Monday at
    SENT_AT on or before `now`."""
    today = now.astimezone(UTC)
    monday = (today - timedelta(days=today.weekday())).date()
    end = datetime.combine(monday, SENT_AT)
    if end > today:
        end -= WEEK
    return end - WEEK, end


def week_name(start: datetime) -> str:
    """ISO 8601's name of the week a weekly email tells of (2026-W50)."""
    year, number, _day = start.isocalendar()
    return f"{year}-W{number:02d}"


async def make_weekly_emails(pool: Pool, queue: JobQueue | None, clock: Clock) -> int:
    """The cron's part: this week's emails, for those not made yet; how many were made."""
    start, end = week_just_ended(clock.now())
    if clock.now() - end > MADE_WITHIN:
        return 0
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        made = await weekly.insert_weekly_emails(conn, start, end, week_name(start))
        doorbells.deliveries(made)
    return len(made)


@dataclass(frozen=True)
class WeeklyItem:
    code: str
    title: str
    summary: str
    locale: str  # the action's words: the first of the member's languages it has
    deadline: datetime | None
    act_url: str
    action_url: str


@dataclass(frozen=True)
class WeeklyMessage:
    delivery_id: UUID
    to: str
    locale: str  # the words around the actions: the member's first language we speak
    week_start: datetime
    items: tuple[WeeklyItem, ...]
    member_url: str
    leave_url: str


async def weekly_message(
    pool: Pool, tokens: Tokens, base_url: str, delivery: Delivery
) -> WeeklyMessage | str | None:
    """The email, or why it is no longer to be sent; None when the member is gone."""
    async with pool.acquire() as conn:
        recipient = await recipients.get_weekly_recipient(conn, delivery.id)
        if recipient is None:
            return None
        start = recipient.week_start
        actions = await weekly.list_week_actions(conn, recipient.supporter_id, start, start + WEEK)
    if recipient.member_status != MemberStatus.ACTIVE:
        return "they left the network before it went"
    if not actions:
        return "every action of the week was signed, closed or unpublished before it went"
    locale = next((tag for tag in recipient.languages if is_supported(tag)), None)
    locale = locale or recipient.member_locale
    member = tokens.network_token(recipient.supporter_id, recipient.member_locale)
    return WeeklyMessage(
        delivery_id=delivery.id,
        to=recipient.email,
        locale=locale,
        week_start=start,
        items=tuple(
            WeeklyItem(
                code=action.code,
                title=action.title,
                summary=action.summary,
                locale=action.locale,
                deadline=action.deadline,
                act_url=absolute_url(
                    base_url,
                    "act.act_page",
                    token=tokens.act_token(recipient.supporter_id, action.action_id, action.locale),
                ),
                action_url=absolute_url(
                    base_url, "pages.action_page", locale=action.locale, slug=action.slug
                ),
            )
            for action in actions
        ),
        member_url=absolute_url(base_url, "network.member_page", token=member),
        leave_url=absolute_url(base_url, "network.leave_page", token=member),
    )
