"""Abuse: holding a client's signatures of an action in line (the count itself is made by the
signing statement, db/personal/supporters.py), spotting trends, and invalidating signatures
by criteria. Client addresses and email domains appear only as keyed hashes (a domain is
named, from one signer's sealed address, only once many signed with it:
db/personal/supporters.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from campaign_engine.db.personal import supporters
from campaign_engine.db.pool import Connection
from campaign_engine.models.signing import InvalidationCriteria

# Signatures of one client on one action queue here, one transaction at a time, so two sent
# at once cannot both count the other out and slip past the limit together. The key is a hash
# of both, seeded by the action: another client or action never waits for this lock (a signer
# waits only for the batch ahead of its own, domain/signing/batches.py). A batch of signatures
# takes its clients' locks in the order of their keys, so two batches never wait on each other
# in a circle.
LOCK_CLIENTS_ON_ACTIONS = """
SELECT count(pg_advisory_xact_lock(key)) FROM (
    SELECT DISTINCT hashtextextended(encode(client_key, 'hex'), action_id) AS key
    FROM unnest($1::bigint[], $2::bytea[]) AS c(action_id, client_key)
    ORDER BY key
) ordered
"""


async def lock_clients_on_actions(conn: Connection, clients: Sequence[tuple[int, bytes]]) -> None:
    """Hold each (action id, client key) until the transaction ends."""
    if clients:
        await conn.fetchval(
            LOCK_CLIENTS_ON_ACTIONS, [a for a, _ in clients], [c for _, c in clients]
        )


# A client's latest signatures of an action, for a signature suspected before its client was
# counted (a missing proof of work): read through the (action_id, client_key, created_at) index.
COUNT_CLIENT_RECENT = """
SELECT count(*) FILTER (WHERE created_at > now() - interval '1 minute') AS minute,
       count(*) AS hour
FROM (
    SELECT created_at FROM signatures
    WHERE action_id = $1 AND client_key = $2 AND created_at > now() - interval '1 hour'
    ORDER BY created_at DESC
    LIMIT $3
) recent
"""


async def count_client_recent(
    conn: Connection, action_id: int, client_key: bytes, at_most: int
) -> tuple[int, int]:
    """(in the last minute, in the last hour) of the client's signatures of the action, this
    one included, counted up to `at_most`."""
    row = await conn.fetchrow(COUNT_CLIENT_RECENT, action_id, client_key, at_most)
    assert row is not None
    return int(row["minute"]), int(row["hour"])


@dataclass(frozen=True)
class Trend:
    action_id: int
    kind: str  # "client" or "domain"
    subject: str  # the client's or the domain's key, in hex
    signatures: int
    # The share of the action's hour that everything of this kind trending on it made up: a
    # wave of few clients (or few domains) is most of it, a surge of many people a sliver.
    share: float


# A wave, not a surge: the trending clients (or domains) of an action together made at least
# this share of its signatures in the hour. Then, and only then, the form's proof of work
# switches on by itself (db/campaigns/actions.py, PROOF_OF_WORK).
CONCENTRATED = 0.2

# Open actions only, each read through its (action_id, created_at) index.
SELECT_TRENDS = """
WITH hour AS (
    SELECT s.action_id, count(*) AS total
    FROM actions a JOIN signatures s ON s.action_id = a.id AND s.created_at > $1
    WHERE a.status = 'open'
    GROUP BY s.action_id
), trending AS (
    SELECT s.action_id, 'client' AS kind, encode(s.client_key, 'hex') AS subject, count(*) AS n
    FROM actions a JOIN signatures s ON s.action_id = a.id AND s.created_at > $1
    WHERE a.status = 'open' AND s.client_key IS NOT NULL
    GROUP BY s.action_id, s.client_key HAVING count(*) >= $2
    UNION ALL
    SELECT s.action_id, 'domain', encode(s.email_domain_keys[1], 'hex'), count(*)
    FROM actions a JOIN signatures s ON s.action_id = a.id AND s.created_at > $1
    WHERE a.status = 'open' AND s.email_domain_keys[1] <> ALL($4::bytea[])
    GROUP BY s.action_id, s.email_domain_keys[1] HAVING count(*) >= $3
)
SELECT t.action_id, t.kind, t.subject, t.n,
       least(sum(t.n) OVER (PARTITION BY t.action_id, t.kind)::real / h.total, 1) AS share
