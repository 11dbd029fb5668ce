"""What a message to or about supporters needs of their data: the supporter's own address
and language, the signers an appeal or a digest names, the numbers updates go to (and
which said STOP), the address a privacy link goes to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from campaign_engine.db.campaigns.case_sheets import official_letter
from campaign_engine.db.campaigns.updates import (
    AUDIENCE,
    alerted_member,
    follows_case,
    reader_locale,
)
from campaign_engine.db.personal.sealed import (
    opened,
    opened_as,
)
from campaign_engine.db.pool import Connection
from campaign_engine.db.signing.consent import latest_consent
from campaign_engine.models.delivery import SupporterMessageContext
from campaign_engine.models.signing import (
    ConsentScope,
    SignatureStatus,
)

# The action's title comes in the signer's language when it has one, else the action's own.
SELECT_SUPPORTER_MESSAGE_CONTEXT = """
SELECT s.id AS signature_id, s.status AS signature_status, s.locale,
       p.email_sealed, d.name_sealed, p.id AS supporter_id,
       a.slug AS action_slug, a.code AS action_code, t.title AS action_title,
       t.locale AS action_locale, a.status = 'open' AS action_open
FROM signatures s
JOIN supporters p ON p.id = s.supporter_id
JOIN signer_details d ON d.signature_id = s.id
JOIN actions a ON a.id = s.action_id
JOIN LATERAL (
    SELECT locale, title FROM action_translations
    WHERE action_id = a.id AND locale IN (s.locale, a.default_locale)
    ORDER BY locale = s.locale DESC
    LIMIT 1
) t ON true
WHERE s.id = ANY($1::uuid[])
"""


async def list_supporter_message_contexts(
    conn: Connection, signature_ids: list[UUID]
) -> dict[UUID, SupporterMessageContext]:
    """What the emails to these signers need, by signature (a signer gone is missing)."""
    rows = await conn.fetch(SELECT_SUPPORTER_MESSAGE_CONTEXT, signature_ids)
    return {
        row["signature_id"]: opened_as(
            SupporterMessageContext,
            conn,
            row,
            signature_status=SignatureStatus(row["signature_status"]),
        )
        for row in rows
    }


# Those who signed an action in a period, oldest first: countries for everyone, names for
# those who did not ask to stay unnamed.
SELECT_DIGEST_SIGNERS = """
SELECT CASE WHEN s.anonymous THEN NULL ELSE d.name_sealed END AS name_sealed, s.country
FROM signatures s
JOIN signer_details d ON d.signature_id = s.id
WHERE s.action_id = $1 AND s.status = 'confirmed'
  AND s.confirmed_at >= $2 AND s.confirmed_at < $3
ORDER BY s.confirmed_at
"""


async def list_digest_signers(
    conn: Connection, action_id: int, start: datetime, end: datetime
) -> list[tuple[str | None, str]]:
    """(name or None, country) of each confirmed signer in [start, end)."""
    signers = [
        opened(conn, row) for row in await conn.fetch(SELECT_DIGEST_SIGNERS, action_id, start, end)
    ]
    return [(signer["name"], signer["country"]) for signer in signers]


# Numbers that texted STOP, kept only as keyed hashes.
INSERT_OPT_OUT = """
INSERT INTO sms_opt_outs (phone_key, opted_out_at) VALUES ($1, $2)
ON CONFLICT (phone_key) DO NOTHING
"""


async def opt_out_phone(conn: Connection, phone_key: bytes, at: datetime) -> None:
    await conn.execute(INSERT_OPT_OUT, phone_key, at)


DELETE_OPT_OUT = "DELETE FROM sms_opt_outs WHERE phone_key = $1"


async def opt_in_phone(conn: Connection, phone_key: bytes) -> None:
    await conn.execute(DELETE_OPT_OUT, phone_key)


SELECT_OPTED_OUT = "SELECT EXISTS (SELECT 1 FROM sms_opt_outs WHERE phone_key = $1)"


async def is_opted_out(conn: Connection, phone_key: bytes) -> bool:
    return bool(await conn.fetchval(SELECT_OPTED_OUT, phone_key))


@dataclass(frozen=True)
class AppealRow:
    """Everything one appeal says and where it goes, as the database holds it."""

    delivery_id: UUID
    signature_id: UUID
    case_id: int
    action_code: str
    reply_to: str
    to_name: str
    to_address: str
    address_status: str
    salutations: dict[str, str]
    locale: str  # the letter's language, along the target's chain
    subject: str
    body: str
    signer_name: str
    signer_email: str
    signer_country: str
    comment: str | None
    anonymous: bool
    variant: int | None  # the combination it was written with before (a retry), if any


# The appeals of several deliveries at once, each with its letter in the first language of the
# chain (the target's preferred, its base, the action's own) that has a published one. Those
# with no confirmed signature or no letter are simply missing.
SELECT_APPEALS = f"""
SELECT d.id AS delivery_id, s.id AS signature_id, a.case_id, a.code AS action_code,
       a.reply_to, t.name AS to_name, c.address AS to_address, c.status AS address_status,
       t.salutations,
       letter.locale, letter.letter_subject AS subject, letter.letter_body AS body,
       sd.name_sealed AS signer_name_sealed, p.email_sealed AS signer_email_sealed,
       s.country AS signer_country, sd.comment_sealed, s.anonymous, d.variant
