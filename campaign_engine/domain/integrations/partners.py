"""Partners: organisations that put an action on their own site. The workspace keeps their
record (name, allowed origins, consent wording, embed key); signing looks them up to credit
them and to show, then keep, the sentence their supporters agree to.

A partner that is unknown or disabled is simply not there for signing: the signature counts,
credited to nobody, and the answer is the same, so nobody can probe which partners exist.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from campaign_engine.clock import Clock
from campaign_engine.db.integrations import partners
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.errors import DomainError
from campaign_engine.domain.signing.consent import shown_consent
from campaign_engine.domain.workspace import audit
from campaign_engine.models.integrations import Partner, PartnerDetails, PartnerListing
from campaign_engine.models.signing import ConsentScope, ConsentText
from campaign_engine.models.workspace import Staff


class PartnerNotFound(DomainError):
    pass


class PartnerSlugTaken(DomainError):
    pass


@dataclass(frozen=True)
class PartnerPage:
    partner: Partner
    details: PartnerDetails


def plain_http_origins_allowed(environment: str) -> bool:
    """Whether a partner's page may be served over plain HTTP, and so frame the widget and
    post signatures from a browser: outside production only.

    A page without TLS can be rewritten on its way to the reader, and a widget framed by one
    costs the site its grade (the Observatory gives B+). Development needs it: the demo
    partner is `http://localhost:8001`. So does `test`, the suite's own environment, which
    never faces a partner: its browser tests frame the widget from a page on localhost. The
    line is where the rest of the app draws it (HSTS, webhook URLs): production.

    In production an `http://` origin saved before this rule is ignored where it would act
    (the widget's frame-ancestors, web/middleware.py; CORS, web/api/guard.py), logged once a
    process, and refused when the partner's form is saved again (docs/partners.md).
    """
    return environment != "production"


def new_embed_key() -> str:
    # Public (it sits in the partner's page source), so it only needs to be unguessable
    # enough that nobody embeds as another partner by accident.
    return secrets.token_urlsafe(18)


# --- Signing ----------------------------------------------------------------------------------


async def partner_for_signing(
    pool: Pool, slug: str | None, locale: str
) -> tuple[Partner, ConsentText] | None:
    """The partner a form or widget names, with the sentence shown beside its opt-in box;
    None when there is no such partner or it is disabled (show no box, credit nobody)."""
    if not slug:
        return None
    async with pool.acquire() as conn:
        return await signing_partner(conn, slug, locale, shown_consent(ConsentScope.PARTNER))


async def signing_partner(
    conn: Connection, slug: str, locale: str, general: ConsentText
) -> tuple[Partner, ConsentText] | None:
    """As `partner_for_signing`, inside the signing transaction: the sentence recorded is
    the one the form showed, by the same rule (the reader's language, else English, else
    any the partner wrote; `general`, the general wording as the reader saw it, when it wrote
    none)."""
    partner = await partners.get_partner_by_slug(conn, slug)
    if partner is None or partner.disabled:
        return None
    own = await partners.get_partner_consent_text(conn, partner.id, locale)
    if own is None:
        return partner, general
    return partner, ConsentText(ConsentScope.PARTNER, own[0], own[1])


# --- The workspace ----------------------------------------------------------------------------


async def list_partners(pool: Pool) -> list[PartnerListing]:
    async with pool.acquire() as conn:
        return await partners.list_partner_listings(conn)


async def read_partner(pool: Pool, partner_id: int) -> PartnerPage:
    async with pool.acquire() as conn:
        partner = await partners.get_partner(conn, partner_id)
        if partner is None:
            raise PartnerNotFound
        texts = await partners.list_partner_consent_texts(conn, partner_id)
    details = PartnerDetails(
        name=partner.name,
        contact_email=partner.contact_email,
        allowed_origins=partner.allowed_origins,
        consent_texts=texts,
    )
    return PartnerPage(partner, details)


async def create_partner(
    pool: Pool, clock: Clock, actor: Staff, slug: str, details: PartnerDetails
) -> int:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        partner_id = await partners.insert_partner(conn, slug, details, new_embed_key(), now)
        if partner_id is None:
            raise PartnerSlugTaken
        await partners.replace_partner_consent_texts(conn, partner_id, details.consent_texts, now)
        await audit.record(conn, actor.id, "partner.created", now, ("partner", partner_id))
    return partner_id


async def update_partner(
    pool: Pool, clock: Clock, actor: Staff, partner_id: int, details: PartnerDetails
) -> None:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        before = await partners.lock_partner(conn, partner_id)
        if before is None:
            raise PartnerNotFound
        texts = await partners.list_partner_consent_texts(conn, partner_id)
        changed = _changed_fields(before, texts, details)
        if not changed:
            return
        await partners.update_partner(conn, partner_id, details, now)
        await partners.replace_partner_consent_texts(conn, partner_id, details.consent_texts, now)
        # Field names only: the log says what changed, the page says what it is now.
        await audit.record(
            conn, actor.id, "partner.updated", now, ("partner", partner_id), fields=changed
        )


def _changed_fields(before: Partner, texts: dict[str, str], after: PartnerDetails) -> list[str]:
    changed = [
        name
        for name, old, new in (
            ("name", before.name, after.name),
            ("contact_email", before.contact_email, after.contact_email),
            ("allowed_origins", before.allowed_origins, after.allowed_origins),
        )
        if old != new
    ]
    locales = sorted(set(texts) | set(after.consent_texts))
    changed += [
        f"consent_text_{locale}"
        for locale in locales
        if texts.get(locale) != after.consent_texts.get(locale)
    ]
    return changed


async def change_embed_key(pool: Pool, clock: Clock, actor: Staff, partner_id: int) -> None:
    """A new key: snippets with the old one stop naming the partner (the widget still shows,
    credited to nobody), so the partner must paste the new snippet."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        if await partners.lock_partner(conn, partner_id) is None:
            raise PartnerNotFound
        await partners.set_embed_key(conn, partner_id, new_embed_key(), now)
        await audit.record(conn, actor.id, "partner.key_changed", now, ("partner", partner_id))


async def set_partner_disabled(
    pool: Pool, clock: Clock, actor: Staff, partner_id: int, disabled: bool
) -> None:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        partner = await partners.lock_partner(conn, partner_id)
        if partner is None:
            raise PartnerNotFound
        if partner.disabled == disabled:
            return
        await partners.set_partner_disabled(conn, partner_id, disabled, now)
        verb = "partner.disabled" if disabled else "partner.enabled"
        await audit.record(conn, actor.id, verb, now, ("partner", partner_id))
