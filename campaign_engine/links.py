"""The links we send out of the site (in emails, texts, and to Twilio for its callbacks),
by route name, for code that has no request to ask the router (workers, the CLI).

A link in a sent email must keep working for as long as the email is kept, so these paths are
a promise to the outside world. `tests/test_links.py` checks each against the route of the same
name in web/routes.py, so the two cannot drift; pages build their links from the router itself
(`url_path`, `absolute_url` in web/rendering.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter
from urllib.parse import quote

SENT: Mapping[str, str] = {
    "pages.action_page": "/{locale}/actions/{slug}",
    "case_sheets.case_sheet": "/{locale}/actions/{slug}/case-sheet.pdf",
    "pages.case_page": "/{locale}/cases/{slug}",
    "pages.confirm": "/confirm/{token}",
    "privacy.privacy_page": "/privacy/{token}",
    "network.member_page": "/network/{token}",
    "privacy.not_me_page": "/not-me/{token}",
    "network.join_page": "/{locale}/network",
    "network.leave_page": "/network/{token}/leave",
    "act.act_page": "/act/{token}",
    "following.follow_page": "/follow/{token}",
    "following.stop_page": "/follow/{token}/stop",
    "unsubscribe.unsubscribe_page": "/unsubscribe/{token}",
    "auth.welcome_page": "/admin/welcome/{token}",
    "overview.overview": "/admin",
    "webhooks.twilio_status": "/webhooks/twilio/status",
}


def absolute_url(base_url: str, name: str, /, **params: object) -> str:
    """`absolute_url(settings.public_base_url, "pages.confirm", token=token)`: the whole URL
    of the route named `name`, its parameters escaped."""
    path = SENT[name]
    expected = {field for _text, field, _spec, _conversion in Formatter().parse(path) if field}
    if set(params) != expected:
        raise TypeError(f"{name} takes {sorted(expected)}, not {sorted(params)}")
    return base_url + path.format_map(
        {key: quote(str(value), safe="") for key, value in params.items()}
    )
