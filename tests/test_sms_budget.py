"""SMS pumping (reliability.md B5): texts to countries we do not text, to premium-rate and
other non-mobile numbers, to a sequential range, never reach Twilio; past the day's budget
nothing more goes (it waits for the next day), and a warning comes at 80 %; one number gets at
most its share a day. Through the real path: supporters who asked for texts, an update sent
to them, a worker with the budgets set."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
from arq import cron

from campaign_engine.db.pool import Pool
from campaign_engine.domain.delivery.sms_budget import (
    Held,
    SmsPolicy,
    give_back_slot,
    refusal,
    take_slot,
)
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from tests.clock import FakeClock
from tests.conftest import TEST_SECRET
from tests.staff import Campaigner
from tests.supporter_updates import add_event, fan_out_now, make_case, make_signer
from tests.twilio import TwilioRecord
from workers.main import create_worker
from workers.sweeper import sweep_outbox

EN = {"en": ("Good news", "Ana is free.")}
# A range of Norwegian mobiles, one after another: a pumping script's favourite shape.
SEQUENTIAL_ABROAD = [f"+4790912{n:03d}" for n in range(500)]
# French premium-rate (08 9x) and toll-free (08 00) numbers.
NOT_MOBILE = [f"+33899{n:06d}" for n in range(250)] + [f"+33800{n:06d}" for n in range(250)]
FRENCH_MOBILES = [f"+3361200{n:04d}" for n in range(30)]
BUDGETED = {"sms_countries": frozenset({"FR", "MX"}), "sms_daily_budget": 20}


async def send_update(
    pool: Pool, settings: Settings, clock: FakeClock, campaigner: Campaigner, case_id: int
) -> None:
    event_id = await add_event(pool, case_id, EN)
    answer = await campaigner.post(
        f"/admin/cases/{case_id}/updates/{event_id}/send", {"confirm": "yes"}
    )
    assert answer.status_code == 303
    await fan_out_now(pool, settings, clock, event_id)


async def work(settings: Settings, clock: FakeClock, pool: Pool, case_id: int) -> None:
    """A worker with the budgets set, until its queue is empty; then nothing of the case's
    updates may be due (what the budget holds waits for the next day, unrung)."""
    worker = create_worker(
        settings,
        clock=clock,
        retry_delay=lambda attempt: timedelta(hours=1),
        crons=[cron(sweep_outbox, second={0}, run_at_startup=True)],
        handle_signals=False,
        burst=True,
        poll_delay=0.02,
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    assert await pool.fetchval(DUE, case_id, clock.now()) == 0


DUE = """
SELECT count(*) FROM deliveries
WHERE kind = 'update' AND case_event_id IN (SELECT id FROM case_events WHERE case_id = $1)
  AND (status = 'sending' OR (status IN ('pending', 'retry') AND next_attempt_at <= $2))
"""


def test_only_mobiles_in_the_countries_we_text_may_be_texted() -> None:
    policy = SmsPolicy(frozenset({"FR"}), 3, 100)
    assert refusal(policy, "+33612345678") is None
    assert refusal(policy, "+4790912345") == "sms destination country not allowed"
    assert refusal(policy, "+33899123456") == "sms destination not a mobile number"
    assert refusal(policy, "+33800123456") == "sms destination not a mobile number"
    assert refusal(SmsPolicy(frozenset(), 3, 100), "+4790912345") is None, "empty: any country"
    # An official's number, chosen by a campaigner, may be one the library does not know (the
    # demo's is in France's range for fiction), never one that costs us.
    assert refusal(policy, "+33639980001", supporter=False) is None
    assert refusal(policy, "+33639980001") == "sms destination not a mobile number"
    assert refusal(policy, "+33899123456", supporter=False) == "sms destination not a mobile number"


async def test_pumping_never_reaches_twilio_and_the_budget_holds(
    client: httpx.AsyncClient,
    pool: Pool,
    settings: Settings,
    twilio: TwilioRecord,
    campaigner: Campaigner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    case = await make_case(pool, locales=("en",))
    for phone in SEQUENTIAL_ABROAD + NOT_MOBILE + FRENCH_MOBILES:
        await make_signer(pool, case.action_slugs[0], sms=True, phone=phone)
    clock = FakeClock()
    clock.advance(timedelta(days=4000))  # a day of its own: no other test's texts count
    budgeted = dataclasses.replace(settings, **BUDGETED)  # type: ignore[arg-type]

    await send_update(pool, settings, clock, campaigner, case.id)
    await work(budgeted, clock, pool, case.id)

    refused = set(SEQUENTIAL_ABROAD + NOT_MOBILE)
    assert [t for t in twilio.texts if t.to in refused] == [], "1,000 refused, 0 calls"
    sent = [t.to for t in twilio.texts]
    assert len(sent) == 20, "the day's budget, exactly"
    assert set(sent) <= set(FRENCH_MOBILES)
    assert any("16 of today's 20 texts are spent" in r.getMessage() for r in caplog.records)
    statuses = await pool.fetch(
        """SELECT status, last_error, count(*) AS n FROM deliveries
           WHERE kind = 'update' AND channel = 'sms'
             AND case_event_id IN (SELECT id FROM case_events WHERE case_id = $1)
           GROUP BY 1, 2 ORDER BY 1, 2""",
        case.id,
    )
    assert [tuple(row) for row in statuses] == [
        ("failed", "sms destination country not allowed", 500),
        ("failed", "sms destination not a mobile number", 500),
        ("pending", "sms daily budget spent", 10),
        ("sent", None, 20),
    ]

    # The next day, the ten that waited go; nothing is lost.
    clock.advance(timedelta(days=1))
    await work(budgeted, clock, pool, case.id)
    assert sorted(t.to for t in twilio.texts) == sorted(FRENCH_MOBILES)


async def test_one_number_gets_its_share_a_day(
    client: httpx.AsyncClient,
    pool: Pool,
    settings: Settings,
    twilio: TwilioRecord,
    campaigner: Campaigner,
) -> None:
    case = await make_case(pool, locales=("en",))
    number = "+33612009999"
    await make_signer(pool, case.action_slugs[0], sms=True, phone=number)
    clock = FakeClock()
    clock.advance(timedelta(days=5000))
    shared = dataclasses.replace(settings, sms_per_number_per_day=2)
    for _update in range(3):
        await send_update(pool, settings, clock, campaigner, case.id)
        await work(shared, clock, pool, case.id)
    assert len(twilio.to(number)) == 2
    clock.advance(timedelta(days=1))
    await work(shared, clock, pool, case.id)
    assert len(twilio.to(number)) == 3


async def test_a_text_that_did_not_go_gives_its_slot_back(pool: Pool) -> None:
    """Twilio refused it, or failed for now: the number's share and the day's budget are as
    they were, and a held text waits for the next UTC midnight."""
    clock, tokens, number = FakeClock(), Tokens(TEST_SECRET), "+33612008888"
    clock.advance(timedelta(days=6000))
    policy = SmsPolicy(frozenset(), 1, 10)
    assert await take_slot(pool, clock, tokens, policy, number, budgeted=True) is None
    held = await take_slot(pool, clock, tokens, policy, number, budgeted=True)
    assert isinstance(held, Held)
    assert held.reason == "sms number had its share today"
    assert held.until == datetime.combine(clock.now().date() + timedelta(days=1), time(0), UTC)
    await give_back_slot(pool, clock, tokens, number)
    assert await take_slot(pool, clock, tokens, policy, number, budgeted=True) is None
