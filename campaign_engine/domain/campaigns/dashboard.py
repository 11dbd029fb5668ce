"""One action's dashboard: its signatures counted (in all, over time, by country, language,
source and partner) and where its letters to officials stand.

Counts come from the signatures themselves, not from the public counter's shards, so every
figure and every breakdown on the page adds up to the same totals.

Counting reads every signature of the action: 45 ms at 10,000, about 2 s at a million (`bench
growth`). A dashboard that took long to count is held a while in the web process (`Held`), so
that campaigners watching a viral action do not take PostgreSQL from its signers; the page
then says when it was counted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import dashboard, posted_letters
from campaign_engine.db.campaigns.dashboard import AppealVariety
from campaign_engine.db.campaigns.posted_letters import PostedLetters
from campaign_engine.db.delivery import reports
from campaign_engine.db.pool import Pool
from campaign_engine.domain.delivery.reports import ActionDeliveries, delivery_report
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.formats.versions import versioned
from campaign_engine.models.campaigns import ActionStatus, DashboardAction
from campaign_engine.models.signing import ActivityCount, SignatureTally

# A chart of more bars than this stops being readable; the rest are summed as "other".
TOP = 15
DIMENSIONS = ("country", "language", "source", "partner")


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    rows: list[SignatureTally]  # the largest first, at most TOP
    other: SignatureTally | None  # the rest, summed; None when nothing was left out

    @property
    def everything(self) -> list[SignatureTally]:
        return self.rows + ([self.other] if self.other else [])


@dataclass(frozen=True)
class Activity:
    period: str  # "hour", "day", "week" or "month"
    counts: list[ActivityCount]  # every period from the first signature on, none skipped


@dataclass(frozen=True)
class Variety:
    """How alike the appeals officials received were: the fewer alike, the likelier read."""

    written: int
    personal: int
    combinations: int  # different combinations of versions carried
    possible: int  # combinations the action's own letter offers
    most_alike_share: float | None  # the largest share one combination carried
    folded: int
    by_supporter: int  # sent by supporters from their own mailbox

    @classmethod
    def of(cls, counted: AppealVariety) -> Variety:
        letter = versioned(counted.letter_subject, counted.letter_body)
        return cls(
            written=counted.written,
            personal=counted.personal,
            combinations=counted.combinations,
            possible=letter.combinations,
            most_alike_share=counted.most_alike / counted.written if counted.written else None,
            folded=counted.folded,
            by_supporter=counted.by_supporter,
        )

    @property
    def personal_share(self) -> float | None:
        return self.personal / self.written if self.written else None


@dataclass(frozen=True)
class Dashboard:
    action: DashboardAction
    confirmed: int
    pending: int
    invalidated: int
    median_to_confirm: timedelta | None
    activity: Activity
    breakdowns: dict[str, Breakdown]
    deliveries: ActionDeliveries
    variety: Variety
    posted: list[PostedLetters]  # letters supporters say they posted, per official
    last_errors: dict[tuple[int, str], str] = field(default_factory=dict)
    counted_at: datetime | None = None  # when, if these figures were held (else just now)

    @property
    def confirmation_rate(self) -> float | None:
        """Of those who signed, the share who confirmed (None before anyone signed)."""
        signed = self.confirmed + self.pending
        return self.confirmed / signed if signed else None

    @property
    def progress(self) -> float | None:
        """The share of the goal reached (may pass 1); None without a goal."""
        return self.confirmed / self.action.goal if self.action.goal else None


async def read_dashboard(pool: Pool, clock: Clock, slug: str, locale: str) -> Dashboard:
    async with pool.acquire() as conn:
        action = await dashboard.get_dashboard_action(conn, slug, locale)
        if action is None:
            raise ActionNotFound
        tallies = await dashboard.list_signature_tallies(conn, action.id)
        times = await dashboard.get_signature_times(conn, action.id)
        activity = Activity("day", [])
        if times.first_signed_at is not None and times.last_activity_at is not None:
            # An open action's chart runs to now, so a quiet spell shows; a closed one's
            # stops at its last signature.
            end = clock.now() if action.status is ActionStatus.OPEN else times.last_activity_at
            period = period_for(end - times.first_signed_at)
            counts = await dashboard.list_activity(conn, action.id, period)
            activity = Activity(period, every_period(counts, times.first_signed_at, end, period))
        last_errors = await reports.list_last_errors(conn, action.id)
        variety = await dashboard.get_appeal_variety(conn, action.id)
        posted = await posted_letters.list_posted(conn, action.id)
    totals = next((t for t in tallies if t.dimension == "all"), None)
    return Dashboard(
        action=action,
        confirmed=totals.confirmed if totals else 0,
        pending=totals.pending if totals else 0,
        invalidated=totals.invalidated if totals else 0,
        median_to_confirm=times.median_to_confirm,
        activity=activity,
        breakdowns={d: breakdown(d, tallies) for d in DIMENSIONS},
        deliveries=await delivery_report(pool, slug),
        variety=Variety.of(variety),
        posted=posted,
        last_errors=last_errors,
    )


# A dashboard that took this long to count is held for ten times as long (at most a minute):
# however many watch it, counting it takes at most a tenth of one PostgreSQL core per process.
HOLD_FROM = 0.25  # seconds; an action of about 50,000 signatures
HOLD_FOR = 10
HOLD_AT_MOST = 60.0


class Held:
    """The counts of this process's dashboards that took long to count, by action: each
    counted once at a time however many ask together, and held a while when it was slow.
    The action itself (its title in the reader's language, its status, its goal) is read
    afresh on every view: only the counts wait."""

    def __init__(
        self,
        hold_from: float = HOLD_FROM,
        hold_for: float = HOLD_FOR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hold_from, self._hold_for, self._clock = hold_from, hold_for, clock
        self._held: dict[str, tuple[float, Dashboard]] = {}
        self._counting: dict[str, asyncio.Task[Dashboard]] = {}

    async def read(self, pool: Pool, clock: Clock, slug: str, locale: str) -> Dashboard:
        held = self._held.get(slug)
        if held is not None and self._clock() < held[0]:
            return await _with_action(pool, held[1], slug, locale)
        counting = self._counting.get(slug)
        if counting is not None:  # someone else is counting: their counts, our action
            return await _with_action(pool, await asyncio.shield(counting), slug, locale)
        # A task of its own, so that a viewer who goes away cancels nobody else's count.
        counting = asyncio.create_task(self._count(pool, clock, slug, locale))
        self._counting[slug] = counting
        counting.add_done_callback(lambda done: self._counted(slug, done))
        return await asyncio.shield(counting)

    async def _count(self, pool: Pool, clock: Clock, slug: str, locale: str) -> Dashboard:
        started, started_at = self._clock(), clock.now()
        fresh = await read_dashboard(pool, clock, slug, locale)
        took = self._clock() - started
        self._forget_expired()
        if took < self._hold_from:
            return fresh
        until = self._clock() + min(HOLD_AT_MOST, took * self._hold_for)
        self._held[slug] = (until, replace(fresh, counted_at=started_at))
        return self._held[slug][1]

    def _counted(self, slug: str, done: asyncio.Task[Dashboard]) -> None:
        self._counting.pop(slug, None)
        if not done.cancelled():
            done.exception()  # retrieved: whoever waited on it raised it themselves

    def _forget_expired(self) -> None:
        now = self._clock()
        for slug in [slug for slug, (until, _) in self._held.items() if until <= now]:
            del self._held[slug]


async def _with_action(pool: Pool, counted: Dashboard, slug: str, locale: str) -> Dashboard:
    """Held counts under the action as it is now, in the reader's language."""
    async with pool.acquire() as conn:
        action = await dashboard.get_dashboard_action(conn, slug, locale)
    if action is None:
        raise ActionNotFound
    return replace(counted, action=action)


def breakdown(dimension: str, tallies: list[SignatureTally]) -> Breakdown:
    """The values of one dimension with a signature that counts (confirmed or pending), the
    largest first; past TOP, the rest are summed into one."""
    counted = sorted(
        (t for t in tallies if t.dimension == dimension and t.confirmed + t.pending),
        key=lambda t: (-(t.confirmed + t.pending), -t.confirmed, t.value or ""),
    )
    rest = counted[TOP:]
    other = (
        SignatureTally(
            dimension,
            None,
            sum(t.confirmed for t in rest),
            sum(t.pending for t in rest),
            sum(t.invalidated for t in rest),
        )
        if rest
        else None
    )
    return Breakdown(dimension, counted[:TOP], other)


def period_for(span: timedelta) -> str:
    """How finely to cut an action's life: by the hour while it is younger than three days
    (counted from its first signature: an action drafted weeks before it opened is young),
    by the day up to three months, by the week up to two years, then by the month."""
    if span < timedelta(days=3):
        return "hour"
    if span <= timedelta(days=90):
        return "day"
    if span <= timedelta(days=730):
        return "week"
    return "month"


def every_period(
    counts: list[ActivityCount], first: datetime, end: datetime, period: str
) -> list[ActivityCount]:
    """The counts of each period from the one holding `first` to the one holding `end`,
    with a zero for a period nothing happened in."""
    found = {count.start: count for count in counts}
    start, last = period_start(first, period), period_start(max(first, end), period)
    filled = []
    while start <= last:
        filled.append(found.get(start) or ActivityCount(start, 0, 0))
        start = next_period(start, period)
    return filled


def period_start(moment: datetime, period: str) -> datetime:
    """The start of the period holding `moment`, in UTC, cut as PostgreSQL's date_trunc cuts
    it (weeks start on Monday)."""
    hour = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    day = hour.replace(hour=0)
    if period == "hour":
        return hour
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period(start: datetime, period: str) -> datetime:
    if period == "hour":
        return start + timedelta(hours=1)
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(weeks=1)
    return (start + timedelta(days=32)).replace(day=1)
