"""Urgent actions as their editors read and write them: any status, every language, published
or not. What the public reads is in `actions.py`."""

from __future__ import annotations

from datetime import datetime

from campaign_engine.db.campaigns.actions import action_page_sql
from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models.campaigns import (
    ActionContent,
    ActionPage,
    ActionSettings,
    ActionSettingsChange,
    ActionStatus,
    ActionText,
    CaseChoice,
    NewAction,
)

# Every case, titled in the reader's language when it has one, else in its own.
SELECT_CASE_CHOICES = """
SELECT c.id, c.slug, coalesce(t.locale, c.default_locale) AS locale,
       coalesce(t.title, c.slug) AS title
FROM cases c
LEFT JOIN LATERAL (
    SELECT locale, title FROM case_translations
    WHERE case_id = c.id AND locale IN ($1, c.default_locale)
    ORDER BY locale = $1 DESC
    LIMIT 1
) t ON true
ORDER BY c.created_at DESC, c.id DESC
"""


async def list_case_choices(conn: Connection, locale: str) -> list[CaseChoice]:
    return [from_row(CaseChoice, row) for row in await conn.fetch(SELECT_CASE_CHOICES, locale)]


SELECT_CASE_EXISTS = "SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1)"


async def case_exists(conn: Connection, case_id: int) -> bool:
    found: bool = await conn.fetchval(SELECT_CASE_EXISTS, case_id)
    return found


SELECT_CASE_ID = "SELECT id FROM cases WHERE slug = $1"


async def get_case_id(conn: Connection, case_slug: str) -> int | None:
    case_id: int | None = await conn.fetchval(SELECT_CASE_ID, case_slug)
    return case_id


SELECT_CODE_TAKEN = "SELECT EXISTS (SELECT 1 FROM actions WHERE code = $1)"


async def code_taken(conn: Connection, code: str) -> bool:
    taken: bool = await conn.fetchval(SELECT_CODE_TAKEN, code)
    return taken


SELECT_SLUG_TAKEN = "SELECT EXISTS (SELECT 1 FROM actions WHERE slug = $1)"


async def slug_taken(conn: Connection, slug: str) -> bool:
    taken: bool = await conn.fetchval(SELECT_SLUG_TAKEN, slug)
    return taken


# A code or slug taken meanwhile by someone else inserts nothing (the caller checked both).
INSERT_ACTION = """
INSERT INTO actions (case_id, slug, code, status, deadline, goal, default_locale, time_zone)
VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7)
ON CONFLICT DO NOTHING
RETURNING id
"""


async def insert_draft_action(conn: Connection, new: NewAction) -> int | None:
    """The new action's id; None if its code or slug was taken in the meantime."""
    action_id: int | None = await conn.fetchval(
        INSERT_ACTION,
        new.case_id,
        new.slug,
        new.code,
        new.deadline,
        new.goal,
        new.default_locale,
        new.time_zone,
    )
    return action_id


SETTINGS_COLUMNS = """
a.id, a.slug, a.code, a.status, a.case_id, c.slug AS case_slug, a.default_locale, a.deadline,
a.goal, a.publish_at, a.reply_to, a.time_zone, a.proof_of_work, a.updated_at, a.own_mailbox,
a.asks_solidarity
"""

SELECT_SETTINGS = f"""
SELECT {SETTINGS_COLUMNS} FROM actions a JOIN cases c ON c.id = a.case_id WHERE a.slug = $1
"""

# For a change of status: whoever changes the same action at the same moment waits its turn.
SELECT_SETTINGS_FOR_UPDATE = f"""
SELECT {SETTINGS_COLUMNS} FROM actions a JOIN cases c ON c.id = a.case_id WHERE a.slug = $1
FOR UPDATE OF a
"""


async def get_action_settings(
    conn: Connection, slug: str, *, for_update: bool = False
) -> ActionSettings | None:
    row = await conn.fetchrow(SELECT_SETTINGS_FOR_UPDATE if for_update else SELECT_SETTINGS, slug)
    if row is None:
        return None
    return from_row(ActionSettings, row, status=ActionStatus(row["status"]))


UPDATE_SETTINGS = """
UPDATE actions
SET deadline = $2, goal = $3, publish_at = $4, reply_to = $5, time_zone = $6, updated_at = $7,
    proof_of_work = $8, own_mailbox = $9, asks_solidarity = $10
WHERE id = $1
"""


