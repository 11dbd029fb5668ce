"""`make dev` as a newcomer meets it: one command, real servers from wheels, the demo loaded,
mail and texts caught in the development boxes, appeals reaching both demo officials."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from campaign_engine.i18n import LOCALES
from tests.conftest import DevStack


def test_the_demo_is_loaded_in_six_languages(dev_stack: DevStack) -> None:
    for locale in LOCALES:
        page = httpx.get(f"{dev_stack.base}/{locale}/actions/demo")
        assert page.status_code == 200, locale
        assert "UA 117/26" in page.text
    api = httpx.get(f"{dev_stack.base}/api/v1/actions/demo").json()
    assert sorted(api["locales"]) == sorted(LOCALES)


def test_a_confirmed_signature_reaches_both_officials_within_seconds(dev_stack: DevStack) -> None:
    base = dev_stack.base
    email = f"newcomer.{time.monotonic_ns()}@example.org"
    before = httpx.get(f"{base}/api/v1/actions/demo/count").json()["confirmed"]
    signed = httpx.post(
        f"{base}/api/v1/actions/demo/signatures",
        json={"name": "Ньюкомер", "email": email, "country": "RU", "locale": "ru"},
    )
    assert signed.status_code == 202

    mail = wait_for(lambda: [m for m in get(f"{base}/dev/mail.json") if email in m["to"]])
    assert set(mail) == {"to", "from", "subject", "headers", "text", "html"}
    assert mail["headers"]["Content-Language"] == "ru"
    assert '<html lang="ru"' in mail["html"]
    link = re.search(r"http://127\.0\.0\.1:\d+/confirm/\S+", mail["text"])
    assert link is not None
    thanks = httpx.get(link.group(0), follow_redirects=True)
    assert thanks.status_code == 200
    assert thanks.url.path == "/ru/actions/demo/thanks"
    # Counted, within the second each web process holds the count (web/page_cache.py).
    count = f"{base}/api/v1/actions/demo/count"
    wait_for(lambda: [1] if httpx.get(count).json()["confirmed"] == before + 1 else [], seconds=3)

    appeal = wait_for(
        lambda: [
            m
            for m in get(f"{base}/dev/mail.json")
            if "fiscal.general@example.org" in m["to"] and "Ньюкомер" in m["from"]
        ]
    )
    assert appeal["headers"]["Content-Language"] == "es"
    assert appeal["text"].startswith("Estimada Sra. Fiscal General")
    text = wait_for(lambda: [t for t in get(f"{base}/dev/sms.json") if "Ньюкомер" in t["body"]])
    assert set(text) == {"to", "from", "body", "headers"}
    assert text["to"] == "+33639980001"
    assert text["body"].startswith("Monsieur le Ministre")
    assert "Russie" in text["body"], "the country named in French"

    report = dev_stack.command("deliveries", "demo")
    assert "Dra. Marta Ibáñez Robles" in report
    assert "M. Lucien Deschamps" in report
    assert httpx.get(f"{base}/dev/sms").status_code == 200


def get(url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(url).json()
    return found


def wait_for(look: Any, seconds: float = 30) -> dict[str, Any]:
    """The first thing `look()` finds, asking again until it finds something."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = look()
        if found:
            first: dict[str, Any] = found[0]
            return first
        time.sleep(0.2)
    raise AssertionError("nothing arrived in time")
