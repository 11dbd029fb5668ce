"""The campaigners' main journey in a real browser (Debian's chromium, through Playwright),
against `campaign-engine dev` as a newcomer runs it, with its real worker and mailbox.

An administrator accepts their invitation with a second factor, opens a case and an urgent
action in English and French, and publishes both. Two supporters sign, one in each language,
and confirm. The administrator records an outcome, translates and publishes it, and sends it as
an update: each signer receives it in their own language, with a one-click unsubscribe. The
signatures are exported. Then the session is ended, and stays ended; a form without its token
is refused.

And the network's journey: a campaigner publishes the demo's draft to the demo network, the
alerts arrive in /dev/mail in their members' languages, and a member signs from theirs in one
click; the counter rises, and the alert's page says so.

With SCREENSHOT_DIR set, the dashboard and the action editor are photographed in English and
Arabic on the way (see README, "Screenshots").
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from campaign_engine.i18n import Catalogues
from tests.conftest import DevStack
from tests.test_browser import browser  # noqa: F401 - the fixture, shared
from tests.test_browser import catalogues as catalogues  # the fixture, shared

pytestmark = pytest.mark.browser

PASSWORD = "a passphrase for the journey administrator"
RUN = uuid.uuid4().hex[:6]  # the dev stack lives for the whole session: names of our own
CASE = f"selin-kaya-{RUN}"
ACTION = f"free-selin-kaya-{RUN}"
CODE = f"UA {int(RUN, 16) % 9000 + 1000}/26"
SHOTS = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture
def base(dev_stack: DevStack) -> str:
    return dev_stack.base


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:  # noqa: F811 - fixture
    opened = await browser.new_context(viewport={"width": 1280, "height": 900})
    yield opened
    await opened.close()


async def test_a_case_and_its_action_run_from_invitation_to_update_and_export(
    context: BrowserContext,
    browser: Browser,  # noqa: F811 - the fixture
    catalogues: Catalogues,
    base: str,
    dev_stack: DevStack,
) -> None:
    page = await context.new_page()
    await accept_invitation(page, base, dev_stack)
    case_url = await open_case(page)
    await write_action(page)

    public = await browser.new_context()
    reader = await public.new_page()
    await reader.goto(f"{base}/fr/actions/{ACTION}")
    await expect(reader.get_by_role("heading", level=1)).to_have_text("Libérez Selin Kaya")
    english, french = f"amal-{RUN}@example.org", f"jeanne-{RUN}@example.org"
    await sign(reader, base, "en", english, "Amal Haddad", catalogues)
    await sign(reader, base, "fr", french, "Jeanne Martin", catalogues)
    await public.close()

    await record_outcome(page, case_url)
    await send_update(page, case_url)
    updates = {
        parseaddr(mail["to"])[1]: mail
        for mail in await mails_to(base, {english, french}, "/cases/")
    }
    assert "Selin Kaya has been released" in updates[english]["subject"]
    assert "Selin Kaya a été libérée" in updates[french]["subject"]
    assert updates[french]["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    await export_signatures(page, {english, french})
    if SHOTS:
        await photograph(page, base)
    await sign_out_for_good(page, context, base)


async def test_a_campaigner_alerts_the_demo_network_and_a_member_signs_in_one_click(
    context: BrowserContext,
    browser: Browser,  # noqa: F811 - the fixture
    base: str,
    dev_stack: DevStack,
) -> None:
    """The demo's draft published to the demo network: the alerts arrive in /dev/mail, each in
    its member's language, and one member signs from theirs in one click; the counter rises
    and the campaigner sees it on the alert's page."""
    page = await context.new_page()
    await accept_invitation(page, base, dev_stack, who="alerts")
    await page.goto(f"{base}/admin/actions/demo-hearing/alert")
    await expect(page.locator(".update-audience")).to_contain_text("4 members would be alerted")
    await page.get_by_role("link", name="Settings and status").click()
    await page.get_by_role("button", name="Publish now").click()

    members = {"amina@example.org", "li.wei@example.org", "sofia@example.org"}
    alerts = {
        parseaddr(m["to"])[1]: m for m in await mails_to(base, members, "/actions/demo-hearing")
    }
    languages = {address: mail["headers"]["Content-Language"] for address, mail in alerts.items()}
    assert languages == {
        "amina@example.org": "ar",
        "li.wei@example.org": "zh-Hans",
        "sofia@example.org": "en",
    }
    act = re.search(r"http://\S+/act/\S+", alerts["sofia@example.org"]["text"])
    assert act is not None

    public = await browser.new_context()
    member = await public.new_page()
    await member.goto(act.group(0))
    await expect(member.locator(".counter-figure")).to_have_text("0")
    await member.get_by_label("Your name").fill("Sofía Ruiz")
    await member.get_by_label("Your country").select_option("ES")
    await member.get_by_role("button", name="Sign with my name").click()
    await expect(member).to_have_url(f"{base}/en/actions/demo-hearing/thanks")
    await expect(member.locator(".counter-figure")).to_have_text("1")
    await member.goto(act.group(0))
    await expect(member.get_by_role("heading", name="You have signed this action")).to_be_visible()
    await public.close()

    await page.goto(f"{base}/admin/actions/demo-hearing/alert")
    await expect(page.get_by_text("1 alerted member has signed.")).to_be_visible()

    # The alert was planned as urgent: Amina's number, which said YES, has it in /dev/sms,
    # in Arabic; answering it there is answered in Arabic (she never signed, so her name is
    # asked once through the link).
    phone = await public_page(browser, f"{base}/dev/sms")
    amina = phone.locator(".mail").filter(has_text="+61491570156").filter(has_text="UA 118/26")
    await expect(amina).to_have_count(1)
    await amina.get_by_role("button").click()
    await expect(phone.locator(".notice")).to_contain_text("نعم")


