"""Alerting the network: when an action opens, every member it matches hears of it once, in
the first language they read that it is published in, as often as they asked.

The campaigner plans it on the action's alert page (`/admin/actions/{slug}/alert`), seeing
whom it would reach: alert when the action opens (the default), some hours later, or not at
all. Opening the action (published now, or by its schedule) makes the alert due; a due alert
starts fanning out at its time (at once, or from the cron), and a worker writes one outbox row
per matching member, a batch at a time, recording in each batch's transaction the last member
it looked at: a fan-out cut short resumes there, and the unique index admits one alert per
action and member whatever ran before. The outbox sends each once.

Just before each email goes, the member is read again: one who left, or who has signed the
action meanwhile, gets nothing; nor does anyone once the action stops taking signatures.
Pausing the action's letters pauses its alerts too (the claim skips them until resumed).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import action_editing as editing
from campaign_engine.db.network import alerts
from campaign_engine.db.personal import member_phones
from campaign_engine.db.personal import recipients as personal_recipients
from campaign_engine.db.personal.member_phones import TextAlertRecipient
from campaign_engine.db.personal.recipients import AlertRecipient
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.doorbells import Doorbells, committed_then_rung, fan_out_in_batches
from campaign_engine.domain.errors import ActionNotFound, DomainError
from campaign_engine.domain.workspace import audit
from campaign_engine.i18n import is_supported
from campaign_engine.jobs import JobQueue
from campaign_engine.links import absolute_url
from campaign_engine.models.campaigns import ActionStatus
from campaign_engine.models.delivery import ChannelProgress, Delivery
from campaign_engine.models.network import (
    AlertAudience,
    AlertContent,
    AlertPlan,
    AlertState,
    AlertStatus,
    MemberStatus,
    TextsStatus,
)
from campaign_engine.models.workspace import Staff
from campaign_engine.security.tokens import Tokens

log = logging.getLogger(__name__)

# Members per statement: 200,000 members take a hundred round trips, each holding its locks
# for a moment only.
FAN_OUT_BATCH = 2000
# A fan-out touches its alert after every batch; one silent this long lost its job or worker.
STALLED_AFTER = timedelta(minutes=1)
# The longest delay a campaigner may choose: past a week, an urgent action is not news.
LONGEST_DELAY = timedelta(days=7)


# An alert can be planned until its action opens.
UNOPENED = frozenset({ActionStatus.DRAFT, ActionStatus.SCHEDULED})


class AlertAlreadyGone(DomainError):
    """The action has opened: its alert went (or was skipped) as planned then."""


class DelayOutOfRange(DomainError):
    """A delay below nothing or beyond a week."""


@dataclass(frozen=True)
class AlertPage:
    """An action's alert as the campaigner sees it: the plan, whom it would reach, and once
    it has started, its progress."""

    action_id: int
    slug: str
    code: str
    action_status: ActionStatus
    published: tuple[str, ...]  # the languages the action is published in now
    country: str  # the case's, "" for none
    region: str  # the case's country's region of the world, "" for none
    state: AlertState | None  # None: nothing chosen yet, the default plan holds
    audience: AlertAudience | None  # until it goes: once it has, its progress says more
    progress: tuple[ChannelProgress, ...]  # by channel, email first; () until it starts
    acted: int  # members alerted who have signed

    @property
    def plan(self) -> AlertPlan:
        return self.state.plan if self.state else AlertPlan()

    @property
    def status(self) -> AlertStatus:
        return _status(self.state, self.action_status)

    @property
    def running(self) -> bool:
        """Due, fanning out, or emails still waiting: the page refreshes itself."""
        waiting = any(channel.waiting > 0 for channel in self.progress)
        return self.status in (AlertStatus.DUE, AlertStatus.FANNING_OUT) or waiting


def _status(state: AlertState | None, action_status: ActionStatus) -> AlertStatus:
    """An action opened with no alert row (before the network existed) was not alerted."""
    if state is not None:
        return state.status
    return AlertStatus.PLANNED if action_status in UNOPENED else AlertStatus.SKIPPED


async def read_alert_page(pool: Pool, clock: Clock, slug: str) -> AlertPage:
    """The page's figures. Whom it would reach is counted over every member (a scan of the
    network), so only while that is still a question: before the alert goes."""
    async with pool.acquire() as conn:
        action = await editing.get_action_settings(conn, slug)
        if action is None:
            raise ActionNotFound
        state = await alerts.get_alert(conn, action.id)
        match = await alerts.get_action_match(conn, action.id)
        status = _status(state, action.status)
        audience = (
            await alerts.count_audience(conn, match, clock.now())
            if status in (AlertStatus.PLANNED, AlertStatus.DUE)
            else None
        )
        started = state is not None and state.status in (AlertStatus.FANNING_OUT, AlertStatus.DONE)
        progress, acted = await alerts.count_alert_progress(conn, action.id) if started else ((), 0)
    return AlertPage(
        action_id=action.id,
        slug=action.slug,
        code=action.code,
        action_status=action.status,
        published=tuple(match.published),
        country=match.country,
        region=match.region,
        state=state,
        audience=audience,
        progress=progress,
        acted=acted,
    )


async def plan_alert(pool: Pool, clock: Clock, actor: Staff, slug: str, plan: AlertPlan) -> None:
    """The campaigner's choice for the action's alert, until the action opens."""
    if not timedelta(0) <= plan.delay <= LONGEST_DELAY:
        raise DelayOutOfRange
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        action = await editing.get_action_settings(conn, slug, for_update=True)
        if action is None:
            raise ActionNotFound
        if action.status not in UNOPENED:
            raise AlertAlreadyGone
        if not await alerts.save_plan(conn, action.id, plan, actor.id, now):
            raise AlertAlreadyGone
        await audit.record(
            conn,
            actor.id,
            "network_alert.planned",
            now,
            ("action", action.id),
            alert=plan.alert,
            delay_minutes=int(plan.delay.total_seconds() // 60),
        )


async def alert_on_publication(
    conn: Connection, doorbells: Doorbells, action_id: int, now: datetime
) -> None:
    """The action has just opened (in the caller's transaction): its alert falls due, and
    starts now if no delay was chosen."""
    if await alerts.fall_due(conn, action_id, now) is AlertStatus.DUE:
        for started in await alerts.start_due(conn, now, action_id):
            doorbells.alert(started)


async def start_due_alerts(pool: Pool, queue: JobQueue, clock: Clock) -> int:
    """The cron's part: start every alert whose delay has run out."""
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        started = await alerts.start_due(conn, clock.now())
        for action_id in started:
            doorbells.alert(action_id)
    return len(started)


async def fan_out_alert(
    pool: Pool,
    queue: JobQueue,
    clock: Clock,
    action_id: int,
    *,
    batch_size: int = FAN_OUT_BATCH,
    max_batches: int | None = None,
) -> int:
    """Write the alert's deliveries, a batch at a time from where it stopped, waking the
    senders after each batch. Returns how many it wrote. `max_batches` stops early (the
    tests' crash)."""
    return await fan_out_in_batches(
        pool,
        queue,
        lambda conn: _fan_out_batch(conn, clock, action_id, batch_size),
        max_batches,
    )


async def _fan_out_batch(
    conn: Connection, clock: Clock, action_id: int, batch_size: int
) -> tuple[list[UUID], bool]:
    """(deliveries created, whether more may follow)."""
    state = await alerts.lock_unfinished_alert(conn, action_id)
    if state is None:  # finished, by this job earlier or by another
        return [], False
    if not state.action_open:  # closed or taken down meanwhile: nobody more is alerted
        await alerts.finish_alert(conn, action_id, clock.now())
        return [], False
    await alerts.lock_caps(conn)
    batch = await alerts.insert_alert_batch(conn, state, action_id, batch_size, clock.now())
    if batch.last is not None:
        await alerts.advance_alert(conn, action_id, batch, clock.now())
    if batch.looked_at < batch_size:
        await alerts.finish_alert(conn, action_id, clock.now())
        return batch.created, False
    return batch.created, True


async def resume_stalled_alerts(pool: Pool, queue: JobQueue, clock: Clock) -> int:
    """The sweeper's part: ask again for every fan-out that stopped before its end."""
    async with pool.acquire() as conn:
        stalled = await alerts.list_stalled_alerts(conn, clock.now() - STALLED_AFTER)
    for action_id in stalled:
        await queue.fan_out_alert(action_id, again=True)
    if stalled:
        log.info("resumed %d stalled alert fan-outs", len(stalled))
    return len(stalled)


def alert_locale(languages: Sequence[str], published: Sequence[str]) -> str | None:
    """The first language a member reads that the action is published in; None if none."""
    return next((locale for locale in languages if locale in published), None)


@dataclass(frozen=True)
class AlertMessage:
    """One alert as it leaves."""

    delivery_id: UUID
    to: str
    locale: str  # the whole alert's language: the first of the member's the action has
    code: str
    title: str
    summary: str
    deadline: datetime | None
    act_url: str  # the one-click act (web/public/act.py)
    action_url: str
    sheet_url: str  # the case sheet, to print and post a letter (web/public/case_sheets.py)
    member_url: str  # the member's own page: preferences, and leaving
    leave_url: str  # RFC 8058's one-click target


@dataclass(frozen=True)
class TextAlert:
    """One alert by text as it leaves: short, with the one-click link, and (when the member
    has signed before, so a name is known) the word to answer to sign."""

    delivery_id: UUID
    to: str
    locale: str
    code: str
    title: str
    act_url: str
    answer_to_sign: bool


async def alert_messages(
    pool: Pool, tokens: Tokens, base_url: str, deliveries: list[Delivery]
) -> dict[UUID, AlertMessage | TextAlert | str]:
    """The messages of several alert deliveries, by email or by text, by delivery: what to
    send, or why nothing is to be sent any more. A delivery whose member is gone is missing."""
    emails = [d.id for d in deliveries if d.channel == "email"]
    texts = [d.id for d in deliveries if d.channel != "email"]
    if not deliveries:
        return {}
    async with pool.acquire() as conn:
        found = await personal_recipients.list_alert_recipients(conn, emails) if emails else []
        texted = await member_phones.list_text_alert_recipients(conn, texts) if texts else []
        keys = [r.phone_key for r in texted if r.phone_key is not None]
        stopped = await personal_recipients.list_opted_out(conn, keys) if keys else set()
        action_ids = {r.action_id for r in found} | {r.action_id for r in texted}
        contents = await alerts.list_alert_contents(conn, list(action_ids))
    messages: dict[UUID, AlertMessage | TextAlert | str] = {
        r.delivery_id: _reason_not_to_send(r, contents.get(r.action_id))
        or _message(r, contents[r.action_id], tokens, base_url)
        for r in found
    }
    for t in texted:
        messages[t.delivery_id] = (
            _reason_not_to_send(t, contents.get(t.action_id))
            or _reason_not_to_text(t, stopped)
            or _text(t, contents[t.action_id], tokens, base_url)
        )
    return messages


def _reason_not_to_text(recipient: TextAlertRecipient, stopped: set[bytes]) -> str | None:
    if recipient.member_phone is None or recipient.texts != TextsStatus.ACTIVE:
        return "they stopped texts before it went"
    if recipient.phone_key in stopped:
        return "the number texted STOP"
    return None


def _text(
    recipient: TextAlertRecipient, content: AlertContent, tokens: Tokens, base_url: str
) -> TextAlert:
    locale, act_url = _act_link(recipient, content, tokens, base_url)
    assert recipient.member_phone is not None  # _reason_not_to_text said so
    return TextAlert(
        delivery_id=recipient.delivery_id,
        to=recipient.member_phone,
        locale=locale,
        code=content.code,
        title=content.texts[locale][0],
        act_url=act_url,
        answer_to_sign=recipient.name is not None,
    )


def _act_link(
    recipient: AlertRecipient | TextAlertRecipient,
    content: AlertContent,
    tokens: Tokens,
    base_url: str,
) -> tuple[str, str]:
    """(the alert's language: the first of the member's the action has, its one-click act)."""
    locale = alert_locale(recipient.languages, list(content.texts))
    assert locale is not None  # _reason_not_to_send said so
    act = tokens.act_token(recipient.supporter_id, content.action_id, locale)
    return locale, absolute_url(base_url, "act.act_page", token=act)


def _reason_not_to_send(
    recipient: AlertRecipient | TextAlertRecipient, content: AlertContent | None
) -> str | None:
    """Why this alert must not go out now (recorded as its error: never an address)."""
    if content is None:
        return "the action is gone"
    if not content.open:
        return "the action no longer takes signatures"
    if recipient.member_status != MemberStatus.ACTIVE:
        return "they left the network before it went"
    if recipient.signed:
        return "they signed the action before it went"
    if alert_locale(recipient.languages, list(content.texts)) is None:
        return "the action is no longer published in a language they read"
    return None


def _message(
    recipient: AlertRecipient, content: AlertContent, tokens: Tokens, base_url: str
) -> AlertMessage:
    locale, act_url = _act_link(recipient, content, tokens, base_url)
    title, summary = content.texts[locale]
    member_locale = recipient.member_locale if is_supported(recipient.member_locale) else locale
    member = tokens.network_token(recipient.supporter_id, member_locale)
    return AlertMessage(
        delivery_id=recipient.delivery_id,
        to=recipient.email,
        locale=locale,
        code=content.code,
        title=title,
        summary=summary,
        deadline=content.deadline,
        act_url=act_url,
        action_url=absolute_url(base_url, "pages.action_page", locale=locale, slug=content.slug),
        sheet_url=absolute_url(
            base_url, "case_sheets.case_sheet", locale=locale, slug=content.slug
        ),
        member_url=absolute_url(base_url, "network.member_page", token=member),
        leave_url=absolute_url(base_url, "network.leave_page", token=member),
    )
