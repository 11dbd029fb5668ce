"""Pacing: how fast appeals may reach one official on one channel.

Appeals wait ('scheduled') until the pacer for their target and channel releases them. It
releases them one at a time, on a schedule of evenly spaced slots:

- never faster than the target's cap per hour, and never more than its caps per rolling hour
  and rolling day (counted on actual releases, so no lateness can squeeze them together);
- only inside the target's office hours, in its own time zone;
- never slower than the action's floor (`min_per_hour`, 60 by default) while anything waits,
  and faster when needed to clear what waits by three quarters of the time left before the
  deadline, so the pace picks up as the deadline nears;
- paused actions' appeals wait; after a pause, closed hours or an outage the slots start again
  from now, so nothing bursts out to catch up.

Slots follow the schedule, not the moment the pacer happened to run, so over time the rate is
exactly the one configured. The pacer runs every second for the targets that are due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.delivery import pacing
from campaign_engine.db.delivery.pacing import PacingInputs
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.domain.targets.office_hours import Schedule, schedule_of
from campaign_engine.jobs import JobQueue

# Aim to have sent what waits when three quarters of the time to the deadline have passed.
FRONT_LOAD = 0.75
DEFAULT_MIN_PER_HOUR = 60
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DUE_BATCH = 100
# How late a pacer may run and still keep its schedule (it runs every second); later than
# that, or later than a whole interval, is a gap.
LATE = timedelta(seconds=2)
UNLIMITED = 10**9


@dataclass(frozen=True)
class Plan:
    releases: int
    last_slot: datetime | None
    next_run: datetime | None


def release_interval(inputs: PacingInputs, schedule: Schedule, now: datetime) -> timedelta:
    """The spacing between two releases to this target on this channel."""
    floor = inputs.min_per_hour or DEFAULT_MIN_PER_HOUR
    per_hour = float(floor)
    if inputs.deadline is not None:
        open_hours = schedule.open_seconds(now, inputs.deadline) * FRONT_LOAD / 3600
        per_hour = max(per_hour, inputs.held / max(open_hours, 1 / 3600))
    if inputs.max_per_hour is not None:
        per_hour = min(per_hour, float(inputs.max_per_hour))
    return timedelta(hours=1 / per_hour)


def plan(inputs: PacingInputs, last_slot: datetime | None, now: datetime) -> Plan:
    """How many held appeals to release now, and when to look again."""
    if inputs.held == 0:
        return Plan(0, last_slot, None)
    schedule = schedule_of(inputs.office_hours, inputs.time_zone)
    if not schedule.is_open(now):
        return Plan(0, None, schedule.next_opening(now))
    capped_until = _capped_until(inputs, now)
    if capped_until is not None:
        return Plan(0, last_slot, capped_until)
    interval = release_interval(inputs, schedule, now)
    slot = now if last_slot is None else last_slot + interval
    if slot < now - max(interval, LATE):  # back after a gap: start from now, no catching up
        slot = now
    room = min(
        inputs.held,
        _room(inputs.max_per_hour, inputs.released_last_hour),
        _room(inputs.max_per_day, inputs.released_last_day),
    )
    releases, last = 0, last_slot
    while slot <= now and releases < room:
        releases, last, slot = releases + 1, slot, slot + interval
    more = inputs.held > releases
    return Plan(releases, last, slot if more else None)


def _room(cap: int | None, used: int) -> int:
    return UNLIMITED if cap is None else max(cap - used, 0)


def _capped_until(inputs: PacingInputs, now: datetime) -> datetime | None:
    """When a full rolling window frees a place, if a cap is reached now."""
    if inputs.max_per_day is not None and inputs.released_last_day >= inputs.max_per_day:
        assert inputs.first_release_last_day is not None
        return inputs.first_release_last_day + DAY
    if inputs.max_per_hour is not None and inputs.released_last_hour >= inputs.max_per_hour:
        assert inputs.first_release_last_hour is not None
        return inputs.first_release_last_hour + HOUR
    return None


async def pace_target(
    pool: Pool, queue: JobQueue, clock: Clock, target_id: int, channel: str
) -> list[UUID]:
    """Release what may go to this target now; returns the released deliveries."""
    now = clock.now()
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        released = await _pace_locked(conn, target_id, channel, now)
        doorbells.deliveries(released)
    return released


async def _pace_locked(conn: Connection, target_id: int, channel: str, now: datetime) -> list[UUID]:
    locked, last_slot = await pacing.lock_pacing(conn, target_id, channel)
    if not locked:  # another pacer is at it, or nothing was ever held here
        return []
    inputs = await pacing.get_pacing_inputs(conn, target_id, channel, now)
    if inputs is None:  # the target is gone: nothing to pace any more
        await pacing.set_pacing(conn, target_id, channel, None, None)
        return []
    decided = plan(inputs, last_slot, now)
    released = await pacing.release_held(conn, target_id, channel, decided.releases, now)
    await pacing.set_pacing(conn, target_id, channel, decided.last_slot, decided.next_run)
    return released


async def run_due_pacers(pool: Pool, queue: JobQueue, clock: Clock) -> int:
    """Every pacer whose time has come; returns how many appeals were released."""
    async with pool.acquire() as conn:
        due = await pacing.list_due_pacers(conn, clock.now(), DUE_BATCH)
    released = 0
    for target_id, channel in due:
        released += len(await pace_target(pool, queue, clock, target_id, channel))
    return released
