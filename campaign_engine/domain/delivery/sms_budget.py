"""SMS pumping protection (reliability.md §2.4, B5): before any text goes to Twilio, its
number must be a mobile one in a country we text; and before a text to a supporter goes, that
number must not have had its day's share, nor the organisation's daily budget be spent.

Pumping makes a sender text number ranges whose operators pay the fraudster per message. Our
numbers come from campaigners (officials) and from supporters who confirmed by email and asked
for texts; a wave of robots with a catch-all domain can sign up numbers of its choosing.

- Every text: the destination's country is in SMS_COUNTRIES (when set), and it is never a
  premium-rate, shared-cost, pager or voicemail range; a supporter's number must moreover be
  a known mobile one (not toll free, not fixed, not an unknown range).
- Texts to supporters (numbers anyone can type): at most SMS_PER_NUMBER_PER_DAY to one number
  a UTC day, and at most SMS_DAILY_BUDGET a UTC day in all; a warning is logged at 80 %.
  Officials' numbers are the campaigners' own choice, already held to each official's pace
  (max per hour and per day), so a big campaign's appeals are not stopped by a budget.

A text refused for its number fails for good, without a call to Twilio. A text over a budget
waits for the next UTC day, without spending any of its attempts: nothing is lost. A slot is
spent only by a text Twilio took (or may have taken); a refused or failed send gives it back.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import phonenumbers
from phonenumbers import PhoneNumberType

from campaign_engine.clock import Clock
from campaign_engine.db.delivery import sms_budget
from campaign_engine.db.pool import Pool
from campaign_engine.models.delivery import SendOutcome, SendResult
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings

log = logging.getLogger(__name__)

TEXTABLE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
# Ranges that cost the sender or cannot take a text: never, whoever chose the number.
NEVER_TEXTED = frozenset(
    {
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.UAN,
        PhoneNumberType.PAGER,
        PhoneNumberType.VOICEMAIL,
    }
)
WARN_AT = 0.8


@dataclass(frozen=True)
class Held:
    """Not now: try again at `until` (the next UTC day), for `reason`."""

    until: datetime
    reason: str


@dataclass(frozen=True)
class SmsPolicy:
    countries: frozenset[str]  # ISO 3166 codes; empty: any country
    per_number_per_day: int
    daily_budget: int

    @classmethod
    def of(cls, settings: Settings) -> SmsPolicy:
        return cls(
            settings.sms_countries, settings.sms_per_number_per_day, settings.sms_daily_budget
        )


def refusal(policy: SmsPolicy, to: str, *, supporter: bool = True) -> str | None:
    """Why this number is never to be texted, or None. A supporter's number (anyone could
    have typed it) must be a known mobile one; an official's, chosen by a campaigner, only
    never a range that costs us (a number the library does not know, new or fictional like the
    demo's, is left for Twilio to judge)."""
    try:
        number = phonenumbers.parse(to)
    except phonenumbers.NumberParseException:
        return "sms destination not a number"
    if policy.countries and phonenumbers.region_code_for_number(number) not in policy.countries:
        return "sms destination country not allowed"
    kind = phonenumbers.number_type(number)
    if kind in NEVER_TEXTED or (supporter and kind not in TEXTABLE_TYPES):
        return "sms destination not a mobile number"
    return None


async def take_slot(
    pool: Pool, clock: Clock, tokens: Tokens, policy: SmsPolicy, to: str, *, budgeted: bool
) -> SendResult | Held | None:
    """None: send it (for a `budgeted` text, a slot is taken: give it back with
    `give_back_slot` if the send fails). A SendResult: record it instead of sending. Held: wait
    for the next day."""
    refused = refusal(policy, to, supporter=budgeted)
    if refused is not None:
        return SendResult(SendOutcome.PERMANENT, refused)
    if not budgeted:
        return None
    day = clock.now().date()
    key = tokens.phone_key(to)
    async with pool.acquire() as conn, conn.transaction():
        await sms_budget.lock_day(conn, day)
        sent_today, sent_to_number = await sms_budget.count_sent(conn, day, key)
        tomorrow = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
        if sent_today >= policy.daily_budget:
            return Held(tomorrow, "sms daily budget spent")
        if sent_to_number >= policy.per_number_per_day:
            return Held(tomorrow, "sms number had its share today")
        await sms_budget.add_sent(conn, day, key)
    if sent_today + 1 == math.ceil(policy.daily_budget * WARN_AT):
        log.warning("%d of today's %d texts are spent", sent_today + 1, policy.daily_budget)
    return None


async def give_back_slot(pool: Pool, clock: Clock, tokens: Tokens, to: str) -> None:
    """A budgeted text that did not go (refused, or failed for now) spends nothing."""
    async with pool.acquire() as conn:
        await sms_budget.remove_sent(conn, clock.now().date(), tokens.phone_key(to))