FROM deliveries d
JOIN targets t ON t.id = d.target_id
JOIN target_contacts c ON c.id = d.contact_id
JOIN actions a ON a.id = d.action_id
JOIN signatures s ON s.id = d.signature_id AND s.status = 'confirmed'
JOIN supporters p ON p.id = s.supporter_id
JOIN signer_details sd ON sd.signature_id = s.id
JOIN LATERAL {official_letter("a", "t")} letter ON true
WHERE d.id = ANY($1::uuid[])
"""


async def list_appeals(conn: Connection, delivery_ids: list[UUID]) -> list[AppealRow]:
    rows = await conn.fetch(SELECT_APPEALS, delivery_ids)
    return [opened_as(AppealRow, conn, row) for row in rows]


# --- Updates to supporters (domain/campaigns/updates.py, domain/delivery/mailings.py) ---

# The number an update by text goes to: the one given with the signature whose consent to
# texts is the supporter's current answer.
TEXT_PHONE = f"""
JOIN LATERAL {latest_consent(ConsentScope.SMS, "x.supporter_id")} texts ON texts.granted
JOIN signer_details phone_of ON phone_of.signature_id = texts.signature_id
"""

# The numbers of everyone who would receive the case's updates by text (before STOP, which
# only a keyed hash of each number can tell).
SELECT_CASE_TEXT_PHONES = f"""
SELECT phone_of.phone_sealed
FROM ({AUDIENCE}) x
{TEXT_PHONE}
WHERE phone_of.phone_sealed IS NOT NULL
"""


async def list_case_text_phones(conn: Connection, case_id: int) -> list[str]:
    rows = await conn.fetch(SELECT_CASE_TEXT_PHONES, case_id)
    return [opened(conn, row)["phone"] for row in rows]


SELECT_TEXT_PHONES = f"""
SELECT x.supporter_id, phone_of.phone_sealed
FROM unnest($1::uuid[]) AS x(supporter_id)
{TEXT_PHONE}
WHERE phone_of.phone_sealed IS NOT NULL
"""


async def list_text_phones(conn: Connection, supporter_ids: list[UUID]) -> list[tuple[UUID, str]]:
    """(supporter, number) of those among `supporter_ids` who agreed to texts."""
    found = [opened(conn, row) for row in await conn.fetch(SELECT_TEXT_PHONES, supporter_ids)]
    return [(texter["supporter_id"], texter["phone"]) for texter in found]


@dataclass(frozen=True)
class UpdateRecipient:
    """Whom an update's delivery goes to, and whether they still want it."""

    delivery_id: UUID
    channel: str
    supporter_id: UUID
    event_id: int | None  # None: the event was deleted
    email: str
    phone: str | None  # the number they agreed to texts with, while they agree
    locale: str  # the language of their latest confirmed signature, else a member's first
    member_locale: str | None  # a member's: the language of their member page
    wants_updates: bool  # their answer about updates is yes
    # An active member, alerted to one of the case's actions, who has not said no to updates.
    alerted_member: bool
    follower: bool  # follows the case without signing
    case_id: int | None
    wants_texts: bool


