"""Trending clients and email domains: what a bot wave looks like from the inside.

Every minute the spotter counts each open action's last hour by client and by email domain
(each a keyed hash: a domain is named only on the abuse page, and only once many signed with
it), and keeps what crosses a threshold as an alert: the action's abuse page lists
it, the dashboard warns, and the campaigner can invalidate what it brought
(domain/signing/invalidations.py). Detection reads aggregates, never a single request (e-petitions'
trending jobs); it marks nothing by itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from campaign_engine.clock import Clock
from campaign_engine.db.personal import supporters
from campaign_engine.db.pool import Pool
from campaign_engine.db.signing import abuse
from campaign_engine.db.targets import targets as headings
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.models.targets import ActionHeading

log = logging.getLogger(__name__)

TREND_WINDOW = timedelta(hours=1)
# An office or a carrier's NAT puts a few dozen people behind one address; a script, hundreds.
CLIENT_TRENDING_PER_HOUR = 30
DOMAIN_TRENDING_PER_HOUR = 100
# The big mailbox providers: many people, not one operator. Never trending by themselves.
COMMON_DOMAINS = (
    "126.com", "163.com", "aol.com", "free.fr", "gmail.com", "gmx.de", "gmx.net",
    "googlemail.com", "hotmail.co.uk", "hotmail.com", "hotmail.fr", "icloud.com",
    "laposte.net", "libero.it", "live.com", "mac.com", "mail.ru", "me.com", "msn.com",
    "naver.com", "orange.fr", "outlook.com", "proton.me", "protonmail.com", "qq.com",
    "seznam.cz", "t-online.de", "web.de", "wp.pl", "yahoo.co.uk", "yahoo.com", "yahoo.fr",
    "yandex.ru", "ymail.com",
)  # fmt: skip
# The abuse page looks back a day; a domain shows there only once this many signed with it,
# since a domain of one person's own would say who they are.
REVIEW_WINDOW = timedelta(days=1)
DOMAIN_SHOWN_FROM = 5
DOMAINS_SHOWN = 10


async def spot_trends(pool: Pool, clock: Clock) -> int:
    """Record what trends now on open actions; the number of new alerts."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        trends = await abuse.find_trends(
            conn,
            now - TREND_WINDOW,
            CLIENT_TRENDING_PER_HOUR,
            DOMAIN_TRENDING_PER_HOUR,
            COMMON_DOMAINS,
        )
        new = await abuse.record_alerts(conn, trends, now) if trends else 0
    for trend in trends:
        # No subject: a client's hash means nothing in a log, and a domain may be someone's.
        log.warning(
            "action %d: a %s is trending, %d signatures in the last hour",
            trend.action_id,
            trend.kind,
            trend.signatures,
        )
    return new


@dataclass(frozen=True)
class DomainShare:
    name: str | None  # None: no signature still holds an address at it
    signatures: int


@dataclass(frozen=True)
class AbuseReview:
    """An action's abuse page: its last day, what trended, the domains most signed with."""

    action: ActionHeading
    activity: abuse.Activity
    alerts: list[abuse.Alert]
    domains: list[DomainShare]
    domain_names: dict[str, str]  # a domain alert's subject (its key in hex) -> the domain


async def review_abuse(pool: Pool, clock: Clock, slug: str, locale: str) -> AbuseReview:
    since = clock.now() - REVIEW_WINDOW
    async with pool.acquire() as conn:
        action = await headings.get_action_heading(conn, slug, locale)
        if action is None:
            raise ActionNotFound
        alerts = await abuse.list_alerts(conn, action.id, since)
        shares = await abuse.list_top_domains(
            conn, action.id, since, DOMAIN_SHOWN_FROM, DOMAINS_SHOWN
        )
        # Only keys many signed with are named: the top domains (five signers or more) and
        # what trended (a hundred in an hour).
        trended = [bytes.fromhex(alert.subject) for alert in alerts if alert.kind == "domain"]
        names = await supporters.name_email_domains(
            conn, action.id, since, [share.key for share in shares] + trended
        )
        return AbuseReview(
            action=action,
            activity=await abuse.get_activity(conn, action.id, since),
            alerts=alerts,
            domains=[DomainShare(names.get(share.key), share.signatures) for share in shares],
            domain_names={key.hex(): name for key, name in names.items()},
        )


async def alerts_on(pool: Pool, clock: Clock, action_id: int) -> int:
    """How many things trended on an action within the day."""
    async with pool.acquire() as conn:
        return await abuse.count_alerts(conn, action_id, clock.now() - REVIEW_WINDOW)