async def public_page(opener: Browser, url: str) -> Page:
    page = await (await opener.new_context()).new_page()
    await page.goto(url)
    return page


async def accept_invitation(
    page: Page, base: str, dev_stack: DevStack, who: str = "journey"
) -> None:
    printed = dev_stack.command(
        "create-user", f"{who}-{RUN}@example.org", "--name", "Journey Admin", "--role", "admin"
    )
    link = printed.strip().splitlines()[-1]
    await page.goto(base + "/admin/welcome/" + link.split("/admin/welcome/", 1)[1])
    await page.get_by_label("New password").fill(PASSWORD)
    secret = re.sub(r"\s", "", await page.locator(".secret-key").inner_text())
    await page.get_by_label("Enter the six-digit code the app now shows").fill(
        pyotp.TOTP(secret).now()
    )
    await page.get_by_role("button", name="Save and sign in").click()
    await expect(page).to_have_url(f"{base}/admin")


async def open_case(page: Page) -> str:
    """A new case in English, translated into French; returns its workspace address."""
    await page.get_by_role("link", name="Cases", exact=True).click()
    await page.get_by_role("link", name="New case").click()
    await page.get_by_label("Address").fill(CASE)
    await page.get_by_label("Country").select_option("TR")
    await page.get_by_label("Risk category").select_option("arbitrary_detention")
    await page.get_by_label("Open", exact=True).check()
    await page.get_by_label("Language the case is written in").select_option("en")
    await page.get_by_label("Title", exact=True).fill("Selin Kaya")
    await page.get_by_label("Person or group at risk").fill("Selin Kaya, journalist")
    await page.get_by_label("Summary").fill("A journalist held for her reporting.")
    await page.get_by_label("The story").fill("Selin Kaya was arrested in March.")
    await page.get_by_role("button", name="Create the case").click()
    await expect(page).to_have_url(re.compile(r"/admin/cases/\d+$"))
    case_url = page.url

    await page.get_by_role("link", name="Translate into Français").click()
    await page.locator("#title").fill("Selin Kaya")
    await page.locator("#person").fill("Selin Kaya, journaliste")
    await page.locator("#summary").fill("Une journaliste détenue pour son travail.")
    await page.locator("#body").fill("Selin Kaya a été arrêtée en mars.")
    await page.get_by_role("button", name="Save the translation").click()
    await expect(page).to_have_url(f"{case_url}#translations")
    await expect(page.get_by_role("row", name=re.compile("^Français"))).to_contain_text(
        "Up to date"
    )
    return case_url


