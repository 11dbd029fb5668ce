"""Emails as template folders: `templates/email/<name>/{subject.txt, body.txt, body.html}`.

The code that sends an email only builds its context; the words live in the templates, and the
templates speak the recipient's language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any
from uuid import UUID

from jinja2 import Environment

from campaign_engine.i18n import Catalogues, text_direction
from campaign_engine.templating import one_line


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailTemplates:
    def __init__(self, env: Environment, catalogues: Catalogues) -> None:
        self._env = env
        self._catalogues = catalogues

    def render(self, name: str, locale: str, context: Mapping[str, Any]) -> RenderedEmail:
        page = {**context, "locale": locale, "dir": text_direction(locale)}
        with self._catalogues.activate(locale):
            return RenderedEmail(
                subject=one_line(self._env.get_template(f"email/{name}/subject.txt").render(page)),
                text=self._env.get_template(f"email/{name}/body.txt").render(page),
                html=self._env.get_template(f"email/{name}/body.html").render(page),
            )


def message_id(delivery_id: UUID, email_from: str) -> str:
    """The same id for every attempt at one delivery, so a repeat can be recognised."""
    domain = parseaddr(email_from)[1].rpartition("@")[2] or "campaign-engine.invalid"
    return f"<delivery-{delivery_id}@{domain}>"


def safe_display_name(name: str) -> str:
    """A name as it may stand in a header: no control characters, on one line."""
    return one_line("".join(c for c in name if unicodedata.category(c) != "Cc"))


def build_email(
    rendered: RenderedEmail,
    *,
    sender: str,
    to_name: str,
    to_address: str,
    message_id: str,
    locale: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(display_name=safe_display_name(to_name), addr_spec=to_address)
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    # Tells mail servers and vacation responders that no human wrote this: no auto-replies.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    # After the content: setting content clears every Content-* header set before it.
    message["Content-Language"] = locale
    return message