async def update_settings(
    conn: Connection, action_id: int, change: ActionSettingsChange, now: datetime
) -> None:
    await conn.execute(
        UPDATE_SETTINGS,
        action_id,
        change.deadline,
        change.goal,
        change.publish_at,
        change.reply_to,
        change.time_zone,
        now,
        change.proof_of_work,
        change.own_mailbox,
        change.asks_solidarity,
    )


# Retention counts from the close (docs/privacy.md): the first close is kept through archiving
# and removal; reopening forgets it. The first opening is kept for good (docs/impact.md).
UPDATE_STATUS = """
UPDATE actions SET status = $2, updated_at = $3,
    closed_at = CASE WHEN $2 = 'open' THEN NULL
                     WHEN $2 IN ('closed', 'archived', 'removed') THEN coalesce(closed_at, $3)
                     ELSE closed_at END,
    opened_at = CASE WHEN $2 = 'open' THEN coalesce(opened_at, $3) ELSE opened_at END
WHERE id = $1
"""


async def set_status(conn: Connection, action_id: int, status: ActionStatus, now: datetime) -> None:
    await conn.execute(UPDATE_STATUS, action_id, status, now)


TEXT_COLUMNS = """
locale, title, summary, body, letter_subject, letter_body, share_text, published,
text_updated_at, source_seen_at
"""

SELECT_TEXTS = f"""
SELECT {TEXT_COLUMNS} FROM action_translations WHERE action_id = $1 ORDER BY locale
"""


async def list_action_texts(conn: Connection, action_id: int) -> list[ActionText]:
    return [from_row(ActionText, row) for row in await conn.fetch(SELECT_TEXTS, action_id)]


# A new language starts unpublished; saving keeps whether it is published. The words' own time
# moves only when the words change, so re-saving the source outdates no translation.
UPSERT_TEXT = """
INSERT INTO action_translations
    (action_id, locale, title, summary, body, letter_subject, letter_body, share_text,
     published, updated_at, text_updated_at, source_seen_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false, $9, $9, $10)
ON CONFLICT (action_id, locale) DO UPDATE
SET title = EXCLUDED.title, summary = EXCLUDED.summary, body = EXCLUDED.body,
    letter_subject = EXCLUDED.letter_subject, letter_body = EXCLUDED.letter_body,
    share_text = EXCLUDED.share_text, updated_at = EXCLUDED.updated_at,
    source_seen_at = EXCLUDED.source_seen_at,
    text_updated_at = CASE
        WHEN (action_translations.title, action_translations.summary, action_translations.body,
              action_translations.letter_subject, action_translations.letter_body,
              action_translations.share_text)
             IS DISTINCT FROM
             (EXCLUDED.title, EXCLUDED.summary, EXCLUDED.body, EXCLUDED.letter_subject,
              EXCLUDED.letter_body, EXCLUDED.share_text)
        THEN EXCLUDED.text_updated_at
        ELSE action_translations.text_updated_at END
"""


async def save_text(
    conn: Connection,
    action_id: int,
    locale: str,
    content: ActionContent,
    now: datetime,
    source_seen_at: datetime | None,
) -> None:
    """Write one language's words. `source_seen_at`: the time of the source's words this
    translation was made from (None for the source itself)."""
    await conn.execute(
        UPSERT_TEXT,
        action_id,
        locale,
        content.title,
        content.summary,
        content.body,
        content.letter_subject,
        content.letter_body,
        content.share_text,
        now,
        source_seen_at,
    )


UPDATE_PUBLISHED = """
UPDATE action_translations SET published = $3, updated_at = $4
WHERE action_id = $1 AND locale = $2
"""


async def set_text_published(
    conn: Connection, action_id: int, locale: str, published: bool, now: datetime
) -> None:
    await conn.execute(UPDATE_PUBLISHED, action_id, locale, published, now)


# Follow-ups of `UA 123/26` are `FI 1 on UA 123/26`, `FI 2 on UA 123/26`, ...
SELECT_FOLLOW_UP_CODES = """
SELECT code FROM actions WHERE code LIKE 'FI %' AND right(code, length($1) + 4) = ' on ' || $1
"""


