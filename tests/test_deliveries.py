"""The outbox keeps its promises: every email that should go out goes out, once, whatever the
queue forgets and whatever the SMTP server answers."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID

import httpx
import redis.asyncio

from campaign_engine import jobs
from campaign_engine.clock import SystemClock
from campaign_engine.db.pool import Pool
from campaign_engine.domain.delivery.deliveries import (
    LEASE,
    MAX_ATTEMPTS,
    Attempt,
    claim_delivery,
    hand_back,
    record_attempts,
    retry_delay,
)
from campaign_engine.models.delivery import SendOutcome, SendResult
from campaign_engine.settings import Settings
from tests.conftest import Drain
from tests.factories import make_action, unique_email
from tests.smtp import TAKE_AND_HANG_UP, RecordingHandler


async def sign_someone(client: httpx.AsyncClient, pool: Pool) -> tuple[str, UUID]:
    """Sign a fresh action; returns the signer's address and their confirmation delivery."""
    slug = await make_action(pool)
    email = unique_email()
    response = await client.post(
        f"/en/actions/{slug}/sign", data={"name": "Ana Pérez", "email": email, "country": "ES"}
    )
    assert response.status_code == 303
    delivery_id = await pool.fetchval(
        """SELECT d.id FROM deliveries d JOIN signatures s ON s.id = d.signature_id
           JOIN actions a ON a.id = s.action_id WHERE a.slug = $1""",
        slug,
    )
    return email, delivery_id


async def delivery_row(pool: Pool, delivery_id: UUID) -> dict[str, object]:
    row = await pool.fetchrow(
        "SELECT status, attempts, last_error FROM deliveries WHERE id = $1", delivery_id
    )
    assert row is not None
    return dict(row)


async def test_a_lost_wake_up_is_recovered_by_the_sweeper(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    redis_client: redis.asyncio.Redis,
) -> None:
    email, delivery_id = await sign_someone(client, pool)
    await redis_client.flushdb()  # Redis restarted without its data: the wake-up is gone

    await drain()
    assert smtp.to(email) == [], "a fresh row waits for its own wake-up first"

    await pool.execute(  # a minute passes
        "UPDATE deliveries SET next_attempt_at = now() - interval '1 minute' WHERE id = $1",
        delivery_id,
    )
    await drain()
    assert len(smtp.to(email)) == 1
    assert (await delivery_row(pool, delivery_id))["status"] == "sent"


