"""A member's mobile number, for the most urgent alerts by text (domain/network/texts.py):
given on their page, sealed; asked to answer YES; found again by its keyed hash when a text
to our number comes from it; dropped when they stop texts or leave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from campaign_engine.db.personal.sealed import MEMBER_PHONE, opened, opened_as
from campaign_engine.db.pool import Connection, sealer_of
from campaign_engine.models.delivery import DeliveryKind

SELECT_MEMBER_PHONE = """
SELECT phone_sealed AS member_phone_sealed, phone_key FROM members
WHERE supporter_id = $1 AND phone_sealed IS NOT NULL
"""


async def get_member_phone(conn: Connection, supporter_id: UUID) -> tuple[str, bytes] | None:
    """(their number, its keyed hash), if they gave one."""
    row = await conn.fetchrow(SELECT_MEMBER_PHONE, supporter_id)
    if row is None:
        return None
    return opened(conn, row)["member_phone"], bytes(row["phone_key"])


# A number given (or given again): it waits for its YES, with the sentence the page showed.
# A member who left gives nothing; one still pending keeps it for when they say yes.
ASK_FOR_TEXTS = """
UPDATE members
SET phone_sealed = $2, phone_key = $3, texts = 'pending', texts_consent_text_id = $4,
    texts_asked_at = $5
WHERE supporter_id = $1 AND status <> 'left'
"""


async def ask_for_texts(
    conn: Connection,
    supporter_id: UUID,
    phone: str,
    phone_key: bytes,
    consent_text_id: int,
    now: datetime,
) -> bool:
    """False when there is no member to give it to."""
    sealed = sealer_of(conn).seal(phone, MEMBER_PHONE)
    done = await conn.execute(ASK_FOR_TEXTS, supporter_id, sealed, phone_key, consent_text_id, now)
    return done != "UPDATE 0"


# Texts stopped on their page, or as they leave: the number is forgotten. Returns the state
# it was in and the sentence they had agreed to (a withdrawal is recorded against it).
STOP_TEXTS = """
WITH before AS (
    SELECT texts, texts_consent_text_id FROM members
    WHERE supporter_id = $1 AND texts <> 'none' FOR UPDATE
)
UPDATE members m
SET phone_sealed = NULL, phone_key = NULL, texts = 'none', texts_consent_text_id = NULL,
    texts_asked_at = NULL
FROM before WHERE m.supporter_id = $1
RETURNING before.texts, before.texts_consent_text_id
"""


async def stop_texts(conn: Connection, supporter_id: UUID) -> tuple[str, int] | None:
    """(texts status before, the sentence agreed to), or None if they had no number."""
    row = await conn.fetchrow(STOP_TEXTS, supporter_id)
    return None if row is None else (row["texts"], row["texts_consent_text_id"])


@dataclass(frozen=True)
class Texter:
    """A member a text to our number came from."""

    supporter_id: UUID
    member_status: str
    texts: str
    locale: str  # the language they joined in: answers to them speak it
    languages: list[str]


# Who a number belongs to, most recently given first: a pending one is the member the YES
# answers (the last to ask for that number got the last text asking).
SELECT_TEXTERS = """
SELECT supporter_id, status AS member_status, texts, locale, languages FROM members
WHERE phone_key = $1 AND status <> 'left'
ORDER BY texts = 'active' DESC, texts_asked_at DESC
"""


async def list_texters(conn: Connection, phone_key: bytes) -> list[Texter]:
    rows = await conn.fetch(SELECT_TEXTERS, phone_key)
    return [Texter(**{**dict(row), "languages": list(row["languages"])}) for row in rows]


# The YES from the number: it texts for this member now, and for no one else (a number given
# by another member too is taken from them: only its owner answers from it).
ACTIVATE_TEXTS = """
WITH taken AS (
    UPDATE members
    SET phone_sealed = NULL, phone_key = NULL, texts = 'none', texts_consent_text_id = NULL,
        texts_asked_at = NULL
    WHERE phone_key = $2 AND supporter_id <> $1
)
UPDATE members SET texts = 'active'
WHERE supporter_id = $1 AND phone_key = $2 AND texts = 'pending' AND status = 'active'
RETURNING texts_consent_text_id
"""


async def activate_texts(conn: Connection, supporter_id: UUID, phone_key: bytes) -> int | None:
    """The sentence they agreed to, or None when nothing was waiting for this YES."""
    text_id: int | None = await conn.fetchval(ACTIVATE_TEXTS, supporter_id, phone_key)
    return text_id


COUNT_RECENT_ASKS = f"""
SELECT count(*) FROM deliveries
WHERE kind = '{DeliveryKind.NETWORK_TEXTS}' AND supporter_id = $1
  AND created_at > now() - $2::interval
