"""Privacy's queries that touch no personal column: a supporter's consents and messages for
their export, signatures erased or anonymised, client keys forgotten, erasures recorded.
(What reads or deletes names and addresses is in db/personal/subjects.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from campaign_engine.db.pool import Connection

SELECT_SUPPORTER_CONSENTS = """
SELECT r.scope, r.granted, r.created_at, r.source, r.partner, r.signature_id,
       t.locale, t.text
FROM consent_records r JOIN consent_texts t ON t.id = r.consent_text_id
WHERE r.supporter_id = $1
ORDER BY r.id
"""


async def list_supporter_consents(conn: Connection, supporter_id: UUID) -> list[dict[str, object]]:
    return [dict(row) for row in await conn.fetch(SELECT_SUPPORTER_CONSENTS, supporter_id)]


# Every message to the supporter, about their signatures, to them as a reader of updates, or
# as a member of the network.
SELECT_SUPPORTER_MESSAGES = """
SELECT d.kind, d.channel, d.status, d.created_at, d.sent_at
FROM deliveries d
WHERE d.kind IN ('confirmation', 'already_signed', 'confirmation_reminder')
  AND d.signature_id IN (SELECT id FROM signatures WHERE supporter_id = $1)
UNION ALL
SELECT d.kind, d.channel, d.status, d.created_at, d.sent_at
FROM deliveries d
WHERE d.kind IN ('update', 'network_join', 'network_alert', 'network_weekly', 'follow_case')
  AND d.supporter_id = $1
ORDER BY created_at
"""


async def list_supporter_messages(conn: Connection, supporter_id: UUID) -> list[dict[str, object]]:
    return [dict(row) for row in await conn.fetch(SELECT_SUPPORTER_MESSAGES, supporter_id)]


# An erased signature keeps its action, status history and place in the charts; nothing says
# whose it was. A confirmed one stops counting (the recount follows).
ERASE_SIGNATURES_OF_SUPPORTER = """
UPDATE signatures s
SET status = 'erased', supporter_id = NULL, client_key = NULL, email_domain_keys = NULL,
    utm = NULL, anonymised_at = $2
FROM (SELECT id, status AS was FROM signatures WHERE supporter_id = $1 FOR UPDATE) old
WHERE s.id = old.id
RETURNING s.id, s.action_id, old.was
"""


async def erase_signatures_of_supporter(
    conn: Connection, supporter_id: UUID, now: datetime
) -> list[tuple[UUID, int, str]]:
    """(signature, action, its status before) for each signature erased."""
    rows = await conn.fetch(ERASE_SIGNATURES_OF_SUPPORTER, supporter_id, now)
    return [(row["id"], row["action_id"], row["was"]) for row in rows]


SELECT_SIGNATURE_SUPPORTER = "SELECT supporter_id FROM signatures WHERE id = $1"


async def get_signature_supporter(conn: Connection, signature_id: UUID) -> UUID | None:
    """Whose address a signature was made with; None once it names nobody (erased)."""
    found: UUID | None = await conn.fetchval(SELECT_SIGNATURE_SUPPORTER, signature_id)
    return found


# "This wasn't me": one signature taken back by the owner of the address it was made with,
# erased as an erasure erases (its country, language and times stay for the charts).
ERASE_SIGNATURE = """
UPDATE signatures s
SET status = 'erased', supporter_id = NULL, client_key = NULL, email_domain_keys = NULL,
    utm = NULL, anonymised_at = $2
FROM (
    SELECT id, status AS was FROM signatures
    WHERE id = $1 AND status IN ('pending', 'confirmed') FOR UPDATE
) old
WHERE s.id = old.id
RETURNING s.action_id, old.was
"""


async def erase_signature(
    conn: Connection, signature_id: UUID, now: datetime
) -> tuple[int, str] | None:
    """(its action, its status before), or None if there was nothing to take back."""
    row = await conn.fetchrow(ERASE_SIGNATURE, signature_id, now)
    return None if row is None else (row["action_id"], row["was"])


# What someone else agreed to in a person's name was never their consent: it goes.
# (Found through the supporter's index; consent_records has none by signature.)
DELETE_CONSENTS_OF_SIGNATURE = """
DELETE FROM consent_records WHERE supporter_id = $1 AND signature_id = $2
"""


async def delete_consents_of_signature(
    conn: Connection, supporter_id: UUID, signature_id: UUID
) -> None:
    await conn.execute(DELETE_CONSENTS_OF_SIGNATURE, supporter_id, signature_id)


# Consent evidence belongs to a person; once they are gone (erased, or nothing of theirs kept)
# it goes too. The erasure's own record remains.
DELETE_CONSENTS_OF_SUPPORTERS = "DELETE FROM consent_records WHERE supporter_id = ANY($1::uuid[])"


async def delete_consents_of_supporters(conn: Connection, supporter_ids: list[UUID]) -> None:
    await conn.execute(DELETE_CONSENTS_OF_SUPPORTERS, supporter_ids)


INSERT_ERASURE = """
INSERT INTO erasures (email_key, requested_by, staff_id, signatures, erased_at)
VALUES ($1, $2, $3, $4, $5)
"""


async def insert_erasure(
    conn: Connection,
    email_key: bytes,
    requested_by: str,
    staff_id: int | None,
    signatures: int,
    now: datetime,
) -> None:
    await conn.execute(INSERT_ERASURE, email_key, requested_by, staff_id, signatures, now)


# Actions closed before the cutoff with signatures still holding who signed: retention's work.
SELECT_ACTIONS_TO_ANONYMISE = """
SELECT a.id FROM actions a
WHERE a.status IN ('closed', 'archived', 'removed')
  AND coalesce(a.closed_at, a.updated_at) < $1
  AND EXISTS (SELECT 1 FROM signatures s WHERE s.action_id = a.id AND s.anonymised_at IS NULL)
