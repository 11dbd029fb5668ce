"""Share links: plain URLs to each network's own share page. No third-party script ever runs
on our pages, so sharing costs the supporter no tracking and our policy no exception."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from campaign_engine.i18n import _


@dataclass(frozen=True)
class ShareLink:
    network: str
    label: str
    href: str


def share_links(action_url: str, text: str, title: str) -> list[ShareLink]:
    """Each network gets the action's address tagged `?source=share-<network>`, so we learn
    which shares bring signatures without following anyone."""

    def tagged(network: str) -> str:
        return f"{action_url}?source=share-{network}"

    return [
        ShareLink(
            "whatsapp",
            "WhatsApp",
            "https://wa.me/?" + urlencode({"text": f"{text} {tagged('whatsapp')}"}),
        ),
        ShareLink(
            "telegram",
            "Telegram",
            "https://t.me/share/url?" + urlencode({"url": tagged("telegram"), "text": text}),
        ),
        ShareLink(
            "facebook",
            "Facebook",
            "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": tagged("facebook")}),
        ),
        ShareLink(
            "x", "X", "https://x.com/intent/post?" + urlencode({"text": text, "url": tagged("x")})
        ),
        ShareLink(
            "email",
            _("Email"),
            f"mailto:?subject={quote(title)}&body={quote(text + ' ' + tagged('email'))}",
        ),
    ]