# Asked again just before sending: an unsubscribe since the fan-out stops what is left.
SELECT_UPDATE_RECIPIENTS = f"""
SELECT d.id AS delivery_id, d.channel, d.supporter_id, d.case_event_id AS event_id,
       p.email_sealed, phone_of.phone_sealed, coalesce(lang.locale, p.locale) AS locale,
       (SELECT locale FROM members WHERE supporter_id = d.supporter_id) AS member_locale,
       coalesce(wants.granted, false) AS wants_updates,
       coalesce(e.case_id IS NOT NULL AND {alerted_member("d.supporter_id", "e.case_id")}, false)
           AND wants.granted IS DISTINCT FROM false AS alerted_member,
       coalesce(e.case_id IS NOT NULL AND {follows_case("d.supporter_id", "e.case_id")}, false)
           AS follower,
       e.case_id,
       coalesce(texts.granted, false) AS wants_texts
FROM deliveries d
JOIN supporters p ON p.id = d.supporter_id
LEFT JOIN case_events e ON e.id = d.case_event_id
LEFT JOIN LATERAL {reader_locale("d.supporter_id")} lang ON true
LEFT JOIN LATERAL {latest_consent(ConsentScope.UPDATES, "d.supporter_id")} wants ON true
LEFT JOIN LATERAL {latest_consent(ConsentScope.SMS, "d.supporter_id")} texts ON true
LEFT JOIN signer_details phone_of ON phone_of.signature_id = texts.signature_id AND texts.granted
WHERE d.id = ANY($1::uuid[]) AND d.kind = 'update'
"""


async def list_update_recipients(
    conn: Connection, delivery_ids: list[UUID]
) -> list[UpdateRecipient]:
    rows = await conn.fetch(SELECT_UPDATE_RECIPIENTS, delivery_ids)
    return [opened_as(UpdateRecipient, conn, row) for row in rows]


SELECT_OPTED_OUT_KEYS = "SELECT phone_key FROM sms_opt_outs WHERE phone_key = ANY($1::bytea[])"


async def list_opted_out(conn: Connection, phone_keys: list[bytes]) -> set[bytes]:
    """Which of these numbers (as keyed hashes) texted STOP."""
    return {bytes(row["phone_key"]) for row in await conn.fetch(SELECT_OPTED_OUT_KEYS, phone_keys)}


@dataclass(frozen=True)
class LinkRecipient:
    supporter_id: UUID
    email: str
    locale: str


# Whom a privacy-link email goes to: the address we hold, never one typed into the form.
SELECT_LINK_RECIPIENT = """
SELECT p.id AS supporter_id, p.email_sealed, p.locale
FROM deliveries d JOIN supporters p ON p.id = d.supporter_id
WHERE d.id = $1
"""


async def get_link_recipient(conn: Connection, delivery_id: UUID) -> LinkRecipient | None:
    row = await conn.fetchrow(SELECT_LINK_RECIPIENT, delivery_id)
    return None if row is None else opened_as(LinkRecipient, conn, row)


@dataclass(frozen=True)
class MemberRecipient:
    supporter_id: UUID
    email: str
    locale: str  # the language they asked to join in
    status: str  # their membership now (models.network.MemberStatus)


# Whom a joining email goes to: the address we hold, never one typed into a form, and what
# their membership is by the time it goes (a request answered meanwhile needs no yes).
SELECT_MEMBER_RECIPIENT = """
SELECT p.id AS supporter_id, p.email_sealed, m.locale, m.status
FROM deliveries d JOIN supporters p ON p.id = d.supporter_id
JOIN members m ON m.supporter_id = p.id
WHERE d.id = $1
"""


async def get_member_recipient(conn: Connection, delivery_id: UUID) -> MemberRecipient | None:
    row = await conn.fetchrow(SELECT_MEMBER_RECIPIENT, delivery_id)
    return None if row is None else opened_as(MemberRecipient, conn, row)


@dataclass(frozen=True)
class AlertRecipient:
    delivery_id: UUID
    action_id: int
    supporter_id: UUID
    email: str
    member_status: str  # their membership now (models.network.MemberStatus)
    member_locale: str  # the language they joined in: their member page's
    languages: list[str]  # the languages they read, most preferred first
    signed: bool  # they have signed the action already (pending or confirmed)


