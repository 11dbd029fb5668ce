"""The thank-you page after signing, and what it offers one signer alone.

Everyone sees the same page (share, post a letter, follow the case, join the network). A
signer whose confirmation (or one-click act) led here carries a `mine` token for two days,
naming their signature, when the action has something for them alone: their letters to send
from their own mailbox (docs/letters.md), and the ask for a solidarity message
(docs/solidarity.md). The page is then theirs, and no cache keeps it."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.actions import read_action_page
from campaign_engine.domain.campaigns.solidarity import MAX_MESSAGE, message_state, write_solidarity
from campaign_engine.domain.delivery.appeals import own_mailbox_letters
from campaign_engine.i18n import _
from campaign_engine.messages.mailto import mailto_letter
from campaign_engine.models.campaigns import ActionPage
from campaign_engine.security.tokens import InvalidLink
from campaign_engine.web.forms import has_unacceptable_characters
from campaign_engine.web.public.share import share_links
from campaign_engine.web.rendering import JUST_NOW, PRIVATE, absolute_url, render, url_path
from campaign_engine.web.services import services

THANKS_FOR = timedelta(days=2)  # how long a signer's own thank-you page works


def thanks_path(request: Request, locale: str, slug: str, signature_id: UUID | None) -> str:
    """The thank-you page, with the signer's token when it has something for them alone."""
    path = url_path(request, "thanks.thanks_page", locale=locale, slug=slug)
    if signature_id is None:
        return path
    return f"{path}?mine={services(request).tokens.thanks_token(signature_id)}"


async def thanks_page(request: Request) -> Response:
    tag, slug = i18n.active().tag, request.path_params["slug"]
    page = await read_action_page(services(request).pool, slug, tag)
    return await _page(request, page, request.query_params.get("mine", ""), {}, {})


async def write_message(request: Request) -> Response:
    """The solidarity message's form, bound to the signature by the page's token."""
    s, tag, slug = services(request), i18n.active().tag, request.path_params["slug"]
    form = await request.form(max_files=0, max_fields=4)
    token, text = str(form.get("mine", "")), str(form.get("message", ""))
    page = await read_action_page(s.pool, slug, tag)
    signature_id = _signature(request, token)
    if signature_id is None:
        return await _page(request, page, "", {}, {}, status_code=403)
    text = text.replace("\r\n", "\n").strip()
    error = _message_problem(text)
    if error is not None:
        values, errors = {"message": text}, {"message": error}
        return await _page(request, page, token, values, errors, status_code=422)
    if not await write_solidarity(s.pool, s.clock, signature_id, page.id, tag, text):
        # Taken back, or the action stopped asking, since the page was shown.
        errors = {"message": _("This signature can no longer send a message.")}
        return await _page(request, page, token, {}, errors, status_code=409)
    to = url_path(request, "thanks.thanks_page", locale=tag, slug=slug)
    return RedirectResponse(f"{to}?mine={token}#solidarity", status_code=303)


def _message_problem(text: str) -> str | None:
    if not text:
        return _("Write your message first.")
    if len(text) > MAX_MESSAGE:
        return _("Keep your message to %(max)s characters.") % {"max": MAX_MESSAGE}
    if has_unacceptable_characters(text, allowed="\n\t"):
        return _("Your message contains characters we cannot accept.")
    return None


def _signature(request: Request, token: str) -> UUID | None:
    try:
        return services(request).tokens.read_thanks_token(token, THANKS_FOR)
    except InvalidLink:
        return None


async def _page(
    request: Request,
    page: ActionPage,
    token: str,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    s, tag = services(request), i18n.active().tag
    signature_id = _signature(request, token) if token else None
    own = []
    written = False
    if signature_id is not None:
        ours, written = await message_state(s.pool, signature_id, page.id)
        signature_id = signature_id if ours else None  # another action's token shows nothing
    if signature_id is not None:
        letters = await own_mailbox_letters(s.pool, signature_id, page.id, s.clock.now())
        own = [mailto_letter(s.messages, s.settings, letter) for letter in letters]
    action_url = absolute_url(request, "pages.action_page", locale=tag, slug=page.slug)
    context = {
        "page": page,
        "share": share_links(action_url, page.share_text, page.title),
        "own_mailbox": own,
        "solidarity": signature_id is not None and page.asks_solidarity,
        "written": written,
        "mine": token if signature_id is not None else "",
        "values": values,
        "errors": errors,
        "max_message": MAX_MESSAGE,
    }
    # With the signer's own letters or message on it, the page is theirs alone.
    cache = PRIVATE if signature_id is not None else JUST_NOW
    return render(request, "public/thanks.html", context, status_code=status_code, cache=cache)