ACTION_WORDS = {
    "en": {
        "title": "Free Selin Kaya",
        "summary": "Ask the minister to release her.",
        "body": "Write to the minister of justice today.",
        "letter_subject": "Release Selin Kaya",
        "letter_body": "I urge you to release Selin Kaya at once.",
        "share_text": "I wrote for Selin Kaya.",
    },
    "fr": {
        "title": "Libérez Selin Kaya",
        "summary": "Demandez au ministre de la libérer.",
        "body": "Écrivez aujourd'hui au ministre de la Justice.",
        "letter_subject": "Libérez Selin Kaya",
        "letter_body": "Je vous demande de libérer Selin Kaya immédiatement.",
        "share_text": "J'ai écrit pour Selin Kaya.",
    },
}


async def write_action(page: Page) -> None:
    """A draft action for the case, its French translation, both published, then opened."""
    await page.get_by_role("link", name="New action for this case").click()
    await page.get_by_label("Code").fill(CODE)
    await page.get_by_label("Address").fill(ACTION)
    await page.get_by_label("Language it is written in").select_option("en")
    await page.get_by_label("Deadline").fill(f"{datetime.now(UTC).year + 1}-06-30T12:00")
    await page.get_by_label("Goal").fill("1000")
    for name, words in ACTION_WORDS["en"].items():
        await page.locator(f"#{name}").fill(words)
    await page.get_by_role("button", name="Create the draft").click()
    await expect(page).to_have_url(re.compile(rf"/admin/actions/{ACTION}/edit\?done=created$"))

    await page.get_by_role("link", name="Write Français").click()
    for name, words in ACTION_WORDS["fr"].items():
        await page.locator(f"#{name}").fill(words)
    await page.get_by_role("button", name="Save translation").click()
    await page.get_by_role("button", name="Publish Français").click()
    await page.get_by_role("link", name="Settings and status").click()
    await page.get_by_role("button", name="Publish English").click()
    await page.get_by_role("button", name="Publish now").click()
    await expect(page.locator(".action-meta .badge-open")).to_be_visible()


async def sign(
    page: Page, base: str, locale: str, email: str, name: str, catalogues: Catalogues
) -> None:
    """A supporter signs in their language, agreeing to hear back, and confirms."""
    words = catalogues.translations(locale)
    await page.goto(f"{base}/{locale}/actions/{ACTION}")
    await page.get_by_label(words.gettext("Your name")).fill(name)
    await page.get_by_label(words.gettext("Your email address")).fill(email)
    await page.get_by_label(words.gettext("Your country")).select_option("FR")
    await page.locator("input[name=consent_updates]").check()
    await page.get_by_role("button", name=words.pgettext("button", "Sign")).click()
    await expect(page).to_have_url(re.compile(rf"/{locale}/actions/{ACTION}/check-email$"))
    (confirmation,) = await mails_to(base, {email}, "/confirm/")
    link = re.search(r"https?://\S+/confirm/[\w.~-]+", confirmation["text"])
    assert link is not None
    await page.goto(base + "/confirm/" + link.group(0).split("/confirm/", 1)[1])
    await expect(page).to_have_url(re.compile(rf"/{locale}/actions/{ACTION}/thanks$"))


async def record_outcome(page: Page, case_url: str) -> None:
    """The outcome on the case's timeline, in English and French, published."""
    await page.goto(case_url)
    await page.locator("summary", has_text="Add to the timeline").click()
    await page.locator("#new-kind").select_option("outcome")
    await page.locator("#new-outcome").select_option("released")
    await page.locator("#new-date").fill(datetime.now(UTC).date().isoformat())
    await page.locator("#new-source").fill("Her lawyer")
    await page.locator("#new-title").fill("Selin Kaya has been released")
    await page.locator("#new-body").fill("She is home with her family. Thank you.")
    await page.get_by_role("button", name="Add to the timeline").click()

    await page.get_by_role("link", name="Translate into Français").click()
    event = page.locator(".case-translation-event").first
    await event.get_by_label("Title").fill("Selin Kaya a été libérée")
    await event.get_by_label("Text").fill("Elle est chez elle, avec sa famille. Merci.")
    await page.get_by_role("button", name="Save the translation").click()
    await page.goto(case_url)
    await page.locator(".case-timeline").get_by_role("button", name="Publish").first.click()
    await page.goto(case_url.split("/admin/")[0] + f"/fr/cases/{CASE}")
    await expect(page.get_by_text("Selin Kaya a été libérée")).to_be_visible()


