"""A worker reduced to what the presence tests need, run as a process of its own:

    python -m tests.holder SENT NOTED DELIVERY_ID...

It registers as a worker (its lock held, a beat every second), claims the deliveries in its
own name, hands the texts of the first SENT of them to Twilio (noting each attempt first, as a
worker does), notes an attempt for the NOTED after them without sending (it "dies" in
between), prints "holding", and holds them until it is killed. It takes back nothing itself.
The environment is a worker's (DATABASE_URL, TWILIO_*, ...).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from uuid import UUID, uuid4

from campaign_engine.clock import SystemClock
from campaign_engine.db.pool import create_pool
from campaign_engine.domain.delivery.appeals import AppealLetter, appeal_letters
from campaign_engine.domain.delivery.deliveries import (
    HEARTBEAT,
    claim_deliveries,
    enlist_worker,
    keep_alive,
    note_text_attempt,
)
from campaign_engine.i18n import Catalogues
from campaign_engine.messages.appeals import compose_appeal_sms
from campaign_engine.messages.emails import MessageTemplates
from campaign_engine.senders.sms import TwilioSender
from campaign_engine.settings import Settings
from campaign_engine.templating import create_environment


async def hold(sent: int, noted: int, delivery_ids: list[UUID]) -> None:
    settings = Settings.from_environ()
    assert settings.database_url is not None
    worker_id, host, pid = uuid4(), socket.gethostname(), os.getpid()
    presence = await enlist_worker(settings.database_url, worker_id, host, pid)
    pool = await create_pool(settings.database_url, sealer=settings.sealer())
    clock = SystemClock()
    claimed = await claim_deliveries(pool, clock, delivery_ids, holder=worker_id)
    assert len(claimed) == len(delivery_ids)
    letters = await appeal_letters(pool, claimed[:sent], clock.now(), settings.same_appeals_per_day)
    templates = MessageTemplates(
        create_environment(settings.templates_dir), Catalogues(settings.locales_dir)
    )
    texter = TwilioSender(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_from,
        settings.twilio_api_base,
    )
    for delivery in claimed[:sent]:
        assert await note_text_attempt(pool, clock, delivery)
        letter = letters[delivery.id]
        assert isinstance(letter, AppealLetter)
        await texter.send(compose_appeal_sms(templates, settings, letter))
    for delivery in claimed[sent : sent + noted]:
        assert await note_text_attempt(pool, clock, delivery)
    print("holding", worker_id, flush=True)  # noqa: T201
    while True:
        await keep_alive(presence, worker_id, host, pid)
        await asyncio.sleep(HEARTBEAT.total_seconds())


if __name__ == "__main__":
    asyncio.run(hold(int(sys.argv[1]), int(sys.argv[2]), [UUID(id_) for id_ in sys.argv[3:]]))