ORDER BY a.id
"""


async def list_actions_to_anonymise(conn: Connection, closed_before: datetime) -> list[int]:
    return [row["id"] for row in await conn.fetch(SELECT_ACTIONS_TO_ANONYMISE, closed_before)]


# Status, country, language and times stay: the counts, charts and exports of totals.
ANONYMISE_SIGNATURES_OF_ACTION = """
UPDATE signatures s
SET supporter_id = NULL, client_key = NULL, email_domain_keys = NULL, utm = NULL,
    anonymised_at = $2
FROM (SELECT id, supporter_id AS was FROM signatures
      WHERE action_id = $1 AND anonymised_at IS NULL FOR UPDATE) old
WHERE s.id = old.id
RETURNING s.id, old.was
"""


async def anonymise_signatures_of_action(
    conn: Connection, action_id: int, now: datetime
) -> list[tuple[UUID, UUID | None]]:
    """(signature, the supporter it belonged to) for each signature anonymised."""
    rows = await conn.fetch(ANONYMISE_SIGNATURES_OF_ACTION, action_id, now)
    return [(row["id"], row["was"]) for row in rows]


# A supporter's consents given with one of these signatures no longer point at it.
DETACH_CONSENTS_FROM_SIGNATURES = """
UPDATE consent_records SET signature_id = NULL WHERE signature_id = ANY($1::uuid[])
"""


async def detach_consents_from_signatures(conn: Connection, signature_ids: list[UUID]) -> None:
    await conn.execute(DETACH_CONSENTS_FROM_SIGNATURES, signature_ids)


# Client keys exist to count repeats and spot trends within the abuse window; after it they
# only link a person's signatures together.
FORGET_CLIENT_KEYS = """
UPDATE signatures SET client_key = NULL WHERE client_key IS NOT NULL AND created_at < $1
"""


async def forget_client_keys(conn: Connection, signed_before: datetime) -> int:
    result = await conn.execute(FORGET_CLIENT_KEYS, signed_before)
    return int(result.split()[-1])


DELETE_OLD_ALERTS = "DELETE FROM abuse_alerts WHERE last_seen < $1"


async def delete_old_alerts(conn: Connection, seen_before: datetime) -> int:
    result = await conn.execute(DELETE_OLD_ALERTS, seen_before)
    return int(result.split()[-1])


# A fresh link to one's data, asked for by typing one's address: a few a day at most, so the
# form cannot be used to flood a mailbox.
COUNT_RECENT_PRIVACY_LINKS = """
SELECT count(*) FROM deliveries
WHERE kind = 'privacy_link' AND supporter_id = $1 AND created_at > now() - $2::interval
"""


async def count_recent_privacy_links(
    conn: Connection, supporter_id: UUID, window: timedelta
) -> int:
    count: int = await conn.fetchval(COUNT_RECENT_PRIVACY_LINKS, supporter_id, window)
    return count


INSERT_PRIVACY_LINK = """
INSERT INTO deliveries (dedup_key, kind, channel, supporter_id)
VALUES ('privacy_link:' || $1::uuid::text || ':' || $2::int::text, 'privacy_link', 'email', $1)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""


async def insert_privacy_link(conn: Connection, supporter_id: UUID, number: int) -> UUID | None:
    """The delivery of the supporter's `number`th link, or None if it exists already."""
    delivery_id: UUID | None = await conn.fetchval(INSERT_PRIVACY_LINK, supporter_id, number)
    return delivery_id
