"""`make dev` as a newcomer meets it: one command, real servers from wheels, the demo loaded,
mail caught in the development mailbox."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from campaign_engine.i18n import LOCALES


def test_the_demo_is_loaded_in_six_languages(dev_stack: str) -> None:
    for locale in LOCALES:
        page = httpx.get(f"{dev_stack}/{locale}/actions/demo")
        assert page.status_code == 200, locale
        assert "UA 117/26" in page.text
    api = httpx.get(f"{dev_stack}/api/v1/actions/demo").json()
    assert sorted(api["locales"]) == sorted(LOCALES)


def test_signing_lands_a_confirmation_in_the_mailbox(dev_stack: str) -> None:
    email = f"newcomer.{time.monotonic_ns()}@example.org"
    before = httpx.get(f"{dev_stack}/api/v1/actions/demo/count").json()["confirmed"]
    signed = httpx.post(
        f"{dev_stack}/api/v1/actions/demo/signatures",
        json={"name": "Ньюкомер", "email": email, "country": "RU", "locale": "ru"},
    )
    assert signed.status_code == 202

    mail = _wait_for_mail(dev_stack, email)
    assert set(mail) == {"to", "from", "subject", "headers", "text", "html"}
    assert mail["headers"]["Content-Language"] == "ru"
    assert '<html lang="ru"' in mail["html"]
    link = re.search(r"http://127\.0\.0\.1:\d+/confirm/\S+", mail["text"])
    assert link is not None
    thanks = httpx.get(link.group(0), follow_redirects=True)
    assert thanks.status_code == 200
    assert thanks.url.path == "/ru/actions/demo/thanks"
    after = httpx.get(f"{dev_stack}/api/v1/actions/demo/count").json()["confirmed"]
    assert after == before + 1

    page = httpx.get(f"{dev_stack}/dev/mail")
    assert page.status_code == 200
    assert email in page.text


def _wait_for_mail(base: str, email: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        newest_first = httpx.get(f"{base}/dev/mail.json").json()
        mine = [mail for mail in newest_first if email in mail["to"]]
        if mine:
            return dict(mine[0])
        time.sleep(0.2)
    raise AssertionError(f"no mail for {email} in the development mailbox")