async def test_a_temporary_refusal_is_retried(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    smtp.script.append("451 4.3.0 Mailbox busy, try again later")
    email, delivery_id = await sign_someone(client, pool)
    await drain()
    assert len(smtp.to(email)) == 1
    assert await delivery_row(pool, delivery_id) == {
        "status": "sent",
        "attempts": 2,
        "last_error": None,
    }


async def test_a_permanent_refusal_is_not_retried(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    smtp.script.append("550 5.1.1 No such mailbox")
    email, delivery_id = await sign_someone(client, pool)
    await drain()
    assert smtp.to(email) == []
    assert await delivery_row(pool, delivery_id) == {
        "status": "failed",
        "attempts": 1,
        "last_error": "SMTP 550 at data",
    }


async def test_an_ambiguous_send_is_repeated_with_the_same_message_id(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    smtp.script.append(TAKE_AND_HANG_UP)  # the server keeps the message, then hangs up
    email, delivery_id = await sign_someone(client, pool)
    await drain()
    copies = smtp.to(email)
    assert len(copies) == 2
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"], "a mailbox can tell it is one"
    assert (await delivery_row(pool, delivery_id))["status"] == "sent"


async def test_a_send_cut_short_by_a_dead_worker_is_taken_up_after_its_lease(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    email, delivery_id = await sign_someone(client, pool)
    claimed = await claim_delivery(
        pool, SystemClock(), delivery_id
    )  # a worker takes it ... and dies
    assert claimed is not None

    await drain()
    assert smtp.to(email) == [], "nobody else sends it while the lease holds"

    await pool.execute(  # the lease runs out
        "UPDATE deliveries SET lease_until = now() - interval '1 second' WHERE id = $1",
        delivery_id,
    )
    await drain()
    assert len(smtp.to(email)) == 1
    assert await delivery_row(pool, delivery_id) == {
        "status": "sent",
        "attempts": 2,
        "last_error": None,
    }


async def test_a_row_handed_back_untried_is_sent_without_losing_an_attempt(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    settings: Settings,
) -> None:
    """A worker whose sending slots were all busy gives back what it claimed: the row is
    claimable at once, and its attempt is not counted against it."""
    email, delivery_id = await sign_someone(client, pool)
    claimed = await claim_delivery(pool, SystemClock(), delivery_id)
    assert claimed is not None
    assert settings.redis_url is not None
    redis = await jobs.connect(settings.redis_url)
    await hand_back(pool, jobs.JobQueue(redis), SystemClock(), [claimed])
    await redis.aclose()
    assert await delivery_row(pool, delivery_id) == {
        "status": "pending",
        "attempts": 0,
        "last_error": None,
    }
    await drain()
    assert len(smtp.to(email)) == 1
    assert (await delivery_row(pool, delivery_id))["attempts"] == 1


async def test_a_delivery_that_never_succeeds_stops_after_the_last_attempt(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    smtp.script.extend(["421 4.7.0 Too busy"] * (MAX_ATTEMPTS + 2))
    email, delivery_id = await sign_someone(client, pool)
    await drain()
    assert smtp.to(email) == []
    assert await delivery_row(pool, delivery_id) == {
        "status": "failed",
        "attempts": MAX_ATTEMPTS,
        "last_error": "SMTP 421 at data",
    }


def test_retries_back_off_with_jitter_up_to_an_hour() -> None:
    first = [retry_delay(1) for _ in range(200)]
    assert all(timedelta(seconds=15) <= d <= timedelta(seconds=30) for d in first)
    assert len(set(first)) > 100, "jitter spreads retries out"
    assert all(
        timedelta(minutes=30) <= retry_delay(attempt) <= timedelta(hours=1)
        for attempt in range(8, 20)
    )
    assert timedelta(seconds=30) < LEASE, "a lease outlives the SMTP client's own timeout"


async def test_the_queue_holds_ids_only(
    client: httpx.AsyncClient, pool: Pool, redis_client: redis.asyncio.Redis
) -> None:
    email, delivery_id = await sign_someone(client, pool)
    keys = [key async for key in redis_client.scan_iter()]
    assert keys
    for key in keys:
        kind = await redis_client.type(key)
        value = await redis_client.get(key) if kind == b"string" else b""
        members = await redis_client.zrange(key, 0, -1) if kind == b"zset" else []
        for blob in (key, value, *members):
            assert email.encode() not in blob
            assert b"Ana" not in blob
    job = await redis_client.get(f"arq:job:delivery:{delivery_id}:0")
    assert json.loads(job)["a"] == [[str(delivery_id)]], "the job is JSON, and carries ids"


async def test_a_refused_sender_waits_for_someone_to_fix_the_account(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    """A 5xx before any recipient (a refused login or sender) is about our own account, not
    this message: it is retried, not given up."""
    smtp.sender_script.append("553 5.7.1 Sender address not allowed")
    email, delivery_id = await sign_someone(client, pool)
    await drain()
    assert len(smtp.to(email)) == 1
    assert (await delivery_row(pool, delivery_id))["attempts"] == 2


async def test_a_worker_whose_lease_ran_out_records_nothing(
    client: httpx.AsyncClient, pool: Pool, settings: Settings
) -> None:
    _email, delivery_id = await sign_someone(client, pool)
    slow = await claim_delivery(pool, SystemClock(), delivery_id)
    assert slow is not None
    await pool.execute(
        "UPDATE deliveries SET lease_until = now() - interval '1 second' WHERE id = $1",
        delivery_id,
    )
    fast = await claim_delivery(pool, SystemClock(), delivery_id)
    assert fast is not None
    assert fast.attempts == slow.attempts + 1
    assert settings.redis_url is not None
    redis = await jobs.connect(settings.redis_url)
    queue = jobs.JobQueue(redis)
    clock = SystemClock()
    sent = Attempt(fast, SendResult(SendOutcome.SENT, "250"), clock.now())
    await record_attempts(pool, queue, [sent])
    late = Attempt(slow, SendResult(SendOutcome.TEMPORARY, "SMTP 451"), clock.now())
    await record_attempts(pool, queue, [late])
    await redis.aclose()
    assert await delivery_row(pool, delivery_id) == {
        "status": "sent",
        "attempts": 2,
        "last_error": None,
    }, "the late worker's failure does not undo the send"