async def list_follow_up_codes(conn: Connection, base_code: str) -> list[str]:
    return [row["code"] for row in await conn.fetch(SELECT_FOLLOW_UP_CODES, base_code)]


# A follow-up starts as a draft of the same case, with no deadline and no publication time.
INSERT_FOLLOW_UP = """
INSERT INTO actions (case_id, slug, code, status, goal, default_locale, reply_to, time_zone)
SELECT case_id, $2, $3, 'draft', goal, default_locale, reply_to, time_zone
FROM actions WHERE id = $1
ON CONFLICT DO NOTHING
RETURNING id
"""


async def insert_follow_up(conn: Connection, original_id: int, slug: str, code: str) -> int | None:
    """The follow-up's id; None if its code or slug was taken in the meantime."""
    action_id: int | None = await conn.fetchval(INSERT_FOLLOW_UP, original_id, slug, code)
    return action_id


# The words keep their own times, so a translation outdated in the original is outdated in
# the copy, and a current one current.
COPY_TEXTS_UNPUBLISHED = """
INSERT INTO action_translations
    (action_id, locale, title, summary, body, letter_subject, letter_body, share_text,
     published, updated_at, text_updated_at, source_seen_at)
SELECT $2, locale, title, summary, body, letter_subject, letter_body, share_text,
       false, $3, text_updated_at, source_seen_at
FROM action_translations WHERE action_id = $1
"""


async def copy_texts_unpublished(
    conn: Connection, from_action: int, to_action: int, now: datetime
) -> None:
    await conn.execute(COPY_TEXTS_UNPUBLISHED, from_action, to_action, now)


COPY_TARGETS = """
INSERT INTO action_targets (action_id, target_id, channel)
SELECT $2, target_id, channel FROM action_targets WHERE action_id = $1
"""


async def copy_targets(conn: Connection, from_action: int, to_action: int) -> None:
    await conn.execute(COPY_TARGETS, from_action, to_action)


COPY_CHANNELS = """
INSERT INTO action_channels (action_id, channel, mode, digest_every, digest_format, min_per_hour)
SELECT $2, channel, mode, digest_every, digest_format, min_per_hour
FROM action_channels WHERE action_id = $1
"""


async def copy_channels(conn: Connection, from_action: int, to_action: int) -> None:
    await conn.execute(COPY_CHANNELS, from_action, to_action)


# Scheduled actions whose time has come, and open ones whose deadline has passed. Each UPDATE
# is conditional on the status, so two workers running at once change (and record) each once.
OPEN_DUE_ACTIONS = """
UPDATE actions SET status = 'open', updated_at = $1, closed_at = NULL,
    opened_at = coalesce(opened_at, $1)
WHERE status = 'scheduled' AND publish_at <= $1
RETURNING id, code
"""


async def open_due_actions(conn: Connection, now: datetime) -> list[tuple[int, str]]:
    return [(row["id"], row["code"]) for row in await conn.fetch(OPEN_DUE_ACTIONS, now)]


CLOSE_EXPIRED_ACTIONS = """
UPDATE actions SET status = 'closed', updated_at = $1, closed_at = $1
WHERE status = 'open' AND deadline <= $1
RETURNING id, code
"""


async def close_expired_actions(conn: Connection, now: datetime) -> list[tuple[int, str]]:
    return [(row["id"], row["code"]) for row in await conn.fetch(CLOSE_EXPIRED_ACTIONS, now)]


# A preview shows one language whatever its status or whether it is published; a language not
# written yet shows the source's words.
SELECT_PREVIEW_PAGE = action_page_sql(public=False, where="a.id = $1")


async def get_preview_page(conn: Connection, action_id: int, locale: str) -> ActionPage | None:
    row = await conn.fetchrow(SELECT_PREVIEW_PAGE, action_id, locale)
    if row is None:
        return None
    return from_row(
        ActionPage,
        row,
        status=ActionStatus(row["status"]),
        published_locales=tuple(row["published_locales"]),
    )


SELECT_STATUS_BY_ID = "SELECT status FROM actions WHERE id = $1"


async def get_status(conn: Connection, action_id: int) -> ActionStatus | None:
    status = await conn.fetchval(SELECT_STATUS_BY_ID, action_id)
    return None if status is None else ActionStatus(status)