FROM trending t JOIN hour h USING (action_id)
"""


async def find_trends(
    conn: Connection,
    since: datetime,
    client_threshold: int,
    domain_threshold: int,
    common_domains: Sequence[str],
) -> list[Trend]:
    common = [supporters.email_domain_keys(conn, domain)[0] for domain in common_domains]
    rows = await conn.fetch(SELECT_TRENDS, since, client_threshold, domain_threshold, common)
    return [Trend(r["action_id"], r["kind"], r["subject"], r["n"], r["share"]) for r in rows]


# A trend seen again moves its alert's last sighting on, with its latest share; the first
# sighting stays.
UPSERT_ALERTS = """
INSERT INTO abuse_alerts (action_id, kind, subject, signatures, share, first_seen, last_seen)
SELECT t.action_id, t.kind, t.subject, t.n, t.share, $6, $6
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::real[])
     AS t(action_id, kind, subject, n, share)
ON CONFLICT (action_id, kind, subject) DO UPDATE
SET signatures = excluded.signatures, share = excluded.share, last_seen = excluded.last_seen
RETURNING (xmax = 0) AS new
"""


async def record_alerts(conn: Connection, trends: Sequence[Trend], now: datetime) -> int:
    """Keep each trend as an alert; the number of alerts new this time."""
    rows = await conn.fetch(
        UPSERT_ALERTS,
        [t.action_id for t in trends],
        [t.kind for t in trends],
        [t.subject for t in trends],
        [t.signatures for t in trends],
        [t.share for t in trends],
        now,
    )
    return sum(1 for row in rows if row["new"])


@dataclass(frozen=True)
class Alert:
    kind: str
    subject: str
    signatures: int
    first_seen: datetime
    last_seen: datetime


SELECT_ALERTS = """
SELECT kind, subject, signatures, first_seen, last_seen FROM abuse_alerts
WHERE action_id = $1 AND last_seen > $2
ORDER BY last_seen DESC, signatures DESC
"""


async def list_alerts(conn: Connection, action_id: int, since: datetime) -> list[Alert]:
    rows = await conn.fetch(SELECT_ALERTS, action_id, since)
    return [Alert(**dict(row)) for row in rows]


COUNT_ALERTS = "SELECT count(*) FROM abuse_alerts WHERE action_id = $1 AND last_seen > $2"


async def count_alerts(conn: Connection, action_id: int, since: datetime) -> int:
    """An action's alerts seen since `since`: the dashboard's warning."""
    found: int = await conn.fetchval(COUNT_ALERTS, action_id, since)
    return found


# A domain matches its subdomains too: a signature keeps the keys of the domains above its own.
MATCHING = """
s.action_id = $1 AND s.status IN ('pending', 'confirmed')
AND ($2::bytea IS NULL OR $2 = ANY(s.email_domain_keys))
AND ($3::bytea IS NULL OR s.client_key = $3)
AND ($4::timestamptz IS NULL OR s.created_at >= $4)
AND ($5::timestamptz IS NULL OR s.created_at < $5)
AND ($6::text IS NULL OR s.suspicion = $6 OR ($6 = 'any' AND s.suspicion IS NOT NULL))
"""


def _criteria_arguments(
    conn: Connection, action_id: int, c: InvalidationCriteria
) -> tuple[object, ...]:
    domain_key = supporters.email_domain_keys(conn, c.domain)[0] if c.domain else None
    return (action_id, domain_key, c.client_key, c.signed_from, c.signed_until, c.suspicion)


COUNT_MATCHING = f"""
SELECT count(*) FILTER (WHERE s.status = 'pending') AS pending,
       count(*) FILTER (WHERE s.status = 'confirmed') AS confirmed
