"""Unsubscribing: the link under every update, opened in a browser or posted by a mail program
on the reader's behalf (RFC 8058 one-click).

The link is signed, names the supporter by id (never by address), and never expires: an old
email must still let its reader leave. Unsubscribing appends a withdrawal to the consent
evidence, naming the wording it withdraws from; records are never changed or deleted. It
withdraws texts as well as emails: whoever asks us to stop expects to hear nothing more, and a
text is the more intrusive of the two (a number that texts STOP is stopped too, by
`domain/delivery/inbound.py`). Asking again changes nothing. Messages about a supporter's own
signature (its confirmation) are not updates and still go.
"""

from __future__ import annotations

from uuid import UUID

from campaign_engine.db.personal import supporters
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.signing import consent
from campaign_engine.domain.errors import DomainError
from campaign_engine.i18n import is_supported
from campaign_engine.models.signing import ConsentScope, UnsubscribeLink
from campaign_engine.security.tokens import InvalidLink, Tokens

WITHDRAWN_TOGETHER = (ConsentScope.UPDATES, ConsentScope.SMS)
# Where a withdrawal came from, as its record says.
ONE_CLICK = "one-click"  # a mail program's POST (List-Unsubscribe-Post)
UNSUBSCRIBE_PAGE = "unsubscribe-page"  # the button on our page


class UnsubscribeLinkInvalid(DomainError):
    """The link was not made by us, or was altered."""


def read_unsubscribe_link(tokens: Tokens, token: str) -> UnsubscribeLink:
    try:
        supporter_id, scope, locale = tokens.read_unsubscribe_token(token)
    except InvalidLink as bad:
        raise UnsubscribeLinkInvalid from bad
    if scope != ConsentScope.UPDATES or not is_supported(locale):
        raise UnsubscribeLinkInvalid
    return UnsubscribeLink(supporter_id, ConsentScope.UPDATES, locale)


async def is_subscribed(pool: Pool, tokens: Tokens, token: str) -> tuple[UnsubscribeLink, bool]:
    """What the link says, and whether its supporter would still receive updates."""
    link = read_unsubscribe_link(tokens, token)
    async with pool.acquire() as conn:
        granted = [await _granted(conn, link.supporter_id, s) for s in WITHDRAWN_TOGETHER]
    return link, any(text_id is not None for text_id in granted)


async def unsubscribe(pool: Pool, tokens: Tokens, token: str, source: str) -> UnsubscribeLink:
    """Withdraw the link's supporter from updates by email and by text; once."""
    link = read_unsubscribe_link(tokens, token)
    async with pool.acquire() as conn, conn.transaction():
        # Held until the end, so two clicks at once record one withdrawal. A supporter we no
        # longer hold (erased) receives nothing already.
        if not await supporters.lock_supporter(conn, link.supporter_id):
            return link
        for scope in WITHDRAWN_TOGETHER:
            text_id = await _granted(conn, link.supporter_id, scope)
            if text_id is not None:
                await consent.insert_consent_answer(
                    conn, link.supporter_id, scope, text_id, source, granted=False
                )
    return link


async def _granted(conn: Connection, supporter_id: UUID, scope: ConsentScope) -> int | None:
    """The wording the supporter's current consent to `scope` was given to; None: not given."""
    latest = await consent.get_latest_consent(conn, supporter_id, scope)
    return latest[1] if latest is not None and latest[0] else None
