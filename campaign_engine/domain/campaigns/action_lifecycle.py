"""An urgent action's lifecycle: `draft → scheduled → open → closed → archived`, and the
takedown (`removed`) from anywhere, undone by a restore to `closed`. Opening it, now or by its
schedule, alerts the network as planned (domain/network/alerts.py).

Each change is one verb that refuses to start from a status it does not know how to leave,
and records itself in the audit log. `apply_schedules` is the clock's own hand: it opens what
was scheduled and closes what reached its deadline (a cron runs it every 15 s; signing checks
the deadline itself, so nobody signs late while the cron is behind).
"""

from __future__ import annotations

from dataclasses import dataclass

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import action_editing as editing
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.campaigns.action_editing import ChangeRefused
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.domain.integrations.webhooks import tell
from campaign_engine.domain.network.alerts import alert_on_publication
from campaign_engine.domain.workspace import audit
from campaign_engine.jobs import JobQueue
from campaign_engine.models.campaigns import ActionSettings, ActionStatus
from campaign_engine.models.integrations import WebhookEventType
from campaign_engine.models.workspace import Staff

DRAFT, SCHEDULED, OPEN = ActionStatus.DRAFT, ActionStatus.SCHEDULED, ActionStatus.OPEN
CLOSED, ARCHIVED, REMOVED = ActionStatus.CLOSED, ActionStatus.ARCHIVED, ActionStatus.REMOVED

# Where each change may start from.
ALLOWED_FROM: dict[str, frozenset[ActionStatus]] = {
    "publish": frozenset({DRAFT, SCHEDULED}),
    "schedule": frozenset({DRAFT}),
    "close": frozenset({OPEN}),
    "reopen": frozenset({CLOSED}),
    "archive": frozenset({CLOSED}),
    "remove": frozenset(set(ActionStatus) - {REMOVED}),
    "restore": frozenset({REMOVED}),
}


@dataclass(frozen=True)
class ScheduleRun:
    opened: list[str]  # codes of the actions opened
    closed: list[str]  # codes of the actions closed


async def publish_action(
    pool: Pool, clock: Clock, actor: Staff, slug: str, queue: JobQueue | None = None
) -> None:
    """Open the action now. Its own language must be published, its deadline ahead."""
    now = clock.now()
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        action = await _leaving(conn, slug, "publish")
        await _refuse_unpublished_source(conn, action)
        if action.deadline is not None and action.deadline <= now:
            raise ChangeRefused("deadline_past")
        await editing.set_status(conn, action.id, OPEN, now)
        await audit.record(
            conn, actor.id, "action.published", now, ("action", action.id), previous=action.status
        )
        doorbells.deliveries(await tell(conn, WebhookEventType.ACTION_PUBLISHED, action.id, now))
        await alert_on_publication(conn, doorbells, action.id, now)


async def schedule_action(pool: Pool, clock: Clock, actor: Staff, slug: str) -> None:
    """Open the action by itself at its publication time (set in its settings)."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        action = await _leaving(conn, slug, "schedule")
        await _refuse_unpublished_source(conn, action)
        if action.publish_at is None:
            raise ChangeRefused("publish_at_needed")
        if action.publish_at <= now:
            raise ChangeRefused("publish_at_past")
        if action.deadline is not None and action.deadline <= action.publish_at:
            raise ChangeRefused("deadline_before_publication")
        await editing.set_status(conn, action.id, SCHEDULED, now)
        await audit.record(
            conn,
            actor.id,
            "action.scheduled",
            now,
            ("action", action.id),
            publish_at=action.publish_at.isoformat(),
        )


async def close_action(
    pool: Pool, clock: Clock, actor: Staff, slug: str, queue: JobQueue | None = None
) -> None:
    closing = WebhookEventType.ACTION_CLOSED
    await _move(pool, clock, actor, slug, "close", CLOSED, "action.closed", closing, queue)


async def reopen_action(pool: Pool, clock: Clock, actor: Staff, slug: str) -> None:
    """Take signatures again, if the deadline (when there is one) is still ahead."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        action = await _leaving(conn, slug, "reopen")
        if action.deadline is not None and action.deadline <= now:
            raise ChangeRefused("deadline_past")
        await editing.set_status(conn, action.id, OPEN, now)
        await audit.record(conn, actor.id, "action.reopened", now, ("action", action.id))


