"""Counts for an action's dashboard: how many signed, when, from where, through whom.

Aggregates only: nothing here reads a name, an address or a message. Each query reads the
action's signatures once, through the (action_id, supporter_id) index.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models.campaigns import ActionStatus, DashboardAction
from campaign_engine.models.signing import ActivityCount, SignatureTally, SignatureTimes

# The title comes in the reader's language when there is one, published or not (this is the
# workspace), else in the action's own.
SELECT_DASHBOARD_ACTION = """
SELECT a.id, a.slug, a.code, a.status, a.deadline, a.goal, a.delivery_paused, a.default_locale,
       ARRAY(SELECT locale FROM action_translations
             WHERE action_id = a.id AND published ORDER BY locale) AS published_locales,
       coalesce(t.locale, a.default_locale) AS locale, coalesce(t.title, a.code) AS title
FROM actions a
LEFT JOIN LATERAL (
    SELECT locale, title FROM action_translations
    WHERE action_id = a.id AND locale IN ($2, a.default_locale)
    ORDER BY locale = $2 DESC
    LIMIT 1
) t ON true
WHERE a.slug = $1
"""


async def get_dashboard_action(conn: Connection, slug: str, locale: str) -> DashboardAction | None:
    row = await conn.fetchrow(SELECT_DASHBOARD_ACTION, slug, locale)
    if row is None:
        return None
    return from_row(
        DashboardAction,
        row,
        status=ActionStatus(row["status"]),
        published_locales=tuple(row["published_locales"]),
    )


SELECT_ACTION_ID = "SELECT id FROM actions WHERE slug = $1"


async def get_action_id(conn: Connection, slug: str) -> int | None:
    action_id: int | None = await conn.fetchval(SELECT_ACTION_ID, slug)
    return action_id


# Every breakdown in one pass: a grouping set per dimension, and () for the whole action.
# Erased signatures are counted nowhere: they no longer exist for anyone. A partner shows by
# its name; a signature credited before partners had records, by the code it came with.
SELECT_SIGNATURE_TALLIES = """
SELECT CASE WHEN GROUPING(s.country) = 0 THEN 'country'
            WHEN GROUPING(s.locale) = 0 THEN 'language'
            WHEN GROUPING(s.source) = 0 THEN 'source'
            WHEN GROUPING(coalesce(p.name, s.partner)) = 0 THEN 'partner'
            ELSE 'all' END AS dimension,
       CASE WHEN GROUPING(s.country) = 0 THEN s.country::text
            WHEN GROUPING(s.locale) = 0 THEN s.locale
            WHEN GROUPING(s.source) = 0 THEN s.source
            WHEN GROUPING(coalesce(p.name, s.partner)) = 0
            THEN coalesce(p.name, s.partner) END AS value,
       count(*) FILTER (WHERE s.status = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE s.status = 'pending') AS pending,
       count(*) FILTER (WHERE s.status = 'invalidated') AS invalidated
FROM signatures s
LEFT JOIN partners p ON p.id = s.partner_id
WHERE s.action_id = $1 AND s.status <> 'erased'
GROUP BY GROUPING SETS ((s.country), (s.locale), (s.source), (coalesce(p.name, s.partner)), ())
"""


async def list_signature_tallies(conn: Connection, action_id: int) -> list[SignatureTally]:
    return [
        from_row(SignatureTally, row)
        for row in await conn.fetch(SELECT_SIGNATURE_TALLIES, action_id)
    ]


SELECT_SIGNATURE_TIMES = """
SELECT min(created_at) AS first_signed_at,
       greatest(max(created_at), max(confirmed_at)) AS last_activity_at,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY confirmed_at - created_at)
           FILTER (WHERE status = 'confirmed') AS median_to_confirm
FROM signatures
WHERE action_id = $1 AND status IN ('pending', 'confirmed')
"""


async def get_signature_times(conn: Connection, action_id: int) -> SignatureTimes:
    row = await conn.fetchrow(SELECT_SIGNATURE_TIMES, action_id)
    assert row is not None  # an aggregate always answers
    return from_row(SignatureTimes, row)


# Per period (`$2`: 'hour', 'day', 'week' or 'month', cut in UTC, the pool's time zone):
# confirmations made in it, and signatures made in it that still await confirmation. Periods
# with neither are missing; the caller fills them in.
SELECT_ACTIVITY = """
SELECT date_trunc($2, CASE WHEN status = 'confirmed' THEN confirmed_at ELSE created_at END)
           AS start,
       count(*) FILTER (WHERE status = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE status = 'pending') AS pending
FROM signatures
WHERE action_id = $1 AND status IN ('confirmed', 'pending')
GROUP BY 1
ORDER BY 1
"""


async def list_activity(conn: Connection, action_id: int, period: str) -> list[ActivityCount]:
    return [
        from_row(ActivityCount, row) for row in await conn.fetch(SELECT_ACTIVITY, action_id, period)
    ]


@dataclass(frozen=True)
class AppealVariety:
    """How alike an action's appeals were (formats/versions.py): counts only."""

    written: int  # appeals written to go alone
    personal: int  # of them, with a message of the signer's own
    combinations: int  # different combinations of versions they carried
    most_alike: int  # the most appeals that carried one combination
    folded: int  # appeals named in a day's repeats instead
    by_supporter: int  # appeals the supporter sent from their own mailbox
    letter_subject: str  # the action's own letter, to count the combinations it offers
    letter_body: str


# An appeal's combination, and whether it carried a personal message, are recorded when it is
# written (domain/delivery/appeals.py).
SELECT_APPEAL_VARIETY = """
SELECT count(*) FILTER (WHERE d.variant IS NOT NULL AND d.status <> 'folded') AS written,
       count(*) FILTER (WHERE d.variant IS NOT NULL AND d.status <> 'folded' AND d.personal)
           AS personal,
       count(DISTINCT d.variant) FILTER (WHERE d.status <> 'folded') AS combinations,
       coalesce((SELECT max(n) FROM (SELECT count(*) AS n FROM deliveries
                                     WHERE action_id = $1 AND kind = 'appeal'
                                       AND variant IS NOT NULL AND status <> 'folded'
                                     GROUP BY variant) alike), 0) AS most_alike,
       count(*) FILTER (WHERE d.status = 'folded') AS folded,
       count(*) FILTER (WHERE d.by_supporter) AS by_supporter,
       coalesce(own.letter_subject, '') AS letter_subject,
       coalesce(own.letter_body, '') AS letter_body
FROM actions a
LEFT JOIN action_translations own ON own.action_id = a.id AND own.locale = a.default_locale
LEFT JOIN deliveries d ON d.action_id = a.id AND d.kind = 'appeal'
                      AND (d.variant IS NOT NULL OR d.by_supporter)
WHERE a.id = $1
GROUP BY own.letter_subject, own.letter_body
"""


async def get_appeal_variety(conn: Connection, action_id: int) -> AppealVariety:
    row = await conn.fetchrow(SELECT_APPEAL_VARIETY, action_id)
    return AppealVariety(0, 0, 0, 0, 0, 0, "", "") if row is None else from_row(AppealVariety, row)
