"""What supporters are asked to agree to, and the evidence that they did.

The form shows `consent_wording(scope)` and the record stores that same wording, in the
language it was shown in: we can always say exactly what a person agreed to.

A record is evidence of what was submitted with a signature; it counts as consent only once
that signature is confirmed, which proves the address belongs to whoever ticked the box.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from campaign_engine.db.pool import Connection
from campaign_engine.db.signing import consent
from campaign_engine.i18n import _, active
from campaign_engine.models.signing import ConsentScope, ConsentText


def consent_wording(scope: ConsentScope) -> str:
    """The sentence beside a consent checkbox, in the active language."""
    if scope is ConsentScope.UPDATES:
        return _(
            "Keep me informed by email about this case and other urgent actions. "
            "I can unsubscribe at any time."
        )
    if scope is ConsentScope.PARTNER:
        return _(
            "I also agree that the partner organisation that shared this action may contact me."
        )
    if scope is ConsentScope.NETWORK:
        return _(
            "Alert me by email when someone is at risk and an urgent action I can help with is "
            "published. I can change what I receive, or leave, from any alert."
        )
    if scope is ConsentScope.FOLLOW:
        return _(
            "Send me this case's news by email: its updates and its outcome. I can stop at any "
            "time."
        )
    if scope is ConsentScope.NETWORK_TEXTS:
        # STOP stays STOP in every language: it is the word SMS providers act on.
        return _(
            "Also text me the most urgent alerts at this number. I can reply STOP at any time."
        )
    # STOP stays STOP in every language: it is the word SMS providers act on.
    return _("Send me text messages about urgent actions. I can reply STOP at any time.")


def shown_consent(scope: ConsentScope) -> ConsentText:
    return ConsentText(scope, active().tag, consent_wording(scope))


@dataclass(frozen=True)
class Agreed:
    """What one signer agreed to with one signature, as the form showed it; `partner` (slug)
    and `partner_id` name the partner whose form it was."""

    supporter_id: UUID
    signature_id: UUID
    shown: ConsentText
    source: str | None
    partner: str | None
    partner_id: int | None = None


async def record_consents(conn: Connection, agreed: Sequence[Agreed]) -> None:
    """Keep each `shown` as agreed to: its wording stored once, the records in one statement."""
    # In one order everywhere: two batches meeting the same new wordings take them alike.
    wordings = sorted({a.shown for a in agreed}, key=lambda t: (t.scope, t.locale, t.text))
    text_ids = {shown: await wording_id(conn, shown) for shown in wordings}
    await consent.insert_consents_granted(
        conn,
        [
            consent.ConsentGranted(
                a.supporter_id,
                a.signature_id,
                a.shown.scope,
                text_ids[a.shown],
                a.source,
                a.partner,
                a.partner_id,
            )
            for a in agreed
        ],
    )


async def wording_id(conn: Connection, shown: ConsentText) -> int:
    """The stored wording's id, stored now if it is new."""
    digest = hashlib.sha256(shown.text.encode()).hexdigest()
    text_id = await consent.get_or_insert_consent_text(
        conn, shown.scope, shown.locale, digest, shown.text
    )
    if text_id is None:  # inserted by a concurrent signer a moment ago: now it is visible
        text_id = await consent.get_or_insert_consent_text(
            conn, shown.scope, shown.locale, digest, shown.text
        )
    assert text_id is not None
    return text_id
