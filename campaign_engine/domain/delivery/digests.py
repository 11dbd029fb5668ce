"""Digests: for an action set to write in digests, one message per official per period, saying
how many signed, from where, and the names of those who agreed to be named.

A digest is made once its period is over (and only if anyone signed in it), then waits for its
target's pacer like any appeal.

The day's repeats are a digest too: the appeals of an action that an official would have
received one by one after SAME_APPEALS_PER_DAY alike that UTC day (domain/delivery/appeals.py
folds them), named together once the day is over.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.delivery import appeals, pacing
from campaign_engine.db.delivery.appeals import AppealTarget, LetterText
from campaign_engine.db.personal import recipients
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.delivery.appeals import letter_locales, wake_pacers
from campaign_engine.formats.versions import model_letter
from campaign_engine.models.delivery import Delivery


async def create_due_digests(pool: Pool, clock: Clock) -> int:
    """The digests of every period that just ended; returns how many were made."""
    async with pool.acquire() as conn, conn.transaction():
        created = await appeals.insert_due_digests(conn, clock.now())
        for target_id, channel in created:
            await pacing.ensure_pacing(conn, target_id, channel)
    await wake_pacers(pool, created)
    return len(created)


@dataclass(frozen=True)
class DigestLetter:
    delivery_id: UUID
    channel: str
    locale: str
    to_name: str
    to_address: str
    address_ok: bool
    salutation: str | None
    subject: str
    body: str
    action_code: str
    start: datetime
    end: datetime
    total: int
    countries: list[tuple[str, int]]  # country code, signatures; most first
    names: list[tuple[str, str]]  # name, country code; those who agreed to be named
    as_csv: bool
    repeats: bool = False  # the day's appeals that read alike, rather than a period's all


async def create_due_repeats(pool: Pool, clock: Clock) -> int:
    """The messages of the days just over that had folded appeals; returns how many."""
    now = clock.now().astimezone(UTC)
    async with pool.acquire() as conn, conn.transaction():
        created = await appeals.insert_due_repeats(conn, datetime.combine(now.date(), time(), UTC))
        for target_id, channel in created:
            await pacing.ensure_pacing(conn, target_id, channel)
    await wake_pacers(pool, created)
    return len(created)


async def digest_letter(pool: Pool, delivery: Delivery) -> DigestLetter | None:
    async with pool.acquire() as conn:
        target = await appeals.get_appeal_target(conn, delivery.id)
        period = await appeals.get_digest_period(conn, delivery.id)
        if target is None or period is None:
            return None
        letter = await _letter(conn, target)
        signers = await recipients.list_digest_signers(
            conn, target.action_id, period.start, period.end
        )
    if letter is None or not signers:
        return None
    return _naming(delivery, target, letter, Period(period.start, period.end, period.csv), signers)


async def repeats_letter(pool: Pool, delivery: Delivery) -> DigestLetter | None:
    """The message naming a day's folded appeals to an official, in the letter's language."""
    async with pool.acquire() as conn:
        target = await appeals.get_appeal_target(conn, delivery.id)
        day = await appeals.get_repeats_day(conn, delivery.id)
        if target is None or day is None:
            return None
        letter = await _letter(conn, target)
        signers = await recipients.list_folded_signers(
            conn, day.action_id, day.target_id, day.channel, day.start
        )
    if letter is None or not signers:
        return None
    period = Period(day.start, day.start + timedelta(days=1), csv=False, repeats=True)
    return _naming(delivery, target, letter, period, signers)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    csv: bool
    repeats: bool = False


async def _letter(conn: Connection, target: AppealTarget) -> LetterText | None:
    """The model letter in the official's language, along the action's chain."""
    locales = letter_locales(target.preferred_locale, target.default_locale)
    return await appeals.get_letter(conn, target.action_id, locales)


def _naming(
    delivery: Delivery,
    target: AppealTarget,
    letter: LetterText,
    period: Period,
    signers: list[tuple[str | None, str]],
) -> DigestLetter:
    """A message to an official naming those who signed: how many, from where, the names of
    those who agreed to be named, and the letter they signed (its first versions)."""
    model = model_letter(letter.subject, letter.body)
    return DigestLetter(
        delivery_id=delivery.id,
        channel=delivery.channel,
        locale=letter.locale,
        to_name=target.name,
        to_address=target.address,
        address_ok=target.address_status == "ok",
        salutation=target.salutations.get(letter.locale),
        subject=model.subject,
        body=model.body,
        action_code=target.action_code,
        start=period.start,
        end=period.end,
        total=len(signers),
        countries=Counter(country for _name, country in signers).most_common(),
        names=[(name, country) for name, country in signers if name is not None],
        as_csv=period.csv,
        repeats=period.repeats,
    )
