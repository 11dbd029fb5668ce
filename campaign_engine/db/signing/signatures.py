"""Signatures: the hot path of a surge, so every statement here is a single indexed step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from campaign_engine.db.pool import Connection
from campaign_engine.models.campaigns import ActionStatus
from campaign_engine.models.signing import SignatureStatus, Suspicion

SELECT_EXISTING_SIGNATURE = """
SELECT id, status, suspicion FROM signatures WHERE action_id = $1 AND supporter_id = $2
"""


async def get_existing_signature(
    conn: Connection, action_id: int, supporter_id: UUID
) -> tuple[UUID, SignatureStatus, Suspicion | None]:
    row = await conn.fetchrow(SELECT_EXISTING_SIGNATURE, action_id, supporter_id)
    assert row is not None, "called after an insert that conflicted, in the same transaction"
    suspicion = Suspicion(row["suspicion"]) if row["suspicion"] else None
    return row["id"], SignatureStatus(row["status"]), suspicion


@dataclass(frozen=True)
class SignatureState:
    status: SignatureStatus
    locale: str
    action_id: int
    action_slug: str
    action_status: ActionStatus
    suspicion: Suspicion | None
    # The thank-you page has something for this signer alone: the action offers "send from my
    # own mailbox" or asks for a solidarity message.
    thanks_in_person: bool = False


SELECT_SIGNATURE_STATE = """
SELECT s.status, s.locale, s.action_id, a.slug, a.status AS action_status, s.suspicion,
       a.own_mailbox OR a.asks_solidarity AS thanks_in_person
FROM signatures s
JOIN actions a ON a.id = s.action_id
WHERE s.id = $1
"""


async def get_signature_state(conn: Connection, signature_id: UUID) -> SignatureState | None:
    row = await conn.fetchrow(SELECT_SIGNATURE_STATE, signature_id)
    if row is None:
        return None
    return SignatureState(
        status=SignatureStatus(row["status"]),
        locale=row["locale"],
        action_id=row["action_id"],
        action_slug=row["slug"],
        action_status=ActionStatus(row["action_status"]),
        suspicion=Suspicion(row["suspicion"]) if row["suspicion"] else None,
        thanks_in_person=row["thanks_in_person"],
    )


CLEAR_SUSPICION = "UPDATE signatures SET suspicion = NULL WHERE id = $1 AND status = 'pending'"


async def clear_suspicion(conn: Connection, signature_id: UUID) -> None:
    await conn.execute(CLEAR_SUSPICION, signature_id)


# Only a pending signature becomes confirmed, so fifty clicks on one link confirm it once;
# a suspected one never is, whatever link comes back for it.
CONFIRM_PENDING_SIGNATURE = """
UPDATE signatures SET status = 'confirmed', confirmed_at = now()
WHERE id = $1 AND status = 'pending' AND suspicion IS NULL
RETURNING id
"""


async def confirm_pending_signature(conn: Connection, signature_id: UUID) -> bool:
    """True when this call confirmed it; False when it was not pending."""
    return await conn.fetchval(CONFIRM_PENDING_SIGNATURE, signature_id) is not None


# One reminder for each signature still unconfirmed a day after it was made, while its action
# takes signatures: never a second (the key), none to a suspected one (it got no email at all),
# none for a signature more than two days old (a worker down for a day does not wake everyone
# at once). Read one open action at a time through signatures_by_time (action, created_at).
INSERT_CONFIRMATION_REMINDERS = """
INSERT INTO deliveries (dedup_key, kind, channel, signature_id)
SELECT 'confirmation_reminder:' || s.id::text, 'confirmation_reminder', 'email', s.id
FROM actions a JOIN signatures s ON s.action_id = a.id
    AND s.created_at <= $1::timestamptz - interval '1 day'
    AND s.created_at > $1::timestamptz - interval '2 days'
WHERE a.status = 'open'
  AND s.status = 'pending' AND s.suspicion IS NULL AND s.supporter_id IS NOT NULL
ORDER BY s.created_at
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""


async def insert_confirmation_reminders(conn: Connection, now: datetime) -> list[UUID]:
    return [row["id"] for row in await conn.fetch(INSERT_CONFIRMATION_REMINDERS, now)]
