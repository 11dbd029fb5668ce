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


# The YES from the number: it texts for this member now. Only ever the number's one holder
# (domain/network/text_answers.py): a number active for one member, or given by several, is
# never moved by a YES.
ACTIVATE_TEXTS = """
UPDATE members SET texts = 'active'
WHERE supporter_id = $1 AND phone_key = $2 AND texts = 'pending' AND status = 'active'
RETURNING texts_consent_text_id
"""


async def activate_texts(conn: Connection, supporter_id: UUID, phone_key: bytes) -> int | None:
    """The sentence they agreed to, or None when nothing was waiting for this YES."""
    text_id: int | None = await conn.fetchval(ACTIVATE_TEXTS, supporter_id, phone_key)
    return text_id


# A number STOPped, or given by more than one member: no member keeps it (its texts, if
# active, are withdrawn on the record by the caller).
FORGET_NUMBER = """
UPDATE members m
SET phone_sealed = NULL, phone_key = NULL, texts = 'none', texts_consent_text_id = NULL,
    texts_asked_at = NULL
FROM (SELECT supporter_id, texts, texts_consent_text_id FROM members
      WHERE phone_key = $1 FOR UPDATE) before
WHERE m.supporter_id = before.supporter_id
RETURNING m.supporter_id, before.texts, before.texts_consent_text_id
"""


async def forget_number_everywhere(conn: Connection, phone_key: bytes) -> list[tuple[UUID, int]]:
    """The members whose texts to this number were active, with the sentence they agreed to."""
    rows = await conn.fetch(FORGET_NUMBER, phone_key)
    return [
        (row["supporter_id"], row["texts_consent_text_id"])
        for row in rows
        if row["texts"] == "active"
    ]


SELECT_TEXTING_ELSEWHERE = """
SELECT EXISTS (SELECT 1 FROM members
               WHERE phone_key = $2 AND supporter_id <> $1 AND texts = 'active')
"""


async def is_texting_elsewhere(conn: Connection, supporter_id: UUID, phone_key: bytes) -> bool:
    """The number receives texts for another member already."""
    return bool(await conn.fetchval(SELECT_TEXTING_ELSEWHERE, supporter_id, phone_key))


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
    stopped: bool  # the number texted STOP


# Whom the text asking for a YES goes to: the number held now (changed or dropped since, it
# goes to the new one, or nowhere), and whether it has texted STOP since it was given.
SELECT_ASK_RECIPIENT = """
SELECT d.id AS delivery_id, m.phone_sealed AS member_phone_sealed, m.texts,
       m.status AS member_status, m.locale,
       EXISTS (SELECT 1 FROM sms_opt_outs o WHERE o.phone_key = m.phone_key) AS stopped
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
        stopped=values["stopped"],
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


@dataclass(frozen=True)
class TextsOnRecipient:
    supporter_id: UUID
    email: str
    locale: str  # the language they joined in
    member_status: str
    texts: str
    member_phone: str | None


# Whom the email saying "texts now go to your number" goes to: the address we hold.
SELECT_TEXTS_ON_RECIPIENT = """
SELECT p.id AS supporter_id, p.email_sealed, m.locale, m.status AS member_status, m.texts,
       m.phone_sealed AS member_phone_sealed
FROM deliveries d JOIN supporters p ON p.id = d.supporter_id
JOIN members m ON m.supporter_id = p.id
WHERE d.id = $1
"""


async def get_texts_on_recipient(conn: Connection, delivery_id: UUID) -> TextsOnRecipient | None:
    row = await conn.fetchrow(SELECT_TEXTS_ON_RECIPIENT, delivery_id)
    return None if row is None else opened_as(TextsOnRecipient, conn, row)


INSERT_TEXTS_ON_EMAIL = f"""
INSERT INTO deliveries (dedup_key, kind, channel, supporter_id)
VALUES ('{DeliveryKind.NETWORK_TEXTS_ON}:' || $1::uuid::text || ':' || $2::text,
        '{DeliveryKind.NETWORK_TEXTS_ON}', 'email', $1)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""


async def insert_texts_on_email(conn: Connection, supporter_id: UUID, at: datetime) -> UUID | None:
    delivery_id: UUID | None = await conn.fetchval(
        INSERT_TEXTS_ON_EMAIL, supporter_id, at.isoformat()
    )
    return delivery_id
