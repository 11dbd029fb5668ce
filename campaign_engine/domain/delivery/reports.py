"""Where an action's appeals stand: for the workspace to show, and `campaign-engine
deliveries <slug>` to print."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from campaign_engine.db.campaigns import actions
from campaign_engine.db.delivery import reports
from campaign_engine.db.pool import Pool
from campaign_engine.domain.errors import ActionNotFound

# The order statuses are shown in: from waiting, through going, to done.
STATUSES = (
    "scheduled",
    "pending",
    "sending",
    "retry",
    "ambiguous",
    "sent",
    "delivered",
    "failed",
    "bounced",
    "cancelled",
    "folded",
)


@dataclass
class TargetDeliveries:
    target_id: int
    name: str
    channel: str
    address_status: str | None
    counts: Counter[str] = field(default_factory=Counter)
    next_send: datetime | None = None


@dataclass(frozen=True)
class ActionDeliveries:
    slug: str
    paused: bool
    targets: list[TargetDeliveries]

    @property
    def totals(self) -> Counter[str]:
        return sum((target.counts for target in self.targets), Counter())


async def delivery_report(pool: Pool, slug: str) -> ActionDeliveries:
    async with pool.acquire() as conn:
        action = await actions.get_delivery_state(conn, slug)
        if action is None:
            raise ActionNotFound
        rows = await reports.list_delivery_counts(conn, slug)
    by_target: dict[tuple[int, str], TargetDeliveries] = {}
    for row in rows:
        target = by_target.setdefault(
            (row.target_id, row.channel),
            TargetDeliveries(row.target_id, row.target_name, row.channel, row.address_status),
        )
        if row.status is not None:
            target.counts[row.status] += row.count
        if row.status == "scheduled" and row.next_release is not None:
            target.next_send = _earliest(target.next_send, row.next_release)
        if row.next_retry is not None:
            target.next_send = _earliest(target.next_send, row.next_retry)
    return ActionDeliveries(slug, action, list(by_target.values()))


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a
