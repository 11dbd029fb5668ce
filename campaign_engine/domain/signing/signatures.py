"""Signing and confirming: the first two flows of the design.

Sign: one transaction finds or creates the supporter, inserts the signature (a repeat inserts
nothing), keeps the consent evidence and puts the email into the outbox; only after the commit
does the queue get woken. Whatever happened, the caller learns nothing about whether this
address had signed before.

Confirm: a signed, expiring link turns a pending signature into a confirmed one exactly once,
and adds it to the action's count.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

from campaign_engine.db.campaigns import actions
from campaign_engine.db.delivery import deliveries
from campaign_engine.db.personal import supporters
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.signing import signatures
from campaign_engine.domain.campaigns.actions import check_signable
from campaign_engine.domain.delivery.appeals import create_appeals, wake_pacers
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.domain.errors import ActionClosed, ActionRemoved, SignatureNotFound
from campaign_engine.domain.integrations.partners import signing_partner
from campaign_engine.domain.integrations.webhooks import tell
from campaign_engine.domain.signing.abuse import ClientLimits, email_domain, suspicion_of
from campaign_engine.domain.signing.consent import record_consent, shown_consent
from campaign_engine.domain.signing.supporters import canonical_email
from campaign_engine.jobs import JobQueue
from campaign_engine.models.campaigns import ActionStatus
from campaign_engine.models.delivery import DeliveryKind
from campaign_engine.models.integrations import Partner, WebhookEventType
from campaign_engine.models.signing import (
    ConfirmedSignature,
    ConsentScope,
    ConsentText,
    SignatureRequest,
    SignatureStatus,
)
from campaign_engine.security.tokens import Tokens


async def sign_action(
    pool: Pool,
    queue: JobQueue,
    tokens: Tokens,
    slug: str,
    request: SignatureRequest,
    *,
    limits: ClientLimits,
) -> None:
    """Record a signature and send the email that confirms it.

    A repeat signature by the same person is answered exactly like a first one; they get an
    email saying so (or a fresh confirmation link if they never confirmed). So is a suspected
    one (domain/signing/abuse.py), which gets no email at all.
    """
    canonical = canonical_email(request.email)
    client_key = tokens.client_key(request.client_address) if request.client_address else None
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        action = check_signable(await actions.get_public_action_ref(conn, slug))
        # An unknown or disabled partner credits nobody, and changes nothing else.
        partner = await signing_partner(conn, request.partner, request.locale)
        suspicion = await suspicion_of(
            conn,
            limits,
            action_id=action.id,
            client_key=client_key,
            domain=email_domain(canonical),
            honeypot=request.honeypot,
            proof_of_work_missing=action.proof_of_work and not request.proof_of_work,
        )
        new_id = uuid4()
        signed = await supporters.insert_signer(
            conn,
            signature_id=new_id,
            action_id=action.id,
            email=request.email,
            email_canonical=canonical,
            locale=request.locale,
            country=request.country,
            name=request.name,
            phone=request.phone,
            comment=request.comment,
            source=request.source,
            partner=partner[0].slug if partner else None,
            partner_id=partner[0].id if partner else None,
            utm=request.utm,
            client_key=client_key,
            anonymous=request.anonymous,
            suspicion=suspicion,
            # A first signature from an address never seen has had no email, and the
            # address none today: most of a surge queues its confirmation in that statement.
            confirmation=None if suspicion else _first_confirmation(new_id),
        )
        supporter_id, signature_id = signed.supporter_id, signed.signature_id
        kind: DeliveryKind | None
        if signature_id is not None:
            await _keep_consents(conn, supporter_id, signature_id, request, partner)
            kind = None if suspicion else DeliveryKind.CONFIRMATION
        else:
            signature_id, status, suspected = await signatures.get_existing_signature(
                conn, action.id, supporter_id
            )
            if suspected and suspicion is None and status is SignatureStatus.PENDING:
                # Signed again, and nothing suspicious this time (another network, a solved
                # proof of work, a quieter hour): believe it now, and send the link.
                await signatures.clear_suspicion(conn, signature_id)
                suspected = None
            kind = None if suspected else _email_for_repeat(status)
        if signed.confirmation_id is not None:  # queued with the signature itself
            doorbells.delivery(signed.confirmation_id)
        elif kind is not None:
            delivery_id = await _queue_supporter_email(
                conn,
                kind,
                signature_id,
                supporter_id,
                new_signature=signed.signature_id is not None,
                new_supporter=signed.new_supporter,
            )
            if delivery_id is not None:
                doorbells.delivery(delivery_id)


async def _keep_consents(
    conn: Connection,
    supporter_id: UUID,
    signature_id: UUID,
    request: SignatureRequest,
    partner: tuple[Partner, ConsentText] | None,
) -> None:
    # Consent is kept with a first signature only, and counts only once that signature is
    # confirmed: until then anyone could have typed this address, and a repeat must not sign
    # its owner up for anything. Whatever sends updates asks for a confirmed signature.
    # The partner's box shows the partner's own sentence: that sentence is what is kept.
    shown = [shown_consent(ConsentScope.UPDATES)] if request.consent_updates else []
    if request.consent_partner and partner:
        shown.append(partner[1])
    if request.consent_sms and request.phone:
        shown.append(shown_consent(ConsentScope.SMS))
    for consent in shown:
        await record_consent(
            conn,
            supporter_id=supporter_id,
            signature_id=signature_id,
            shown=consent,
            source=request.source,
            partner=partner[0].slug if partner else None,
            partner_id=partner[0].id if partner else None,
        )


def _email_for_repeat(status: SignatureStatus) -> DeliveryKind | None:
    if status is SignatureStatus.PENDING:
        return DeliveryKind.CONFIRMATION
    if status is SignatureStatus.CONFIRMED:
        return DeliveryKind.ALREADY_SIGNED
    return None  # invalidated or erased: we write to nobody about it


# A signer gets at most one email of a kind per hour, however often the form is submitted
# with their address: it may be somebody else typing it, to flood their mailbox.
REPEAT_EMAIL_WINDOW = timedelta(hours=1)
# And an address gets at most this many emails about signatures a day, on all actions
# together (e-petitions' cap of 5): signing with a victim's address on every action we run
# sends them five emails, not hundreds. Anyone held back signs again tomorrow and gets one.
EMAILS_PER_ADDRESS_PER_DAY = 5


async def _queue_supporter_email(
    conn: Connection,
    kind: DeliveryKind,
    signature_id: UUID,
    supporter_id: UUID,
    *,
    new_signature: bool,
    new_supporter: bool,
) -> UUID | None:
    """Put an email about this signature in the outbox, unless one went out within the hour
    or the address had its day's share. A signature just made has had no email, an address
    seen for the first time none either: most of a surge skips both counts."""
    sent_before = 0
    if not new_signature:
        sent_before, recent = await deliveries.get_supporter_email_history(
            conn, signature_id, kind, REPEAT_EMAIL_WINDOW
        )
        if recent:
            return None
    if not new_supporter and (
        await deliveries.count_emails_about_signatures(
            conn, supporter_id, timedelta(days=1), EMAILS_PER_ADDRESS_PER_DAY
        )
        >= EMAILS_PER_ADDRESS_PER_DAY
    ):
        return None
    return await deliveries.insert_delivery(
        conn,
        dedup_key=_email_key(kind, signature_id, sent_before),
        kind=kind,
        channel="email",
        signature_id=signature_id,
    )


def _email_key(kind: DeliveryKind, signature_id: UUID, sent_before: int) -> str:
    """Numbered per signature and kind: two submissions racing for the same email make one
    outbox row."""
    return f"{kind}:{signature_id}:{sent_before}"


def _first_confirmation(signature_id: UUID) -> supporters.Confirmation:
    kind = DeliveryKind.CONFIRMATION
    return supporters.Confirmation(_email_key(kind, signature_id, 0), kind, "email")


async def confirm_signature(
    pool: Pool, tokens: Tokens, token: str, queue: JobQueue | None = None
) -> ConfirmedSignature:
    """Confirm the signature a link names, count it, hand its appeals to the officials'
    pacers and tell the webhooks subscribed; clicking the link again changes nothing."""
    signature_id = tokens.read_confirmation_token(token)
    new_appeals: list[tuple[int, str]] = []
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        state = await signatures.get_signature_state(conn, signature_id)
        if state is None or state.status not in (
            SignatureStatus.PENDING,
            SignatureStatus.CONFIRMED,
        ):
            raise SignatureNotFound
        if state.action_status is ActionStatus.REMOVED:
            raise ActionRemoved
        if state.status is SignatureStatus.PENDING:
            if state.action_status is not ActionStatus.OPEN:
                raise ActionClosed(state.action_slug)
            if await signatures.confirm_pending_signature(conn, signature_id):
                await actions.add_confirmed(conn, state.action_id, shard=signature_id.int)
                new_appeals = await create_appeals(conn, signature_id, state.action_id)
                told = await tell(conn, WebhookEventType.SIGNATURE_CONFIRMED, signature_id, None)
                doorbells.deliveries(told)
    await wake_pacers(pool, new_appeals)
    return ConfirmedSignature(state.action_slug, state.locale)
