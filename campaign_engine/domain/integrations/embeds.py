"""The widget: an action on a partner's site, in an iframe of ours.

Who may frame it is decided here from the partner's record: its allowed origins, and nothing
else. The widget needs no cookie, so a browser that blocks third-party cookies changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.action_pages import PublicAction, read_public_action
from campaign_engine.domain.errors import ActionRemoved
from campaign_engine.domain.integrations.partners import partner_for_signing
from campaign_engine.domain.signing.abuse import ClientLimits
from campaign_engine.domain.signing.signatures import SignatureBatches, sign_action
from campaign_engine.models.integrations import Partner
from campaign_engine.models.signing import ConsentText, SignatureRequest
from campaign_engine.security.tokens import Tokens

# An origin as a browser writes it (scheme://host[:port]), and nothing a header could be
# bent with: an origin that does not match is simply not allowed to frame us.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")
MAX_PAGE_URL = 500


@dataclass(frozen=True)
class EmbeddingPartner:
    """A partner that may embed now (known and enabled), with the sentence shown beside its
    opt-in box. `credited` is False when the snippet carries a key that is not the partner's
    (an old snippet after the key changed): the widget still shows on the partner's origins,
    but credits nobody and offers no opt-in to the partner."""

    partner: Partner
    consent: ConsentText
    credited: bool

    def allows(self, origin: str) -> bool:
        return origin in frame_ancestors(self)


@dataclass(frozen=True)
class Widget:
    """What the widget shows: the action (None once it is removed) and who embeds it."""

    action: PublicAction | None
    partner: EmbeddingPartner | None


def frame_ancestors(partner: EmbeddingPartner | None) -> tuple[str, ...]:
    """The origins that may frame the widget: the partner's own, else none (the caller then
    allows only our own origin)."""
    if partner is None:
        return ()
    return tuple(origin for origin in partner.partner.allowed_origins if _ORIGIN.match(origin))


async def embedding_partner(
    pool: Pool, slug: str | None, key: str | None, locale: str
) -> EmbeddingPartner | None:
    """The partner named by the widget's `partner`, checked against the snippet's `key` when
    it carries one; None when unknown or disabled: such a widget is framed by our own pages
    only and credits nobody."""
    found = await partner_for_signing(pool, slug, locale)
    if found is None:
        return None
    partner, consent = found
    return EmbeddingPartner(partner, consent, credited=not key or key == partner.embed_key)


async def read_widget(
    pool: Pool, slug: str, locale: str, partner_slug: str | None, key: str | None
) -> Widget:
    """The widget as the reader will see it; a removed action is a notice, not an error, so
    the partner's page shows it too (the partner's framing still applies)."""
    partner = await embedding_partner(pool, partner_slug, key, locale)
    try:
        action: PublicAction | None = await read_public_action(pool, slug, locale)
    except ActionRemoved:
        action = None
    return Widget(action, partner)


async def sign_in_widget(
    batches: SignatureBatches,
    tokens: Tokens,
    slug: str,
    request: SignatureRequest,
    key: str | None,
    *,
    limits: ClientLimits,
) -> None:
    """Sign through the same verb as the site's form; only a partner that may embed now is
    credited (a made-up or disabled one is dropped, never an error)."""
    partner = await embedding_partner(batches.pool, request.partner, key, request.locale)
    credited = partner.partner.slug if partner and partner.credited else None
    await sign_action(batches, tokens, slug, replace(request, partner=credited), limits=limits)


def page_source(url: str) -> str | None:
    """The embedding page as a `source` when the snippet gave none: its origin and path only.
    A query string or a fragment can carry personal data (an email in a newsletter link), so
    they are never kept; neither is anything but an http(s) URL of reasonable length."""
    if len(url) > MAX_PAGE_URL:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host if port is None else f"{host}:{port}"  # never the user:password@ part
    return f"{parts.scheme}://{netloc}{parts.path or '/'}"
