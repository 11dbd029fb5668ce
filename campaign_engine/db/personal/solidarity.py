"""Solidarity messages as their writers gave them (sealed: they may say who wrote them), and
as the workspace moderates them (docs/solidarity.md)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from campaign_engine.db.personal.sealed import SOLIDARITY, opened, opened_as
from campaign_engine.db.pool import Connection, sealer_of
from campaign_engine.models.signing import ApprovedMessage, Moderation, StoredMessage

# One message per signature, written on the thank-you page after confirming; writing again
# replaces it, and it waits for moderation again. Only a confirmed signature of an action that
# asks for them may write one.
UPSERT_MESSAGE = """
INSERT INTO solidarity_messages (action_id, signature_id, locale, country, original_sealed,
                                 written_at)
SELECT s.action_id, s.id, $2, s.country, $3, $4
FROM signatures s
JOIN actions a ON a.id = s.action_id
WHERE s.id = $1 AND s.action_id = $5 AND s.status = 'confirmed' AND a.asks_solidarity
ON CONFLICT (signature_id) DO UPDATE
SET locale = EXCLUDED.locale, original_sealed = EXCLUDED.original_sealed,
    written_at = EXCLUDED.written_at, status = 'pending', text = NULL, translation = NULL,
    translation_locale = NULL, shown = false, moderated_at = NULL, moderated_by = NULL
RETURNING id
"""


async def write_message(
    conn: Connection, signature_id: UUID, action_id: int, locale: str, text: str, at: datetime
) -> bool:
    """False: the signature is not a confirmed one of this action, or it asks for none."""
    sealed = sealer_of(conn).seal(text, SOLIDARITY)
    found = await conn.fetchval(UPSERT_MESSAGE, signature_id, locale, sealed, at, action_id)
    return found is not None


# Whether the signature is one of this action ($2), and whether it wrote a message already.
SELECT_WRITTEN = """
SELECT s.action_id = $2 AS ours,
       EXISTS (SELECT 1 FROM solidarity_messages WHERE signature_id = s.id) AS written
FROM signatures s
WHERE s.id = $1
"""


async def get_message_state(
    conn: Connection, signature_id: UUID, action_id: int
) -> tuple[bool, bool]:
    """(the signature is one of this action, it wrote a message already)."""
    row = await conn.fetchrow(SELECT_WRITTEN, signature_id, action_id)
    return (False, False) if row is None else (row["ours"], row["written"])


# Those waiting first, then the newest.
SELECT_MESSAGES = """
SELECT id, locale, country, original_sealed, text, translation, translation_locale, status,
       shown, written_at
FROM solidarity_messages
WHERE action_id = $1 AND ($2::text IS NULL OR status = $2)
ORDER BY status = 'pending' DESC, written_at DESC, id DESC
LIMIT $3
"""


async def list_messages(
    conn: Connection, action_id: int, status: str | None, limit: int
) -> list[StoredMessage]:
    rows = await conn.fetch(SELECT_MESSAGES, action_id, status, limit)
    return [opened_as(StoredMessage, conn, row) for row in rows]


# Moderation writes what it decided; the original stays as it was written.
MODERATE = """
UPDATE solidarity_messages
SET status = $3, text = $4, translation = $5, translation_locale = $6, shown = $7,
    moderated_at = $8, moderated_by = $9
WHERE id = $1 AND action_id = $2
RETURNING id
"""


async def moderate(
    conn: Connection, action_id: int, message_id: int, decided: Moderation, at: datetime, by: int
) -> bool:
    """False: no such message of this action."""
    found = await conn.fetchval(
        MODERATE,
        message_id,
        action_id,
        decided.status,
        decided.text,
        decided.translation,
        decided.translation_locale,
        decided.shown,
        at,
        by,
    )
    return found is not None


SELECT_APPROVED = """
SELECT id, text, locale, translation, translation_locale, country
FROM solidarity_messages
WHERE action_id = $1 AND status = 'approved'
ORDER BY moderated_at, id
"""


async def list_approved(conn: Connection, action_id: int) -> list[ApprovedMessage]:
    return [ApprovedMessage(**dict(row)) for row in await conn.fetch(SELECT_APPROVED, action_id)]


# A supporter's own messages, as they wrote them and where moderation stands: for their export.
SELECT_OF_SUPPORTER = """
SELECT a.code AS action, m.locale, m.original_sealed, m.status, m.text AS approved_as,
       m.translation, m.written_at
FROM solidarity_messages m
JOIN signatures s ON s.id = m.signature_id
JOIN actions a ON a.id = m.action_id
WHERE s.supporter_id = $1
ORDER BY m.written_at
"""


async def list_messages_of_supporter(
    conn: Connection, supporter_id: UUID
) -> list[dict[str, object]]:
    return [opened(conn, row) for row in await conn.fetch(SELECT_OF_SUPPORTER, supporter_id)]


# A selection for the case page: approved, chosen to be shown, of any of the case's actions,
# and only while the family agrees.
SELECT_SHOWN = """
SELECT m.id, m.text, m.locale, m.translation, m.translation_locale, m.country
FROM solidarity_messages m
JOIN actions a ON a.id = m.action_id
JOIN cases c ON c.id = a.case_id
WHERE a.case_id = $1 AND c.family_consents AND m.status = 'approved' AND m.shown
  AND a.status <> 'removed'
ORDER BY m.moderated_at DESC, m.id DESC
LIMIT $2
"""


async def list_shown(conn: Connection, case_id: int, limit: int) -> list[ApprovedMessage]:
    rows = await conn.fetch(SELECT_SHOWN, case_id, limit)
    return [ApprovedMessage(**dict(row)) for row in rows]