# Whom an alert goes to: the address we hold, and the member as they are by the time it goes
# (a member who left meanwhile, or signed meanwhile, gets nothing).
SELECT_ALERT_RECIPIENTS = """
SELECT d.id AS delivery_id, d.action_id, p.id AS supporter_id, p.email_sealed,
       m.status AS member_status, m.locale AS member_locale, m.languages,
       EXISTS (SELECT 1 FROM signatures s
               WHERE s.action_id = d.action_id AND s.supporter_id = p.id
                 AND s.status IN ('pending', 'confirmed')) AS signed
FROM deliveries d
JOIN supporters p ON p.id = d.supporter_id
JOIN members m ON m.supporter_id = p.id
WHERE d.id = ANY($1::uuid[])
"""


async def list_alert_recipients(conn: Connection, delivery_ids: list[UUID]) -> list[AlertRecipient]:
    rows = await conn.fetch(SELECT_ALERT_RECIPIENTS, delivery_ids)
    return [opened_as(AlertRecipient, conn, row, languages=list(row["languages"])) for row in rows]


@dataclass(frozen=True)
class WeeklyRecipient:
    delivery_id: UUID
    supporter_id: UUID
    email: str
    member_status: str
    member_locale: str
    languages: list[str]
    week_start: datetime


SELECT_WEEKLY_RECIPIENT = """
SELECT d.id AS delivery_id, p.id AS supporter_id, p.email_sealed, m.status AS member_status,
       m.locale AS member_locale, m.languages, d.period_start AS week_start
FROM deliveries d
JOIN supporters p ON p.id = d.supporter_id
JOIN members m ON m.supporter_id = p.id
WHERE d.id = $1
"""


async def get_weekly_recipient(conn: Connection, delivery_id: UUID) -> WeeklyRecipient | None:
    row = await conn.fetchrow(SELECT_WEEKLY_RECIPIENT, delivery_id)
    if row is None:
        return None
    return opened_as(WeeklyRecipient, conn, row, languages=list(row["languages"]))


@dataclass(frozen=True)
class FollowRecipient:
    supporter_id: UUID
    email: str
    case_id: int
    locale: str  # the language they asked in
    status: str  # their following now
    case_title: str  # in their language, else the case's own


# Whom the email to say yes to a case's news goes to: the address we hold, never one typed.
SELECT_FOLLOW_RECIPIENT = """
SELECT p.id AS supporter_id, p.email_sealed, f.case_id, f.locale, f.status,
       coalesce(t.title, c.slug) AS case_title
FROM deliveries d
JOIN supporters p ON p.id = d.supporter_id
JOIN case_followers f ON f.supporter_id = p.id AND f.case_id = d.case_id
JOIN cases c ON c.id = f.case_id
LEFT JOIN LATERAL (
    SELECT title FROM case_translations
    WHERE case_id = c.id AND locale IN (f.locale, c.default_locale)
    ORDER BY locale = f.locale DESC
    LIMIT 1
) t ON true
WHERE d.id = $1
"""


async def get_follow_recipient(conn: Connection, delivery_id: UUID) -> FollowRecipient | None:
    row = await conn.fetchrow(SELECT_FOLLOW_RECIPIENT, delivery_id)
    return None if row is None else opened_as(FollowRecipient, conn, row)


# Those whose appeals to an official were folded into one message for a day ($4), oldest
# first: countries for everyone, names for those who did not ask to stay unnamed.
SELECT_FOLDED_SIGNERS = """
SELECT CASE WHEN s.anonymous THEN NULL ELSE sd.name_sealed END AS name_sealed, s.country
FROM deliveries f
JOIN signatures s ON s.id = f.signature_id AND s.status = 'confirmed'
JOIN signer_details sd ON sd.signature_id = s.id
WHERE f.status = 'folded' AND f.period_start = $4
  AND f.action_id = $1 AND f.target_id = $2 AND f.channel = $3
ORDER BY s.confirmed_at
"""


async def list_folded_signers(
    conn: Connection, action_id: int, target_id: int, channel: str, day: datetime
) -> list[tuple[str | None, str]]:
    """(name or None, country) of each signer whose appeal went in the day's repeats."""
    rows = await conn.fetch(SELECT_FOLDED_SIGNERS, action_id, target_id, channel, day)
    signers = [opened(conn, row) for row in rows]
    return [(signer["name"], signer["country"]) for signer in signers]