async def archive_action(pool: Pool, clock: Clock, actor: Staff, slug: str) -> None:
    await _move(pool, clock, actor, slug, "archive", ARCHIVED, "action.archived")


async def remove_action(
    pool: Pool, clock: Clock, actor: Staff, slug: str, typed_code: str, reason: str
) -> None:
    """Take the action down everywhere (410 on every page, the API and embeds). The campaigner
    types its code to confirm; the reason stays in the audit log."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        action = await _leaving(conn, slug, "remove")
        if " ".join(typed_code.split()).casefold() != action.code.casefold():
            raise ChangeRefused("confirmation_mismatch")
        await editing.set_status(conn, action.id, REMOVED, now)
        await audit.record(
            conn,
            actor.id,
            "action.removed",
            now,
            ("action", action.id),
            previous=action.status,
            reason=reason,
        )


async def restore_action(pool: Pool, clock: Clock, actor: Staff, slug: str) -> None:
    """Bring a removed action back, closed: a campaigner reopens it on purpose, if at all."""
    await _move(pool, clock, actor, slug, "restore", CLOSED, "action.restored")


async def _move(
    pool: Pool,
    clock: Clock,
    actor: Staff,
    slug: str,
    change: str,
    status: ActionStatus,
    verb: str,
    telling: WebhookEventType | None = None,
    queue: JobQueue | None = None,
) -> None:
    """Change the status; `telling`: the webhook event it is, rung for once committed."""
    now = clock.now()
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        action = await _leaving(conn, slug, change)
        await editing.set_status(conn, action.id, status, now)
        await audit.record(conn, actor.id, verb, now, ("action", action.id))
        if telling is not None:
            doorbells.deliveries(await tell(conn, telling, action.id, now))


async def _leaving(conn: Connection, slug: str, change: str) -> ActionSettings:
    """The action, locked, if `change` may start from its status."""
    action = await editing.get_action_settings(conn, slug, for_update=True)
    if action is None:
        raise ActionNotFound
    if action.status not in ALLOWED_FROM[change]:
        raise ChangeRefused("wrong_status", action.status)
    return action


async def _refuse_unpublished_source(conn: Connection, action: ActionSettings) -> None:
    texts = await editing.list_action_texts(conn, action.id)
    if not any(t.locale == action.default_locale and t.published for t in texts):
        raise ChangeRefused("source_unpublished")


async def apply_schedules(pool: Pool, clock: Clock, queue: JobQueue | None = None) -> ScheduleRun:
    """Open the scheduled actions whose publication time has come, then close the open ones
    whose deadline has passed; the system (no campaigner) is recorded as having done it."""
    now = clock.now()
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        opened = await editing.open_due_actions(conn, now)
        for action_id, _code in opened:
            await audit.record(
                conn, None, "action.published", now, ("action", action_id), scheduled=True
            )
            doorbells.deliveries(
                await tell(conn, WebhookEventType.ACTION_PUBLISHED, action_id, now)
            )
            await alert_on_publication(conn, doorbells, action_id, now)
        closed = await editing.close_expired_actions(conn, now)
        for action_id, _code in closed:
            await audit.record(
                conn, None, "action.closed", now, ("action", action_id), deadline=True
            )
            told = await tell(conn, WebhookEventType.ACTION_CLOSED, action_id, now)
            doorbells.deliveries(told)
    return ScheduleRun([code for _id, code in opened], [code for _id, code in closed])
