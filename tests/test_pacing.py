"""Officials are never flooded: caps per hour and per day, office hours in their own time zone,
an even pace that quickens as the deadline nears, pause and resume without a burst.

Time is the test's own clock, moved a minute at a time; caps and hours are checked on the send
timestamps the outbox records."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from campaign_engine.db.delivery.pacing import PacingInputs
from campaign_engine.db.pool import Pool
from campaign_engine.domain.delivery.appeals import create_appeals, pause_appeals, resume_appeals
from campaign_engine.domain.delivery.pacing import plan, release_interval
from campaign_engine.domain.targets.office_hours import AnyHour, OfficeHours, schedule_of
from tests.clock import FakeClock
from tests.conftest import Drain
from tests.factories import add_target, make_action, make_confirmed_signatures, unique_email
from tests.smtp import RecordingHandler

MINUTE = timedelta(minutes=1)
WEEKDAYS_9_TO_5 = {"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}


def inputs(**given: object) -> PacingInputs:
    defaults: dict[str, object] = {
        "office_hours": None,
        "time_zone": "UTC",
        "max_per_hour": None,
        "max_per_day": None,
        "held": 10,
        "min_per_hour": 60,
        "deadline": None,
        "released_last_hour": 0,
        "released_last_day": 0,
        "first_release_last_hour": None,
        "first_release_last_day": None,
    }
    return PacingInputs(**{**defaults, **given})  # type: ignore[arg-type]


NOW = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)  # a Wednesday


def test_an_idle_target_gets_the_first_appeal_at_once_then_one_per_slot() -> None:
    first = plan(inputs(), None, NOW)
    assert (first.releases, first.last_slot, first.next_run) == (1, NOW, NOW + MINUTE)
    early = plan(inputs(), NOW, NOW + timedelta(seconds=30))
    assert early.releases == 0
    assert early.next_run == NOW + MINUTE


def test_slots_keep_their_schedule_when_the_pacer_runs_late() -> None:
    late = plan(inputs(), NOW, NOW + timedelta(seconds=70))
    assert late.releases == 1
    assert late.last_slot == NOW + MINUTE, "the slot, not the late run, sets the next one"
    assert late.next_run == NOW + 2 * MINUTE


def test_after_a_gap_nothing_bursts_out() -> None:
    back = plan(inputs(held=500), NOW, NOW + timedelta(hours=6))
    assert back.releases == 1


def test_the_pace_quickens_as_the_deadline_nears() -> None:
    far = release_interval(inputs(held=100, deadline=NOW + timedelta(days=30)), AnyHour(), NOW)
    near = release_interval(inputs(held=100, deadline=NOW + timedelta(hours=2)), AnyHour(), NOW)
    assert far == MINUTE, "far off, the floor of 60 an hour rules"
    assert near == timedelta(hours=1.5) / 100, "100 to go in three quarters of 2 hours"
    capped = release_interval(
        inputs(held=100, deadline=NOW + timedelta(hours=2), max_per_hour=20), AnyHour(), NOW
    )
    assert capped == timedelta(minutes=3), "never faster than the cap"


def test_caps_hold_on_rolling_windows() -> None:
    full_hour = inputs(
        max_per_hour=5, released_last_hour=5, first_release_last_hour=NOW - timedelta(minutes=50)
    )
    assert plan(full_hour, None, NOW).next_run == NOW + timedelta(minutes=10)
    full_day = inputs(
        max_per_day=30, released_last_day=30, first_release_last_day=NOW - timedelta(hours=20)
    )
    assert plan(full_day, None, NOW).next_run == NOW + timedelta(hours=4)


def test_office_hours_are_the_officials_own() -> None:
    paris = schedule_of(WEEKDAYS_9_TO_5, "Europe/Paris")
    assert isinstance(paris, OfficeHours)
    assert paris.is_open(datetime(2027, 3, 3, 8, 30, tzinfo=UTC))  # 09:30 in Paris
    assert not paris.is_open(datetime(2027, 3, 3, 16, 30, tzinfo=UTC))  # 17:30 in Paris
    friday_evening = datetime(2027, 3, 5, 17, 0, tzinfo=UTC)
    monday_nine = datetime(2027, 3, 8, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert paris.next_opening(friday_evening) == monday_nine
    closed = plan(
        inputs(office_hours=WEEKDAYS_9_TO_5, time_zone="Europe/Paris"), None, friday_evening
    )
    assert (closed.releases, closed.next_run) == (0, monday_nine)
    # Two whole working days between Friday evening and Tuesday evening.
    tuesday_evening = datetime(2027, 3, 9, 17, 0, tzinfo=UTC)
    assert paris.open_seconds(friday_evening, tuesday_evening) == 2 * 8 * 3600


async def send_for(
    duration: timedelta, pool: Pool, clock: FakeClock, drain: Drain, target_id: int
) -> None:
    """Let `duration` pass as a worker would live it: from each moment the target's pacer is
    due to the next (the real worker looks every second), pacing and sending each time."""
    end = clock.now() + duration
    for _ in range(1000):
        due = await pool.fetchval(
            "SELECT min(next_run_at) FROM pacing WHERE target_id = $1 AND next_run_at IS NOT NULL",
            target_id,
        )
        if due is None or due > end:
            clock.advance_to(end)
            return
        clock.advance_to(due)
        await drain()
    raise AssertionError("the pacer never settled")


async def sent_times(pool: Pool, target_id: int) -> list[datetime]:
    rows = await pool.fetch(
        "SELECT sent_at FROM deliveries WHERE target_id = $1 AND sent_at IS NOT NULL "
        "ORDER BY sent_at",
        target_id,
    )
    return [row["sent_at"] for row in rows]


def most_in_any_window(times: list[datetime], window: timedelta) -> int:
    return max((sum(1 for t in times if start <= t < start + window) for start in times), default=0)


@pytest.mark.parametrize("channel", ["email", "sms"])
async def test_caps_and_office_hours_are_never_exceeded(
    pool: Pool, clock: FakeClock, drain: Drain, channel: str
) -> None:
    slug = await make_action(pool)
    target_id, _address = await add_target(
        pool,
        slug,
        channel=channel,
        office_hours={"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "11:00"},
        time_zone="America/Mexico_City",
        max_per_hour=6,
        max_per_day=8,
    )
    await make_confirmed_signatures(pool, slug, 40)
    clock.freeze_at(datetime(2030, 1, 7, 8, 0, tzinfo=ZoneInfo("America/Mexico_City")))
    await send_for(
        timedelta(hours=28), pool, clock, drain, target_id
    )  # to Tuesday noon in Mexico City

    times = await sent_times(pool, target_id)
    assert len(times) == 16, "the day's cap of 8 on Monday, and again on Tuesday"
    assert most_in_any_window(times, timedelta(hours=1)) <= 6
    assert most_in_any_window(times, timedelta(days=1)) <= 8
    for sent in times:
        local = sent.astimezone(ZoneInfo("America/Mexico_City"))
        assert local.isoweekday() in (1, 2)
        assert 9 <= local.hour < 11, f"sent at {local:%a %H:%M} local time"
    gaps = [b - a for a, b in itertools.pairwise(times[:6])]
    assert all(gap >= timedelta(minutes=10) for gap in gaps), "evenly spaced, no burst"


async def test_pausing_stops_at_once_and_resuming_does_not_burst(
    pool: Pool, clock: FakeClock, drain: Drain
) -> None:
    slug = await make_action(pool)
    target_id, _address = await add_target(pool, slug, max_per_hour=30)
    await make_confirmed_signatures(pool, slug, 20)
    await send_for(timedelta(minutes=10), pool, clock, drain, target_id)
    before = len(await sent_times(pool, target_id))
    assert before == 5, "one every two minutes"

    await pause_appeals(pool, slug)
    await send_for(timedelta(hours=2), pool, clock, drain, target_id)
    assert len(await sent_times(pool, target_id)) == before

    await resume_appeals(pool, slug)
    await send_for(timedelta(minutes=3), pool, clock, drain, target_id)
    after = await sent_times(pool, target_id)
    assert len(after) - before == 2, "back at the even pace, not a catch-up burst"


async def test_a_paused_action_still_confirms_its_signers(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    """Pausing holds the letters to officials, not a supporter's own email."""
    slug = await make_action(pool)
    await add_target(pool, slug)
    await pause_appeals(pool, slug)
    email = unique_email()
    fields = {"name": "Ana Pérez", "email": email, "country": "ES"}
    assert (await client.post(f"/en/actions/{slug}/sign", data=fields)).status_code == 303
    await drain()
    assert len(smtp.to(email)) == 1


async def test_a_held_appeal_is_not_forgotten_by_a_sleeping_pacer(
    pool: Pool, clock: FakeClock, drain: Drain
) -> None:
    slug = await make_action(pool)
    target_id, _address = await add_target(pool, slug)
    signature_ids = await make_confirmed_signatures(pool, slug, 1, with_appeals=False)
    async with pool.acquire() as conn:
        action_id = await conn.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
        await create_appeals(conn, signature_ids[0], action_id)  # its pacer is never woken
        await conn.execute("UPDATE pacing SET next_run_at = NULL WHERE target_id = $1", target_id)
    await drain()  # the sweeper wakes the pacer ...
    clock.advance(MINUTE)
    await drain()  # ... which lets the appeal go
    assert len(await sent_times(pool, target_id)) == 1