FROM signatures s WHERE {MATCHING}
"""


async def count_matching(
    conn: Connection, action_id: int, criteria: InvalidationCriteria
) -> tuple[int, int]:
    """(pending, confirmed) signatures the criteria match."""
    row = await conn.fetchrow(COUNT_MATCHING, *_criteria_arguments(conn, action_id, criteria))
    assert row is not None
    return row["pending"], row["confirmed"]


INVALIDATE_MATCHING = f"""
UPDATE signatures s SET status = 'invalidated' WHERE {MATCHING} RETURNING s.id
"""


async def invalidate_matching(
    conn: Connection, action_id: int, criteria: InvalidationCriteria
) -> list[UUID]:
    rows = await conn.fetch(INVALIDATE_MATCHING, *_criteria_arguments(conn, action_id, criteria))
    return [row["id"] for row in rows]


# What has not left yet never will: the confirmation a robot would click, the appeals an
# official would read. A message being sent right now ('sending') is let go.
CANCEL_UNSENT = """
UPDATE deliveries SET status = 'cancelled', lease_until = NULL
WHERE signature_id = ANY($1::uuid[]) AND status IN ('scheduled', 'pending', 'retry')
"""


async def cancel_unsent(conn: Connection, signature_ids: list[UUID]) -> int:
    result = await conn.execute(CANCEL_UNSENT, signature_ids)
    return int(result.split()[-1])


@dataclass(frozen=True)
class Activity:
    signatures: int
    suspected: dict[str, int]  # by reason
    invalidated: int


# One row per suspicion (NULL: none), each with its invalidated share.
SELECT_ACTIVITY = """
SELECT suspicion, count(*) AS signatures,
       count(*) FILTER (WHERE status = 'invalidated') AS invalidated
FROM signatures WHERE action_id = $1 AND created_at > $2
GROUP BY suspicion
"""


async def get_activity(conn: Connection, action_id: int, since: datetime) -> Activity:
    rows = await conn.fetch(SELECT_ACTIVITY, action_id, since)
    return Activity(
        signatures=sum(row["signatures"] for row in rows),
        suspected={row["suspicion"]: row["signatures"] for row in rows if row["suspicion"]},
        invalidated=sum(row["invalidated"] for row in rows),
    )


@dataclass(frozen=True)
class DomainShare:
    key: bytes
    signatures: int


# Only domains many signed with: a domain of one person's own would say who they are.
SELECT_TOP_DOMAINS = """
SELECT email_domain_keys[1] AS key, count(*) AS signatures FROM signatures
WHERE action_id = $1 AND created_at > $2 AND email_domain_keys IS NOT NULL
GROUP BY email_domain_keys[1] HAVING count(*) >= $3
ORDER BY count(*) DESC, email_domain_keys[1] LIMIT $4
"""


async def list_top_domains(
    conn: Connection, action_id: int, since: datetime, at_least: int, limit: int
) -> list[DomainShare]:
    rows = await conn.fetch(SELECT_TOP_DOMAINS, action_id, since, at_least, limit)
    return [DomainShare(bytes(r["key"]), r["signatures"]) for r in rows]


# Migration 0022 only (db/migrate.py): the plain domains 0021 left, hashed into the keys that
# replace them, and the domain alerts renamed by key, before 0022 drops the plain column.
# One row per distinct domain goes through a temporary table, then one join updates them all.
CREATE_DOMAIN_KEYS = """
CREATE TEMPORARY TABLE plain_domain_keys (domain text PRIMARY KEY, keys bytea[]) ON COMMIT DROP
"""
SELECT_PLAIN_DOMAINS = "SELECT DISTINCT email_domain FROM signatures WHERE email_domain IS NOT NULL"
INSERT_DOMAIN_KEYS = "INSERT INTO plain_domain_keys (domain, keys) VALUES ($1, $2)"
FILL_DOMAIN_KEYS = """
UPDATE signatures s SET email_domain_keys = k.keys
FROM plain_domain_keys k WHERE s.email_domain = k.domain
"""
RENAME_DOMAIN_ALERTS = """
UPDATE abuse_alerts a SET subject = encode(k.keys[1], 'hex')
FROM plain_domain_keys k WHERE a.kind = 'domain' AND a.subject = k.domain
"""


async def hash_plain_email_domains(conn: Connection) -> int:
    """Key every signature's plain domain; returns how many distinct domains there were."""
    domains = [row["email_domain"] for row in await conn.fetch(SELECT_PLAIN_DOMAINS)]
    await conn.execute(CREATE_DOMAIN_KEYS)
    await conn.executemany(
        INSERT_DOMAIN_KEYS,
        [(domain, supporters.email_domain_keys(conn, domain)) for domain in domains],
    )
    await conn.execute(FILL_DOMAIN_KEYS)
    await conn.execute(RENAME_DOMAIN_ALERTS)
    return len(domains)