async def send_update(page: Page, case_url: str) -> None:
    await page.goto(case_url)
    await page.get_by_role("link", name="Send updates to supporters").click()
    # The two signers, and the demo network's members alerted to the action (docs/network.md).
    await expect(page.get_by_text("This will email 6 supporters.")).to_be_visible()
    await page.get_by_label(
        "I have read this update and its translations, and I want to send it now"
    ).check()
    await page.get_by_role("button", name="Send to supporters").click()
    # The page refreshes itself while the worker writes the messages, then shows their progress.
    progress = page.get_by_role("table", name="Progress of this send")
    await expect(progress).to_be_visible(timeout=30_000)


async def export_signatures(page: Page, emails: set[str]) -> None:
    await page.goto(page.url.split("/admin/")[0] + f"/admin/actions/{ACTION}")
    await expect(page.locator("#figure-confirmed")).to_have_text("2")
    await page.get_by_role("link", name="Export", exact=True).click()
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Download signatures (CSV)").click()
    download = await waiting.value
    data = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert all(email in text for email in emails)


async def photograph(page: Page, base: str) -> None:
    """The dashboard and the action editor, in English and in Arabic."""
    assert SHOTS is not None
    folder = Path(SHOTS)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    for language in ("en", "ar"):
        await choose_language(page, base, language)
        for name, path in (
            ("dashboard", ""),
            ("editor", "/edit"),
            ("translation", "/translations/fr"),
        ):
            await page.goto(f"{base}/admin/actions/{ACTION}{path}")
            await page.screenshot(path=folder / f"{name}-{language}.png", full_page=True)
    await choose_language(page, base, "en")


async def choose_language(page: Page, base: str, language: str) -> None:
    await page.goto(f"{base}/admin/account")
    await page.locator("select[name=locale]").select_option(language)
    await page.locator("form[action='/admin/account/language'] button").click()


async def sign_out_for_good(page: Page, context: BrowserContext, base: str) -> None:
    """A form another site plants, and a form without its token, are both refused; after
    signing out, the old cookie opens nothing, even replayed by hand."""
    await page.set_content(
        f'<form method="post" action="{base}/admin/cases">'
        '<input name="slug" value="forged-case"><button>Go</button></form>'
    )
    async with page.expect_response(f"{base}/admin/cases") as planted:
        await page.get_by_role("button", name="Go").click()
    assert (await planted.value).status == 403
    tokenless = await page.request.post(f"{base}/admin/cases", form={"slug": "forged-case"})
    assert tokenless.status == 403
    await page.goto(f"{base}/admin/cases")
    await expect(page.get_by_text("forged-case")).to_have_count(0)

    cookies = {c["name"]: c["value"] for c in await context.cookies() if "session" in c["name"]}
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/admin/login$"))
    async with httpx.AsyncClient(base_url=base, cookies=cookies) as replay:
        answer = await replay.get("/admin/cases")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/admin/login")


async def mails_to(base: str, addresses: set[str], marker: str) -> list[dict[str, Any]]:
    """The newest mail to each address whose text holds `marker`, waiting for the worker."""
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(100):
            mails = (await client.get("/dev/mail.json")).json()
            found: dict[str, dict[str, Any]] = {}
            for mail in mails:  # newest first
                address = parseaddr(mail["to"])[1]
                if address in addresses and marker in mail["text"]:
                    found.setdefault(address, mail)
            if set(found) == addresses:
                return list(found.values())
            await asyncio.sleep(0.2)
    seen = [(mail["to"], mail["subject"]) for mail in mails[:10]]
    raise AssertionError(f"no mail with {marker!r} reached {addresses}; newest: {seen}")
