"""A signer's email is rendered once per kind, language and action, then filled in with each
signer's name and links (`MessageTemplates.email_filled`). Filled in, it must be exactly the
email a full render gives, whatever the name holds, in every language; and a template that
does more with a personal value than print it must still come out right."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign_engine.i18n import LOCALES, Catalogues
from campaign_engine.messages.emails import MessageTemplates
from campaign_engine.templating import create_environment
from tests.conftest import make_settings
from tests.test_properties import HOSTILE

KINDS = ("confirm-signature", "already-signed")
NAMES = (
    "Ana",
    'Ana <b>"Ní Bhriain"</b> & Co\'s',
    "مريم الحسن",
    "李伟",
    "{{ name }} {% raw %}",
    "%(name)s %s",
    "  two\tspaces  ",
    "\u202eevil\u202c",
)
ACTION = {
    "action_code": "UA 12/26",
    "action_title": "Free <Aziz> & his lawyer",
    "action_title_locale": "en",
    "action_url": "https://ua.example.org/en/actions/free-aziz",
    "network_url": "https://ua.example.org/en/network",
    "reminder": False,
}


def templates(folder: Path | None = None) -> MessageTemplates:
    made = make_settings()
    return MessageTemplates(
        create_environment(folder or made.templates_dir), Catalogues(made.locales_dir)
    )


def personal(name: str, n: int = 1) -> dict[str, str]:
    return {
        "name": name,
        "confirm_url": f"https://ua.example.org/confirm/tok{n}?a=1&b=2",
        "privacy_url": f"https://ua.example.org/privacy/priv{n}",
        "not_me_url": f"https://ua.example.org/not-me/me{n}",
    }


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_a_filled_email_is_the_email_rendered_in_full(kind: str, locale: str) -> None:
    writer, reference = templates(), templates()
    for n, name in enumerate(NAMES * 2):  # the second round comes from the held rendering
        filled = writer.email_filled(kind, locale, ACTION, personal(name, n))
        assert filled == reference.email(kind, locale, {**ACTION, **personal(name, n)})
    hostile = writer.email_filled(kind, locale, ACTION, personal(NAMES[1])).html
    assert "&lt;b&gt;&#34;Ní Bhriain&#34;&lt;/b&gt; &amp; Co&#39;s" in hostile


@settings(max_examples=100, deadline=None)
@given(
    name=st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6)), max_size=5).map("".join)
)
def test_any_name_fills_in_as_a_render_would_write_it(name: str) -> None:
    writer = WRITER
    writer.email_filled("confirm-signature", "ar", ACTION, personal("Warm"))
    filled = writer.email_filled("confirm-signature", "ar", ACTION, personal(name))
    assert filled == REFERENCE.email("confirm-signature", "ar", {**ACTION, **personal(name)})


WRITER, REFERENCE = templates(), templates()


def test_a_template_that_tests_a_personal_value_is_rendered_in_full(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "email" / "odd"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("Hello")
    (folder / "body.txt").write_text("{% if name|length > 3 %}Dear {{ name }}{% endif %}")
    (folder / "body.html").write_text("<p>{{ name|upper }}</p>")
    writer = templates(tmp_path)
    context: dict[str, Any] = {}
    with caplog.at_level(logging.WARNING):
        first = writer.email_filled("odd", "en", context, {"name": "Ana"})
        second = writer.email_filled("odd", "en", context, {"name": "Beatriz"})
    assert (first.text, first.html) == ("", "<p>ANA</p>")
    assert (second.text, second.html) == ("Dear Beatriz", "<p>BEATRIZ</p>")
    assert "rendered in full for every message" in caplog.text
