"""Emails as template folders: `templates/email/<name>/{subject.txt, body.txt, body.html}`.

The code that sends an email only builds its context; the words live in the templates, and the
templates speak the recipient's language.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any
from uuid import UUID

from jinja2 import Environment, TemplateNotFound
from markupsafe import escape

from campaign_engine.i18n import SOURCE_LOCALE, Catalogues, is_supported, text_direction
from campaign_engine.messages.mime import (
    Attachment,
    Content,
    HeaderValue,
    Mailbox,
    OutgoingEmail,
    Verbatim,
    write_message,
)
from campaign_engine.templating import one_line

log = logging.getLogger(__name__)

# Emails written once and filled in, kept per process: kinds × languages × actions being
# signed at once. Past this many the oldest is written again when next needed.
SKELETONS_KEPT = 512


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    sender_name: str | None  # from the folder's optional `from.txt`


@dataclass(frozen=True)
class _Skeleton:
    """An email rendered with a mark where each personal value goes: filling it in costs a
    string substitution, not a render."""

    rendered: RenderedEmail
    marks: re.Pattern[str]
    fields: Mapping[str, str]  # mark -> the personal value's name

    def fill(self, personal: Mapping[str, str]) -> RenderedEmail:
        raw = {mark: personal[field] for mark, field in self.fields.items()}
        html = {mark: str(escape(value)) for mark, value in raw.items()}
        rendered = self.rendered
        sender_name = rendered.sender_name
        return RenderedEmail(
            subject=one_line(self.marks.sub(lambda m: raw[m[0]], rendered.subject)),
            text=self.marks.sub(lambda m: raw[m[0]], rendered.text),
            html=self.marks.sub(lambda m: html[m[0]], rendered.html),
            sender_name=None
            if sender_name is None
            else one_line(self.marks.sub(lambda m: raw[m[0]], sender_name)),
        )


# What a template that cannot be filled in (it tests or filters a personal value) is held as.
_IN_FULL = "render in full"


class MessageTemplates:
    """Emails and texts, rendered in their reader's language.

    A language we have no catalogue for (an official's letter may be in one) keeps its own
    `lang` and `dir`, while the few words the templates add come in the source language.
    """

    def __init__(self, env: Environment, catalogues: Catalogues) -> None:
        self._env = env
        self._catalogues = catalogues
        self._absent: set[str] = set()  # optional templates a folder does not have
        self._skeletons: dict[tuple[Any, ...], _Skeleton | str] = {}

    def email(self, name: str, locale: str, context: Mapping[str, Any]) -> RenderedEmail:
        folder = f"email/{name}"
        with self._speaking(locale, context) as page:
            return RenderedEmail(
                subject=one_line(self._render(f"{folder}/subject.txt", page)),
                text=self._render(f"{folder}/body.txt", page),
                html=self._render(f"{folder}/body.html", page),
                sender_name=self._sender_name(f"{folder}/from.txt", page),
            )

    def email_filled(
        self, name: str, locale: str, shared: Mapping[str, Any], personal: Mapping[str, str]
    ) -> RenderedEmail:
        """The same email as `email(name, locale, shared | personal)`, rendered once per
        language and `shared` values and then filled in with each reader's `personal` ones: a
        surge's thousands of confirmations in one language cost one render, not thousands.

        The templates may only print a personal value (`{{ name }}`, or as an argument of
        `_()`), never test, filter or measure it. The first email of each kind is also
        rendered in full and compared; a template that does more is rendered in full for
        every email from then on, and says so in the log. With templates reloaded
        (development) every email is rendered in full."""
        if self._env.auto_reload:
            return self.email(name, locale, {**shared, **personal})
        key = (name, locale, tuple(sorted(shared.items())), tuple(sorted(personal)))
        skeleton = self._skeletons.get(key)
        if skeleton is None:
            return self._first_filled(key, name, locale, shared, personal)
        if isinstance(skeleton, str):
            return self.email(name, locale, {**shared, **personal})
        return skeleton.fill(personal)

    def _first_filled(
        self,
        key: tuple[Any, ...],
        name: str,
        locale: str,
        shared: Mapping[str, Any],
        personal: Mapping[str, str],
    ) -> RenderedEmail:
        # Marks are letters and digits, which escaping, gettext and folding leave as they are,
        # and random, so no text could hold one by chance.
        fields = {f"m{secrets.token_hex(8)}{field}x": field for field in personal}
        by_field = {field: mark for mark, field in fields.items()}
        marks = re.compile("|".join(fields)) if fields else re.compile(r"(?!)")
        skeleton = _Skeleton(self.email(name, locale, {**shared, **by_field}), marks, fields)
        in_full = self.email(name, locale, {**shared, **personal})
        if len(self._skeletons) >= SKELETONS_KEPT:
            del self._skeletons[next(iter(self._skeletons))]
        if skeleton.fill(personal) == in_full:
            self._skeletons[key] = skeleton
        else:
            log.warning(
                "the %s email does more with a personal value than print it: it is rendered"
                " in full for every message",
                name,
            )
            self._skeletons[key] = _IN_FULL
        return in_full

    def _sender_name(self, template: str, page: Mapping[str, Any]) -> str | None:
        """The folder's `from.txt`, if it has one. (Asked of the loader, which caches what it
        found; what it did not find is remembered here, unless templates are reloaded: the
        loader would look on disk again for every message.)"""
        if template in self._absent:
            return None
        try:
            return one_line(self._render(template, page))
        except TemplateNotFound:
            if not self._env.auto_reload:
                self._absent.add(template)
            return None

    def text(self, template: str, locale: str, context: Mapping[str, Any]) -> str:
        """A text of several lines, such as the letter a mailto link carries."""
        with self._speaking(locale, context) as page:
            return self._render(template, page).strip()

    def line(self, template: str, locale: str, context: Mapping[str, Any]) -> str:
        """A one-line text, such as a text message (`sms/appeal.txt`), folded onto one line."""
        with self._speaking(locale, context) as page:
            return one_line(self._render(template, page))

    def _render(self, template: str, page: Mapping[str, Any]) -> str:
        return self._env.get_template(template).render(page)

    @contextmanager
    def _speaking(self, locale: str, context: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        catalogue = locale if is_supported(locale) else SOURCE_LOCALE
        with self._catalogues.activate(catalogue):
            yield {**context, "locale": locale, "dir": text_direction(locale)}


@functools.lru_cache(maxsize=8)
def from_parts(email_from: str) -> tuple[str, str]:
    """EMAIL_FROM as (name, address): parsed once, not for every message."""
    return parseaddr(email_from)


def message_id(delivery_id: UUID, email_from: str) -> str:
    """The same id for every attempt at one delivery, so a repeat can be recognised."""
    domain = from_parts(email_from)[1].rpartition("@")[2] or "campaign-engine.invalid"
    return f"<delivery-{delivery_id}@{domain}>"


def safe_display_name(name: str) -> str:
    """A name as it may stand in a header: no control characters, on one line."""
    return one_line("".join(c for c in name if unicodedata.category(c) != "Cc"))


def build_email(
    rendered: RenderedEmail,
    *,
    sender: Mailbox,
    to: Mailbox,
    message_id: str,
    locale: str,
    reply_to: str | None = None,
    automatic: bool = True,
    attachments: tuple[Attachment, ...] = (),
    extra_headers: tuple[tuple[str, str | Verbatim], ...] = (),
) -> OutgoingEmail:
    """The message; `extra_headers` come last (List-Unsubscribe, for mail to a list)."""
    headers: list[tuple[str, HeaderValue]] = [("From", sender), ("To", to)]
    if reply_to:
        headers.append(("Reply-To", Mailbox("", reply_to)))
    headers += [
        ("Subject", rendered.subject),
        ("Date", datetime.now(UTC)),  # written `+0000`, RFC 5322's numeric zone (mime.py)
        ("Message-ID", Verbatim(message_id)),
        ("Content-Language", locale),
    ]
    if automatic:
        # Tells mail servers and vacation responders that no human wrote this: no
        # auto-replies. An appeal is a person's letter, so it says no such thing.
        headers.append(("Auto-Submitted", "auto-generated"))
    headers += extra_headers
    content = Content(rendered.text, rendered.html, attachments)
    return write_message(headers, content, sender=sender.email, to=to.email)


def address(name: str, email: str) -> Mailbox:
    """A header address whose name cannot break out of its header."""
    return Mailbox(name=safe_display_name(name), email=email)
