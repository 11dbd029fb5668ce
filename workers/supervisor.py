"""The worker process: arq's worker while the queue answers, and the same jobs run from
PostgreSQL while it does not (docs/operations.md, "When Valkey is down").

arq's worker lives and dies by Redis: any error from it (Redis restarting, gone, or hung once
reads time out) leaves its loop and would end the process, with nothing sent until someone
restarts it. Nothing the worker does needs Redis but the doorbell: due work is in PostgreSQL.
So the process runs arq's worker under this supervisor, which:

- runs the crons itself, always, on their own schedule (`_keep_time`): arq would queue them
  behind every job already waiting, and a surge's backlog of confirmations held the pacers,
  the sweeper and the schedules minutes late, then ran them in bursts;
- when arq's loop fails on Redis, says so once (jobs.Reachability) and runs here every job
  the crons and the sends ring for (the connection's `instead`): the sweeper finds what is
  due, and sending goes on;
- probes Redis with a backed-off, jittered, capped wait, and when it answers starts a fresh
  arq worker on the same connection, context and services.

A fresh arq worker, rather than the old one's loop entered again, because arq's `start_jobs`
takes a job slot and does not give it back when Redis fails under it: a worker object that
lived through an outage may have fewer slots, in the end none. A new one costs nothing; the
old one's running jobs end on their own. No subclass overriding arq's loop, which is private
and would drift from arq's: this uses only what arq offers (`async_run`, `ctx`, `on_startup`,
`handle_sig_wait_for_completion`, `close`).

Nothing is ever sent twice for this: every send starts with the outbox's claim in PostgreSQL
(a lease), the one guard against doubles, whoever rang and wherever the job runs.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any
from uuid import UUID

from arq import Worker
from arq.cron import CronJob
from arq.typing import StartupShutdown
from arq.worker import Function
from redis.exceptions import RedisError

from campaign_engine import jobs
from campaign_engine.jobs import QueueConnection, Unreachable
from campaign_engine.settings import Settings
from workers.main import FINISH_ON_STOP_SECONDS, PRODUCTION_CRONS, create_worker

log = logging.getLogger(__name__)

MEANWHILE = "sending from PostgreSQL meanwhile"
# How often, without the queue, a probe is considered and a stop noticed; arq itself polls
# every 0.5 s.
TICK_SECONDS = 0.5
# How often the crons' schedule is looked at: a round due at a whole second starts within
# this of it (the pacers' slots are a second apart).
ROUND_TICK_SECONDS = 0.1
# The probe writes, as the queue must: a Valkey that answers PING but refuses writes (out of
# memory under `noeviction`, a read-only replica) is still down for us, and a PING probe would
# hand it back to arq only to fail again at once, over and over.
PROBE_KEY = "arq:queue:probe"


class InProcessJobs:
    """Jobs run in this process because the queue could not take them: the functions arq
    would run, under the same time limits, at most as many at once as arq runs."""

    def __init__(self, ctx: dict[str, Any], max_jobs: int) -> None:
        self._ctx = ctx
        self._slots = asyncio.Semaphore(max_jobs)
        self._running: set[asyncio.Task[None]] = set()
        self._crons: dict[str, asyncio.Task[None]] = {}  # each cron's last run
        self._functions: dict[str, Function | CronJob] = {}
        self._default_timeout = 300.0
        self._taking = True  # until the process stops: then what rings waits for the sweeper

    def know(self, worker: Worker) -> None:
        """What the jobs are and how long each may run: arq's worker's own list."""
        self._functions = dict(worker.functions)
        self._default_timeout = worker.job_timeout_s or self._default_timeout

    # jobs.InProcess: what the queue's rings come to when Redis cannot take them.

    def send_deliveries(self, delivery_ids: list[UUID]) -> None:
        if self._taking:
            ids = [str(id_) for id_ in delivery_ids]
            self._start(self._functions[jobs.SEND_DELIVERIES], ids)

    def fan_out_update(self, mailing_id: int) -> None:
        if self._taking:
            self._start(self._functions[jobs.FAN_OUT_UPDATE], mailing_id)

    def fan_out_alert(self, action_id: int) -> None:
        if self._taking:
            self._start(self._functions[jobs.FAN_OUT_ALERT], action_id)

    def run_due_crons(self, crons: list[CronJob], now: datetime) -> None:
        """Each cron whose time has come, unless its last run is still going. The next time
        is counted from now, as arq would: an outage does not pile up missed rounds."""
        for cron_job in crons:
            if cron_job.next_run is None and not cron_job.run_at_startup:
                cron_job.calculate_next(now)
            if cron_job.next_run is not None and cron_job.next_run > now:
                continue
            cron_job.calculate_next(now)
            last = self._crons.get(cron_job.name)
            if last is None or last.done():
                self._crons[cron_job.name] = self._start(cron_job)

    async def finish(self, deadline: float) -> None:
        """Let running jobs end until `deadline` (the loop's time), then cut them short: a
        send cut short still records what it sent (workers/deliveries.py)."""
        self._taking = False
        if self._running:
            remaining = max(0.0, deadline - asyncio.get_running_loop().time())
            _, cut = await asyncio.wait(self._running, timeout=remaining)
            for task in cut:
                task.cancel()
            await asyncio.gather(*cut, return_exceptions=True)

    def _start(self, function: Function | CronJob, *args: Any) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._run(function, args))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def _run(self, function: Function | CronJob, args: tuple[Any, ...]) -> None:
        async with self._slots:
            try:
                async with asyncio.timeout(function.timeout_s or self._default_timeout):
                    await function.coroutine(self._ctx, *args)
            except Exception:
                # As arq does with a job that fails: say so, and go on with the others.
                log.exception("%s failed (run in this process)", function.name)


class Supervisor:
    """Runs arq workers on one connection and context while the queue answers, and the
    jobs in process while it does not, until stopped."""

    def __init__(
        self,
        make_worker: Callable[[dict[str, Any]], Worker],
        connection: QueueConnection,
        rounds: list[CronJob],
    ) -> None:
        self._make_worker = make_worker
        self._connection = connection
        # One context for every arq worker of the process, so what the start-up opens
        # (the services) is opened once; never empty, or arq would make its own.
        self._ctx: dict[str, Any] = {"redis": connection}
        self._startup: StartupShutdown | None = None
        self._shutdown: StartupShutdown | None = None
        self._worker = self._new_worker()
        self._here = InProcessJobs(self._ctx, self._worker.max_jobs)
        self._here.know(self._worker)
        connection.instead = self._here
        # The crons: slots of their own, so that no job, however many wait, delays a round.
        self._rounds = rounds
        self._rounds_here = InProcessJobs(self._ctx, max(len(rounds), 1))
        self._rounds_here.know(self._worker)
        self._retired: set[asyncio.Task[Any]] = set()  # the jobs of arq workers that failed
        self._stopping = asyncio.Event()
        self._stop_by: float | None = None

    async def serve(self) -> None:
        """Until `stop()`; then lets running jobs end (up to FINISH_ON_STOP_SECONDS) and
        closes what the start-up opened."""
        keeping_time = asyncio.create_task(self._keep_time())
        try:
            await self._run()
        finally:
            keeping_time.cancel()
            with suppress(asyncio.CancelledError):
                await keeping_time
            await self._close()

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """No new job from now on; the running ones may end (FINISH_ON_STOP_SECONDS)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._stop_by = asyncio.get_running_loop().time() + FINISH_ON_STOP_SECONDS
        main = self._worker.main_task
        if main is not None and not main.done():
            # arq's own graceful stop: it takes no new job, waits for its running ones,
            # then ends its loop, which ends ours.
            self._worker.handle_sig_wait_for_completion(sig)

    async def _run(self) -> None:
        reachability = self._connection.reachability
        while not self._stopping.is_set():
            try:
                await self._worker.async_run()
                return  # only a burst worker ends by itself
            except RedisError as error:
                reachability.failed(error)  # said once per outage
            except asyncio.CancelledError:
                if self._stopping.is_set() and not _being_cancelled():
                    return  # arq's graceful stop ended its loop
                raise
            self._retire(self._worker)
            if await self._without_the_queue():
                self._worker = self._new_worker()

    async def _without_the_queue(self) -> bool:
        """Runs the crons here until Redis answers a probe (True) or we are stopped."""
        if "services" not in self._ctx:  # Redis was down when the process started
            await self._start_once(self._ctx)
        reachability = self._connection.reachability
        while not self._stopping.is_set():
            if reachability.due():
                with suppress(Unreachable):
                    await reachability.call(self._probe)
                    return True  # reachability said so, once
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), TICK_SECONDS)
        return False

    async def _keep_time(self) -> None:
        """Each cron on its schedule, run here whether the queue answers or not, once the
        start-up has opened the services."""
        while not self._stopping.is_set():
            if "services" in self._ctx:
                now = datetime.now(tz=self._worker.timezone)
                self._rounds_here.run_due_crons(self._rounds, now)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), ROUND_TICK_SECONDS)

    async def _probe(self) -> None:
        await self._connection.set(PROBE_KEY, b"1", ex=60)

    def _new_worker(self) -> Worker:
        worker = self._make_worker(self._ctx)
        # Every worker's start-up would open the services again: the first one does.
        self._startup = self._startup or worker.on_startup
        self._shutdown = self._shutdown or worker.on_shutdown
        worker.on_startup = self._start_once
        return worker

    async def _start_once(self, ctx: dict[str, Any]) -> None:
        if "services" not in ctx and self._startup is not None:
            await self._startup(ctx)

    def _retire(self, worker: Worker) -> None:
        """A worker whose loop failed: its running jobs go on (their sends are recorded in
        PostgreSQL; only arq's bookkeeping of them may fail), and are waited for at the end."""
        for task in worker.tasks.values():
            if not task.done():
                self._retired.add(task)
                task.add_done_callback(self._retired.discard)
            _forget_error(task)
        worker.tasks.clear()

    async def _close(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = self._stop_by or loop.time() + FINISH_ON_STOP_SECONDS
        await self._here.finish(deadline)
        await self._rounds_here.finish(deadline)
        if self._retired:
            _, cut = await asyncio.wait(self._retired, timeout=max(0.0, deadline - loop.time()))
            for task in cut:
                task.cancel()
        self._retire(self._worker)  # arq's close would raise the failures of its jobs
        try:
            await self._worker.close()
        except (RedisError, OSError):
            # Redis is gone: arq's goodbye to it failed before it closed our services.
            if self._shutdown is not None:
                await self._shutdown(self._ctx)
            await self._connection.aclose()


def _forget_error(task: asyncio.Task[Any]) -> None:
    """A job whose arq bookkeeping failed with Redis: the failure is the outage already
    said; taken here so asyncio does not report it as never retrieved."""

    def take(done: asyncio.Task[Any]) -> None:
        if not done.cancelled() and done.exception() is not None:
            log.debug("a job's bookkeeping failed with the queue: %r", done.exception())

    task.add_done_callback(take)


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def supervised(
    settings: Settings, rounds: list[CronJob] | None = None, **arq_options: Any
) -> Supervisor:
    """The production worker, under its supervisor; signals are the caller's (`run_worker`).
    `rounds`: the crons it runs (the production ones unless a test gives its own)."""
    if settings.redis_url is None:
        raise ValueError("the worker needs REDIS_URL")
    connection = jobs.QueueConnection(settings.redis_url, MEANWHILE)

    def make_worker(ctx: dict[str, Any]) -> Worker:
        return create_worker(
            settings,
            connection=connection,
            ctx=ctx,
            handle_signals=False,
            crons=[],  # the supervisor runs them (`_keep_time`)
            **arq_options,
        )

    return Supervisor(make_worker, connection, PRODUCTION_CRONS if rounds is None else rounds)


async def run_worker(settings: Settings) -> None:
    """`campaign-engine worker`: until SIGTERM or SIGINT, then a graceful stop."""
    supervisor = supervised(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, supervisor.stop, sig)
    await supervisor.serve()
