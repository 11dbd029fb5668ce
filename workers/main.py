"""The arq worker: which jobs it runs, how often the crons run, what it opens at start."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from arq import Worker, cron
from arq.cron import CronJob
from arq.worker import func

from campaign_engine import jobs
from campaign_engine.clock import Clock, SystemClock
from campaign_engine.db.pool import create_pool
from campaign_engine.domain.delivery import deliveries
from campaign_engine.domain.delivery.context import Sending
from campaign_engine.domain.delivery.sending import IncompleteRegistry, check_registries
from campaign_engine.i18n import Catalogues
from campaign_engine.messages.emails import MessageTemplates
from campaign_engine.security.tokens import Tokens
from campaign_engine.senders.email import SEND_TIMEOUT_SECONDS, Mailer, SmtpMailer, SmtpServer
from campaign_engine.senders.sms import DevSmsBox, NoSms, SmsSender, TwilioSender
from campaign_engine.senders.webhooks import WebhookSender
from campaign_engine.settings import Settings
from campaign_engine.templating import create_environment
from workers.context import Presence, WorkerServices
from workers.deliveries import send_deliveries
from workers.network import (
    fan_out_network_alert,
    make_weekly_network_emails,
    resume_network_alerts,
    start_network_alerts,
)
from workers.outage import outage_of, through_outages
from workers.privacy import keep_retention
from workers.schedules import apply_action_schedules, remind_unconfirmed_signers
from workers.sweeper import make_digests, pace_appeals, sweep_outbox
from workers.trends import spot_abuse_trends
from workers.updates import fan_out_update, resume_update_fan_outs

# Longer than a batch may take (its sends start within 30 s and end within 40 s); arq treats
# a timeout as a final failure, so it must never be the thing that ends a send (the outbox
# lease and the sweeper handle a stuck one).
JOB_TIMEOUT_SECONDS = 120
# On SIGTERM or SIGINT the worker takes no new job and lets running batches end (sent, and
# recorded) before it stops: give its container a stop grace period longer than this.
FINISH_ON_STOP_SECONDS = 75
# Sends in flight at once per worker process: as many connections to the mail relay (each
# kept for the next message) or requests to Twilio. Past this, rows wait their turn.
SEND_SLOTS = 16
# A send must end inside its row's lease, or another worker could take the row and send it
# again: a row whose send cannot start this soon after the claim (every slot busy) is handed
# back, and a send ends within SEND_TIMEOUT_SECONDS of its start.
START_WITHIN_SECONDS = deliveries.LEASE.total_seconds() - SEND_TIMEOUT_SECONDS - 20
# Job ids arq reads from the queue per poll, oldest first. A worker killed mid-batch leaves
# its jobs marked running for the job timeout (and ten seconds); arq's default (100) would let
# a dozen crashes in two minutes fill the whole read with them, and nothing else would start
# until they expired. Their rows are taken back and rung for under new ids (Presence).
QUEUE_READ_LIMIT = 1000
# Writing 20,000 deliveries takes seconds; a million, a few minutes. One cut short resumes.
FAN_OUT_TIMEOUT_SECONDS = 600
HEALTH_CHECK_SECONDS = 5
# What a worker outside the supervisor (a test's burst worker) says of an outage.
BURST_MEANWHILE = "the sweeper rings again for what could not be queued"
SWEEP_EVERY_SECONDS = {0, 15, 30, 45}
EVERY_SECOND = set(range(60))


PRODUCTION_CRONS = [
    cron(through_outages(sweep_outbox), second=SWEEP_EVERY_SECONDS, run_at_startup=True),
    # Pacers release appeals on their slots; every second keeps them to the second.
    cron(through_outages(pace_appeals), second=EVERY_SECOND, run_at_startup=True),
    cron(through_outages(make_digests), second={5}, run_at_startup=True),
    # Updates to supporters: a fan-out whose job was lost is asked for again.
    cron(through_outages(resume_update_fan_outs), second=SWEEP_EVERY_SECONDS, run_at_startup=True),
    # Alerts to the network: those whose delay ran out start; a lost fan-out is asked again.
    cron(through_outages(start_network_alerts), second=SWEEP_EVERY_SECONDS, run_at_startup=True),
    cron(through_outages(resume_network_alerts), second=SWEEP_EVERY_SECONDS, run_at_startup=True),
    # The network's weekly email: made once its Monday moment has passed; hourly is prompt.
    cron(
        through_outages(make_weekly_network_emails), minute={23}, second={30}, run_at_startup=True
    ),
    # Actions: scheduled ones open, open ones close at their deadline.
    cron(through_outages(apply_action_schedules), second=SWEEP_EVERY_SECONDS, run_at_startup=True),
    # One reminder for each signature a day unconfirmed; every minute is prompt enough.
    cron(through_outages(remind_unconfirmed_signers), second={50}, run_at_startup=True),
    # Bot waves: trending clients and email domains, counted over each open action's hour.
    cron(through_outages(spot_abuse_trends), second={20}, run_at_startup=True),
    # Retention: anonymise what is past its time, forget client keys; every hour is plenty.
    cron(through_outages(keep_retention), minute={7}, second={40}, run_at_startup=True),
]


def texter_for(settings: Settings) -> SmsSender:
    """Twilio when configured; in development without it, the box shown at /dev/sms."""
    if settings.sends_sms:
        return TwilioSender(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_from,
            settings.twilio_api_base,
        )
    if settings.is_development:
        return DevSmsBox(settings.smsbox_dir)
    return NoSms()


def create_worker(
    settings: Settings,
    *,
    mailer: Mailer | None = None,
    texter: SmsSender | None = None,
    clock: Clock | None = None,
    retry_delay: Callable[[int], timedelta] = deliveries.retry_delay,
    crons: list[CronJob] | None = None,
    handle_signals: bool = True,
    connection: jobs.QueueConnection | None = None,
    max_jobs: int = 10,
    **arq_options: Any,
) -> Worker:
    """The worker. Tests pass their own `crons` (a burst worker ends only once the queue is
    empty, which a cron every second never lets happen) and, in `arq_options`, `burst` and a
    short `poll_delay`. `campaign-engine worker` runs it under workers/supervisor.py, which
    passes the process's `connection` and rides out the queue's outages."""
    if settings.database_url is None or settings.redis_url is None or settings.smtp_url is None:
        raise ValueError("the worker needs DATABASE_URL, REDIS_URL and SMTP_URL")
    database_url = settings.database_url
    the_mailer = mailer or SmtpMailer(SmtpServer.from_url(settings.smtp_url))
    the_texter = texter or texter_for(settings)

    async def startup(ctx: dict[str, Any]) -> None:
        queue = jobs.JobQueue(ctx["redis"])
        the_clock = clock or SystemClock()
        pool = await create_pool(database_url, sealer=settings.sealer())
        try:  # a kind or a channel half declared: said now, before anything is claimed
            await check_registries(pool)
        except IncompleteRegistry:
            await pool.close()
            raise
        # Registered before any job runs: every row this process claims names it, and the
        # rows of workers that died are taken back from its first beat on. Once a process.
        if "presence" not in ctx:
            started = Presence(database_url, queue, the_clock, outage_of(ctx))
            await started.start()
            ctx["presence"] = started
        presence: Presence = ctx["presence"]
        tokens = Tokens(settings.secret_key)
        ctx["services"] = WorkerServices(
            settings=settings,
            pool=pool,
            queue=queue,
            tokens=tokens,
            clock=the_clock,
            sending=Sending(
                settings=settings,
                pool=pool,
                queue=queue,
                templates=MessageTemplates(
                    create_environment(settings.templates_dir, reload=settings.is_development),
                    Catalogues(settings.locales_dir),
                ),
                tokens=tokens,
                clock=the_clock,
                mailer=the_mailer,
                texter=the_texter,
                poster=WebhookSender(),
                retry_delay=retry_delay,
                send_slots=asyncio.Semaphore(SEND_SLOTS),
                start_within=START_WITHIN_SECONDS,
                worker_id=presence.worker_id,
            ),
        )

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "presence" in ctx:  # leaving: what it still holds is taken back at once
            await ctx["presence"].stop()
        if "services" in ctx:
            sending: Sending = ctx["services"].sending
            await sending.pool.close()
            await sending.texter.close()
            await sending.mailer.close()
            await sending.poster.close()

    return Worker(
        functions=[
            func(
                through_outages(send_deliveries),
                name=jobs.SEND_DELIVERIES,
                timeout=JOB_TIMEOUT_SECONDS,
            ),
            # Updates to supporters: a fan-out commits every batch, so a timeout loses nothing.
            func(
                through_outages(fan_out_update),
                name=jobs.FAN_OUT_UPDATE,
                timeout=FAN_OUT_TIMEOUT_SECONDS,
            ),
            func(
                through_outages(fan_out_network_alert),
                name=jobs.FAN_OUT_ALERT,
                timeout=FAN_OUT_TIMEOUT_SECONDS,
            ),
        ],
        cron_jobs=PRODUCTION_CRONS if crons is None else crons,
        on_startup=startup,
        on_shutdown=shutdown,
        # Our connection, not arq's: it connects when first used (arq's pings at start,
        # retries once, then gives up) and bounds every answer (arq's waits forever).
        redis_pool=connection or jobs.QueueConnection(settings.redis_url, BURST_MEANWHILE),
        job_serializer=jobs.serialize,
        job_deserializer=jobs.deserialize,
        keep_result=0,  # the outcome lives in PostgreSQL; Redis keeps nothing of a job
        # Ten batches of 100 keep the 16 sending slots busy; more would claim rows that can
        # only wait for a slot and be handed back.
        max_jobs=max_jobs,
        queue_read_limit=QUEUE_READ_LIMIT,
        # arq writes its health to the queue this often: the one write its loop makes now that
        # the crons run outside it (workers/supervisor.py), so a queue that refuses writes is
        # noticed within seconds, not at the next ring.
        health_check_interval=HEALTH_CHECK_SECONDS,
        job_completion_wait=FINISH_ON_STOP_SECONDS,
        handle_signals=handle_signals,
        **arq_options,
    )
