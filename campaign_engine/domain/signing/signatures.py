"""Signing and confirming: the first two flows of the design.

Sign: a signature joins the process's next batch (batches.py); a batch's transaction finds or
creates each supporter, inserts each signature (a repeat inserts nothing), keeps the consent
evidence and puts the emails into the outbox; only after the commit does the queue get woken,
and only then is each signer answered. Whatever happened, the caller learns nothing about
whether this address had signed before.

Confirm: a signed, expiring link turns a pending signature into a confirmed one exactly once,
and adds it to the action's count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from campaign_engine.clock import Clock
from campaign_engine.db.campaigns import actions
from campaign_engine.db.delivery import deliveries
from campaign_engine.db.personal import supporters
from campaign_engine.db.personal.supporters import NewSigner
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.signing import abuse, signatures
from campaign_engine.domain.campaigns.actions import check_signable
from campaign_engine.domain.delivery.appeals import create_appeals, wake_pacers
from campaign_engine.domain.doorbells import Doorbells, committed_then_rung
from campaign_engine.domain.errors import (
    ActionClosed,
    ActionRemoved,
    DomainError,
    SignatureNotFound,
)
from campaign_engine.domain.integrations.partners import signing_partner
from campaign_engine.domain.integrations.webhooks import tell
from campaign_engine.domain.network.membership import join_on_confirmation
from campaign_engine.domain.signing.abuse import (
    ClientLimits,
    email_domain,
    suspicion_before_counting,
)
from campaign_engine.domain.signing.batches import Batches
from campaign_engine.domain.signing.consent import Agreed, record_consents, shown_consent
from campaign_engine.domain.signing.supporters import canonical_email
from campaign_engine.jobs import JobQueue
from campaign_engine.models.campaigns import ActionRef, ActionStatus
from campaign_engine.models.delivery import DeliveryKind
from campaign_engine.models.integrations import Partner, WebhookEventType
from campaign_engine.models.signing import (
    ConfirmedSignature,
    ConsentScope,
    ConsentText,
    SignatureRequest,
    SignatureStatus,
    Suspicion,
)
from campaign_engine.security.tokens import Tokens


@dataclass(frozen=True)
class Signing:
    """One signature on its way into a batch: what was submitted, and what only its own
    request can say (the consent sentences in the reader's language: a batch is written in
    whichever request's context started it)."""

    slug: str
    request: SignatureRequest
    canonical: str  # the address as it is looked up (supporters.canonical_email)
    client_key: bytes | None
    limits: ClientLimits
    agreed: tuple[ConsentText, ...]  # the boxes ticked, but the partner's
    partner_general: ConsentText  # the partner's box when the partner wrote no sentence
    signature_id: UUID  # its id, should it be a first signature


class SignatureBatches:
    """Where a process's signatures meet: gathered into batches (batches.py), each written in
    one transaction, one statement for all and one commit."""

    def __init__(self, pool: Pool, queue: JobQueue | None) -> None:
        self.pool, self.queue = pool, queue
        self._batches = Batches(self._write, keys=_apart)

    async def sign(self, signing: Signing) -> None:
        await self._batches.join(signing)

    async def _write(self, batch: list[Signing]) -> list[BaseException | None]:
        async with committed_then_rung(self.pool, self.queue) as (conn, doorbells):
            return await _write_batch(conn, doorbells, batch)


def _apart(signing: Signing) -> list[tuple[object, ...]]:
    """What two signatures in one batch must not share: an address (one supporter row each),
    and a limited client on one action (each must count the other)."""
    keys: list[tuple[object, ...]] = [("address", signing.canonical)]
    if _limited(signing):
        keys.append(("client", signing.slug, signing.client_key))
    return keys


def _limited(signing: Signing) -> bool:
    """Its client is counted on the action (and so locked while it is)."""
    return signing.client_key is not None and signing.limits.on


async def sign_action(
    batches: SignatureBatches,
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
    agreed = [shown_consent(ConsentScope.UPDATES)] if request.consent_updates else []
    if request.consent_sms and request.phone:
        agreed.append(shown_consent(ConsentScope.SMS))
    if request.consent_network:
        agreed.append(shown_consent(ConsentScope.NETWORK))
    await batches.sign(
        Signing(
            slug=slug,
            request=request,
            canonical=canonical_email(request.email),
            client_key=(
                tokens.client_key(request.client_address) if request.client_address else None
            ),
            limits=limits,
            agreed=tuple(agreed),
            partner_general=shown_consent(ConsentScope.PARTNER),
            signature_id=uuid4(),
        )
    )


async def _write_batch(
    conn: Connection, doorbells: Doorbells, batch: list[Signing]
) -> list[BaseException | None]:
    """Sign for each of `batch`; what each caller raises (None: signed)."""
    outcomes: list[BaseException | None] = [None] * len(batch)
    refs = await actions.get_public_action_refs(conn, sorted({s.slug for s in batch}))
    # Each partner read once per language: the language a signing asks for is the one its
    # request spoke in, so its general sentence (made there) is the one that language shows.
    named = {(s.request.partner, s.request.locale): s.partner_general for s in batch}
    partners: dict[tuple[str | None, str], tuple[Partner, ConsentText] | None] = {
        (slug, locale): await signing_partner(conn, slug, locale, general)
        for (slug, locale), general in named.items()
        if slug
    }
    placed: list[tuple[Signing, NewSigner, ConsentText | None]] = []
    for n, signing in enumerate(batch):
        try:
            action = check_signable(refs.get(signing.slug))
        except DomainError as refused:
            outcomes[n] = refused
            continue
        # An unknown or disabled partner credits nobody, and changes nothing else.
        partner = partners.get((signing.request.partner, signing.request.locale))
        placed.append((signing, _new_signer(signing, action, partner), partner and partner[1]))
    if not placed:
        return outcomes
    await abuse.lock_clients_on_actions(
        conn,
        [
            (signer.action_id, signer.client_key)
            for signing, signer, _ in placed
            if signer.client_key is not None and signer.suspicion is None and _limited(signing)
        ],
    )
    signed = await supporters.insert_signers(conn, [signer for _, signer, _ in placed])
    await record_consents(
        conn,
        [
            agreed
            for (signing, signer, partner_sentence), made in zip(placed, signed, strict=True)
            if made.signature_id is not None
            for agreed in _agreed(signing, signer, partner_sentence, made)
        ],
    )
    due = []
    for (_, signer, _), made in zip(placed, signed, strict=True):
        delivery_id = made.confirmation_id or await _email_after_signing(conn, signer, made)
        if delivery_id is not None:
            due.append(delivery_id)
    # One enqueue for the batch's emails; an email alone keeps the job id of its row.
    if len(due) == 1:
        doorbells.delivery(due[0])
    else:
        doorbells.deliveries(due)
    return outcomes


def _new_signer(
    signing: Signing, action: ActionRef, partner: tuple[Partner, ConsentText] | None
) -> NewSigner:
    request = signing.request
    suspicion = suspicion_before_counting(
        domain=email_domain(signing.canonical),
        honeypot=request.honeypot,
        proof_of_work_missing=action.proof_of_work and not request.proof_of_work,
    )
    return NewSigner(
        signature_id=signing.signature_id,
        action_id=action.id,
        email=request.email,
        email_canonical=signing.canonical,
        locale=request.locale,
        country=request.country,
        name=request.name,
        phone=request.phone,
        comment=request.comment,
        source=request.source,
        partner=partner[0].slug if partner else None,
        partner_id=partner[0].id if partner else None,
        utm=request.utm,
        client_key=signing.client_key,
        per_minute=signing.limits.per_minute,
        per_hour=signing.limits.per_hour,
        anonymous=request.anonymous,
        suspicion=suspicion,
        # A first signature from an address never seen has had no email, and the address
        # none today: most of a surge queues its confirmation in the signing statement.
        confirmation_key=None if suspicion else _first_confirmation_key(signing.signature_id),
    )


def _agreed(
    signing: Signing,
    signer: NewSigner,
    partner_sentence: ConsentText | None,
    made: supporters.Signed,
) -> list[Agreed]:
    # Consent is kept with a first signature only, and counts only once that signature is
    # confirmed: until then anyone could have typed this address, and a repeat must not sign
    # its owner up for anything. Whatever sends updates asks for a confirmed signature.
    # The partner's box shows the partner's own sentence: that sentence is what is kept.
    assert made.signature_id is not None
    shown = list(signing.agreed)
    if signing.request.consent_partner and partner_sentence is not None:
        shown.append(partner_sentence)
    return [
        Agreed(
            made.supporter_id,
            made.signature_id,
            consent,
            signer.source,
            signer.partner,
            signer.partner_id,
        )
        for consent in shown
    ]


async def _email_after_signing(
    conn: Connection, signer: NewSigner, made: supporters.Signed
) -> UUID | None:
    """The email a signature queues when the signing statement could not queue it: a known
    address's first signature (its day's share to count), or a repeat."""
    if made.signature_id is not None:
        if made.suspicion is not None and not await _one_more_step(conn, signer, made.suspicion):
            return None
        return await _queue_supporter_email(
            conn,
            DeliveryKind.CONFIRMATION,
            made.signature_id,
            made.supporter_id,
            new_signature=True,
            new_supporter=made.new_supporter,
        )
    signature_id, status, suspected = await signatures.get_existing_signature(
        conn, signer.action_id, made.supporter_id
    )
    if suspected and made.suspicion is None and status is SignatureStatus.PENDING:
        # Signed again, and nothing suspicious this time (another network, a solved proof
        # of work, a quieter hour): believe it now, and send the link.
        await signatures.clear_suspicion(conn, signature_id)
        suspected = None
    # Suspected only for a missing proof of work (signing again from the same browser without
    # a script): their confirmation again, still asking for its one deliberate press.
    one_more_step = suspected is not None and await _one_more_step(conn, signer, suspected)
    kind = _email_for_repeat(status) if not suspected or one_more_step else None
    if kind is None:
        return None
    return await _queue_supporter_email(
        conn, kind, signature_id, made.supporter_id, new_signature=False, new_supporter=False
    )


async def _one_more_step(conn: Connection, signer: NewSigner, suspicion: Suspicion) -> bool:
    """Whether a suspected signature still gets its confirmation, whose link then asks for one
    deliberate step (`confirm_signature`): a signer whose only fault is a missing proof of
    work (a browser without JavaScript, a partner's form) must have a way through that needs
    no script. Not when their client is flooding the action: a robot's wave gets no email."""
    if suspicion is not Suspicion.PROOF_OF_WORK:
        return False
    if signer.client_key is None or not (signer.per_minute or signer.per_hour):
        return True
    most = max(signer.per_minute, signer.per_hour) + 1
    minute, hour = await abuse.count_client_recent(conn, signer.action_id, signer.client_key, most)
    over_minute = signer.per_minute > 0 and minute > signer.per_minute
    over_hour = signer.per_hour > 0 and hour > signer.per_hour
    return not (over_minute or over_hour)


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


def _first_confirmation_key(signature_id: UUID) -> str:
    return _email_key(DeliveryKind.CONFIRMATION, signature_id, 0)


async def remind_unconfirmed(pool: Pool, queue: JobQueue | None, clock: Clock) -> int:
    """Queue the one reminder each signature unconfirmed for a day gets (many a signer misses
    the first email, or means to come back to it); how many were queued."""
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        queued = await signatures.insert_confirmation_reminders(conn, clock.now())
        doorbells.deliveries(queued)
    return len(queued)


class OneMoreStep(DomainError):
    """The signature came without a proof of work the form asked for: its link confirms only
    on a deliberate press (a POST), which no link scanner or lazy robot makes. `locale`: the
    signer's, for the page that asks for it."""

    def __init__(self, locale: str) -> None:
        super().__init__(locale)
        self.locale = locale


async def confirm_signature(
    pool: Pool,
    tokens: Tokens,
    token: str,
    queue: JobQueue | None = None,
    *,
    deliberate: bool = False,
) -> ConfirmedSignature:
    """Confirm the signature a link names, count it, hand its appeals to the officials'
    pacers and tell the webhooks subscribed; clicking the link again changes nothing. One
    suspected for a missing proof of work confirms only `deliberate`ly (OneMoreStep)."""
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
            if state.suspicion is Suspicion.PROOF_OF_WORK:
                if not deliberate:
                    raise OneMoreStep(state.locale)
                await signatures.clear_suspicion(conn, signature_id)
            if await signatures.confirm_pending_signature(conn, signature_id):
                new_appeals = await count_confirmed(conn, doorbells, signature_id, state.action_id)
                await join_on_confirmation(conn, signature_id)
    await wake_pacers(pool, new_appeals)
    mine = signature_id if state.thanks_in_person else None
    return ConfirmedSignature(state.action_slug, state.locale, mine)


async def count_confirmed(
    conn: Connection, doorbells: Doorbells, signature_id: UUID, action_id: int
) -> list[tuple[int, str]]:
    """A signature just confirmed (in the caller's transaction): counted, its appeals made
    for the officials' pacers (returned, to be woken once committed), the webhooks told."""
    await actions.add_confirmed(conn, action_id, shard=signature_id.int)
    new_appeals = await create_appeals(conn, signature_id, action_id)
    doorbells.deliveries(await tell(conn, WebhookEventType.SIGNATURE_CONFIRMED, signature_id, None))
    return new_appeals
