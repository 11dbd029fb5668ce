"""`/preview/{token}`: one language of an action as the public would see it, before it is
published, for whoever holds the link (a colleague or a partner without an account).

The link is signed and works for a week (`tokens.PREVIEW_MAX_AGE`). The page is never indexed,
cached or named to another site, and its form cannot be sent.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from campaign_engine import i18n
from campaign_engine.domain.campaigns.action_pages import read_preview
from campaign_engine.domain.errors import ActionNotFound, ActionRemoved
from campaign_engine.i18n import _
from campaign_engine.security.tokens import PREVIEW_MAX_AGE, ExpiredLink, InvalidLink
from campaign_engine.web.forms import FieldErrors
from campaign_engine.web.public.pages import action_context
from campaign_engine.web.rendering import PRIVATE, render, render_error
from campaign_engine.web.services import services


async def preview_page(request: Request) -> Response:
    s = services(request)
    try:
        preview = await read_preview(s.pool, s.clock, s.tokens, request.path_params["token"])
    except ExpiredLink:
        return _sealed(
            render_error(
                request,
                410,
                _("This preview link has expired"),
                i18n.ngettext(
                    "A preview link works for %(num)s day. Ask the campaigner for a new one.",
                    "A preview link works for %(num)s days. Ask the campaigner for a new one.",
                    PREVIEW_MAX_AGE.days,
                )
                % {"num": PREVIEW_MAX_AGE.days},
            )
        )
    except (InvalidLink, ActionNotFound):
        return _sealed(
            render_error(
                request,
                404,
                _("This link does not work"),
                _("Check that you copied the whole link, or ask the campaigner for a new one."),
            )
        )
    except ActionRemoved:
        return _sealed(
            render_error(
                request,
                410,
                _("This urgent action has been removed"),
                _("This urgent action is no longer available."),
            )
        )
    with s.catalogues.activate(preview.locale):
        context = action_context(preview.page, {}, FieldErrors(), preview=preview)
        response = render(request, "public/action.html", context, cache=PRIVATE)
    return _sealed(response)


def _sealed(response: Response) -> Response:
    """Whoever holds the link may read the page; nobody else should find it."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    # The token is in the address: a link followed from the page must not carry it away.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
