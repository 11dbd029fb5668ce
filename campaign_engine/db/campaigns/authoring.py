"""Writing campaign content: cases, actions, their translations, targets. Every write is an
upsert by a stable key (slug, external id), so loading the same content twice changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from campaign_engine.db.pool import Connection

UPSERT_CASE = """
INSERT INTO cases (slug, country, risk_category, status, default_locale)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (slug) DO UPDATE
SET country = EXCLUDED.country, risk_category = EXCLUDED.risk_category,
    status = EXCLUDED.status, default_locale = EXCLUDED.default_locale, updated_at = now()
RETURNING id
"""


async def upsert_case(
    conn: Connection,
    *,
    slug: str,
    country: str | None,
    risk_category: str,
    status: str,
    default_locale: str,
) -> int:
    case_id: int = await conn.fetchval(
        UPSERT_CASE, slug, country, risk_category, status, default_locale
    )
    return case_id


UPSERT_CASE_TRANSLATION = """
INSERT INTO case_translations (case_id, locale, title, person, summary, body)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (case_id, locale) DO UPDATE
SET title = EXCLUDED.title, person = EXCLUDED.person, summary = EXCLUDED.summary,
    body = EXCLUDED.body, updated_at = now()
"""


async def upsert_case_translation(
    conn: Connection, case_id: int, locale: str, content: dict[str, str]
) -> None:
    await conn.execute(
        UPSERT_CASE_TRANSLATION,
        case_id,
        locale,
        content["title"],
        content["person"],
        content["summary"],
        content["body"],
    )


# A deadline already passed is moved to the new one; a future one is kept.
UPSERT_ACTION = """
INSERT INTO actions (case_id, slug, code, status, deadline, goal, default_locale)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (slug) DO UPDATE
SET case_id = EXCLUDED.case_id, code = EXCLUDED.code, status = EXCLUDED.status,
    deadline = CASE WHEN actions.deadline IS NULL OR actions.deadline < now()
                    THEN EXCLUDED.deadline ELSE actions.deadline END,
    goal = EXCLUDED.goal, default_locale = EXCLUDED.default_locale, updated_at = now()
RETURNING id
"""


async def upsert_action(
    conn: Connection,
    *,
    case_id: int,
    slug: str,
    code: str,
    status: str,
    deadline: datetime | None,
    goal: int,
    default_locale: str,
) -> int:
    action_id: int = await conn.fetchval(
        UPSERT_ACTION, case_id, slug, code, status, deadline, goal, default_locale
    )
    return action_id


UPDATE_PROOF_OF_WORK = "UPDATE actions SET proof_of_work = $2 WHERE id = $1"


async def set_proof_of_work(conn: Connection, action_id: int, mode: str) -> None:
    await conn.execute(UPDATE_PROOF_OF_WORK, action_id, mode)


UPDATE_ASKS_SOLIDARITY = "UPDATE actions SET asks_solidarity = $2 WHERE id = $1"


async def set_asks_solidarity(conn: Connection, action_id: int, asks: bool) -> None:
    await conn.execute(UPDATE_ASKS_SOLIDARITY, action_id, asks)


UPSERT_ACTION_TRANSLATION = """
INSERT INTO action_translations
    (action_id, locale, title, summary, body, letter_subject, letter_body, share_text, published)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (action_id, locale) DO UPDATE
SET title = EXCLUDED.title, summary = EXCLUDED.summary, body = EXCLUDED.body,
    letter_subject = EXCLUDED.letter_subject, letter_body = EXCLUDED.letter_body,
    share_text = EXCLUDED.share_text, published = EXCLUDED.published, updated_at = now()
"""


async def upsert_action_translation(
    conn: Connection, action_id: int, locale: str, content: dict[str, str], *, published: bool
) -> None:
    await conn.execute(
        UPSERT_ACTION_TRANSLATION,
        action_id,
        locale,
        content["title"],
        content["summary"],
        content["body"],
        content["letter_subject"],
        content["letter_body"],
        content["share_text"],
        published,
    )


UPSERT_TARGET = """
INSERT INTO targets
    (external_id, name, title, organisation, country, time_zone, office_hours,
     preferred_locale, salutations, max_per_hour, max_per_day, postal_address)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (external_id) DO UPDATE
SET name = EXCLUDED.name, title = EXCLUDED.title, organisation = EXCLUDED.organisation,
    country = EXCLUDED.country, time_zone = EXCLUDED.time_zone,
    office_hours = EXCLUDED.office_hours, preferred_locale = EXCLUDED.preferred_locale,
    salutations = EXCLUDED.salutations, max_per_hour = EXCLUDED.max_per_hour,
    max_per_day = EXCLUDED.max_per_day, postal_address = EXCLUDED.postal_address,
    updated_at = now()
RETURNING id
"""


async def upsert_target(
    conn: Connection,
    *,
    external_id: str,
    name: str,
    title: str,
    organisation: str,
    country: str | None,
    time_zone: str,
    office_hours: dict[str, Any] | None,
    preferred_locale: str,
    salutations: dict[str, str],
    max_per_hour: int | None = None,
    max_per_day: int | None = None,
    postal_address: str = "",
) -> int:
    target_id: int = await conn.fetchval(
        UPSERT_TARGET,
        external_id,
        name,
        title,
        organisation,
        country,
        time_zone,
        office_hours,
        preferred_locale,
        salutations,
        max_per_hour,
        max_per_day,
        postal_address,
    )
    return target_id


INSERT_TARGET_CONTACT = """
INSERT INTO target_contacts (target_id, channel, address) VALUES ($1, $2, $3)
ON CONFLICT (target_id, channel, address) DO NOTHING
"""


async def add_target_contact(conn: Connection, target_id: int, channel: str, address: str) -> None:
    await conn.execute(INSERT_TARGET_CONTACT, target_id, channel, address)


INSERT_ACTION_TARGET = """
INSERT INTO action_targets (action_id, target_id, channel) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
"""


async def add_action_target(conn: Connection, action_id: int, target_id: int, channel: str) -> None:
    await conn.execute(INSERT_ACTION_TARGET, action_id, target_id, channel)


UPSERT_ACTION_CHANNEL = """
INSERT INTO action_channels (action_id, channel, mode, digest_every, digest_format, min_per_hour)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (action_id, channel) DO UPDATE
SET mode = EXCLUDED.mode, digest_every = EXCLUDED.digest_every,
    digest_format = EXCLUDED.digest_format, min_per_hour = EXCLUDED.min_per_hour
"""


async def set_action_channel(
    conn: Connection,
    action_id: int,
    channel: str,
    mode: str,
    digest_every: timedelta = timedelta(days=1),
    digest_format: str = "list",
    min_per_hour: int = 60,
) -> None:
    await conn.execute(
        UPSERT_ACTION_CHANNEL, action_id, channel, mode, digest_every, digest_format, min_per_hour
    )