"""


async def count_recent_asks(conn: Connection, supporter_id: UUID, window: timedelta) -> int:
    count: int = await conn.fetchval(COUNT_RECENT_ASKS, supporter_id, window)
    return count


INSERT_ASK = f"""
INSERT INTO deliveries (dedup_key, kind, channel, supporter_id)
VALUES ('{DeliveryKind.NETWORK_TEXTS}:' || $1::uuid::text || ':' || $2::text,
        '{DeliveryKind.NETWORK_TEXTS}', 'sms', $1)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""


async def insert_ask(conn: Connection, supporter_id: UUID, asked_at: datetime) -> UUID | None:
    """The text asking for a YES, for the number given at `asked_at` (None: made already)."""
    delivery_id: UUID | None = await conn.fetchval(INSERT_ASK, supporter_id, asked_at.isoformat())
    return delivery_id


@dataclass(frozen=True)
class AskRecipient:
    delivery_id: UUID
    phone: str | None  # None: the number was dropped since
    texts: str
    member_status: str
    locale: str


# Whom the text asking for a YES goes to: the number held now (changed or dropped since, it
# goes to the new one, or nowhere).
SELECT_ASK_RECIPIENT = """
SELECT d.id AS delivery_id, m.phone_sealed AS member_phone_sealed, m.texts,
       m.status AS member_status, m.locale
FROM deliveries d JOIN members m ON m.supporter_id = d.supporter_id
WHERE d.id = $1
"""


async def get_ask_recipient(conn: Connection, delivery_id: UUID) -> AskRecipient | None:
    row = await conn.fetchrow(SELECT_ASK_RECIPIENT, delivery_id)
    if row is None:
        return None
    values = opened(conn, row)
    return AskRecipient(
        delivery_id=values["delivery_id"],
        phone=values["member_phone"],
        texts=values["texts"],
        member_status=values["member_status"],
        locale=values["locale"],
    )


@dataclass(frozen=True)
class TextAlertRecipient:
    delivery_id: UUID
    action_id: int
    supporter_id: UUID
    member_phone: str | None
    phone_key: bytes | None
    texts: str
    member_status: str
    member_locale: str
    languages: list[str]
    signed: bool
    name: str | None  # the name they last signed with: a YES signs with it


# Whom an alert by text goes to, as they are by the time it goes.
SELECT_TEXT_ALERT_RECIPIENTS = """
SELECT d.id AS delivery_id, d.action_id, m.supporter_id, m.phone_sealed AS member_phone_sealed,
       m.phone_key, m.texts, m.status AS member_status, m.locale AS member_locale, m.languages,
       EXISTS (SELECT 1 FROM signatures s
               WHERE s.action_id = d.action_id AND s.supporter_id = m.supporter_id
                 AND s.status IN ('pending', 'confirmed')) AS signed,
       last.name_sealed
FROM deliveries d
JOIN members m ON m.supporter_id = d.supporter_id
LEFT JOIN LATERAL (
    SELECT sd.name_sealed
    FROM signatures s JOIN signer_details sd ON sd.signature_id = s.id
    WHERE s.supporter_id = m.supporter_id AND s.status = 'confirmed'
    ORDER BY s.confirmed_at DESC NULLS LAST
    LIMIT 1
) last ON true
WHERE d.id = ANY($1::uuid[])
"""


async def list_text_alert_recipients(
    conn: Connection, delivery_ids: list[UUID]
) -> list[TextAlertRecipient]:
    rows = await conn.fetch(SELECT_TEXT_ALERT_RECIPIENTS, delivery_ids)
    return [
        opened_as(
            TextAlertRecipient,
            conn,
            row,
            languages=list(row["languages"]),
            phone_key=None if row["phone_key"] is None else bytes(row["phone_key"]),
        )
        for row in rows
    ]


# The alert a YES answers: the member's latest alert by text that went, in the days an
# answer is taken for, about an action still open.
SELECT_ANSWERED_ALERT = """
SELECT d.action_id
FROM deliveries d JOIN actions a ON a.id = d.action_id AND a.status = 'open'
WHERE d.kind = 'network_alert' AND d.channel = 'sms' AND d.supporter_id = $1
  AND d.status IN ('sent', 'delivered') AND d.sent_at > $2
ORDER BY d.sent_at DESC
LIMIT 1
"""


async def get_answered_alert(conn: Connection, supporter_id: UUID, since: datetime) -> int | None:
    action_id: int | None = await conn.fetchval(SELECT_ANSWERED_ALERT, supporter_id, since)
    return action_id
