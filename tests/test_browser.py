"""What a person sees, in a real browser (Debian's chromium, driven by Playwright), against
`campaign-engine dev` as a newcomer runs it."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from campaign_engine.i18n import Catalogues
from campaign_engine.settings import SOURCE_HOME
from tests.conftest import DevStack

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
# Chromium phones home at start unless told not to; this machine's closed network refuses it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (REQUIRE_BROWSER is set) but was not found")
        pytest.skip("chromium is not installed: `apt-get install chromium` to run browser tests")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
def catalogues() -> Catalogues:
    return Catalogues(SOURCE_HOME / "locales")


@pytest.fixture
def base(dev_stack: DevStack) -> str:
    return dev_stack.base


@pytest.fixture
async def page(browser: Browser, base: str) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    opened = await context.new_page()
    foreign: list[str] = []
    opened.on(
        "request",
        lambda request: None if request.url.startswith(base) else foreign.append(request.url),
    )
    yield opened
    await context.close()
    assert foreign == [], "a page asked another origin for something"


async def counter(page: Page) -> int:
    figure = await page.locator(".counter-figure").first.inner_text()
    return int(re.sub(r"\D", "", figure))


async def mail_to(page: Page, base: str, email: str) -> Locator:
    """The newest mail to `email` in the development mailbox, once the worker has sent it."""
    await page.goto(f"{base}/dev/mail")
    mail = page.locator(".mail", has_text=email)
    for _ in range(50):  # the worker sends within a second or two
        if await mail.count():
            break
        await page.wait_for_timeout(200)
        await page.reload()
    return mail.first


async def test_a_supporter_signs_in_chinese_confirms_and_is_counted(
    page: Page, base: str, catalogues: Catalogues
) -> None:
    zh = catalogues.translations("zh-Hans")
    email = f"li.wei.{os.getpid()}@example.org"
    await page.goto(f"{base}/zh-Hans/actions/demo")
    await expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    before = await counter(page)

    await page.get_by_label(zh.gettext("Your name")).fill("李伟")
    await page.get_by_label(zh.gettext("Your email address")).fill(email)
    await page.get_by_label(zh.gettext("Your country")).select_option("CN")
    await page.get_by_role("button", name=zh.pgettext("button", "Sign")).click()

    await expect(page).to_have_url(re.compile(r"/zh-Hans/actions/demo/check-email$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(zh.gettext("Check your email"))

    mail = await mail_to(page, base, email)
    await mail.locator('a[href*="/confirm/"]').click()

    # The demo asks for a solidarity message: the page is the signer's, with their token.
    await expect(page).to_have_url(re.compile(r"/zh-Hans/actions/demo/thanks\?mine=[^&]+$"))
    assert await counter(page) == before + 1
    await page.locator('textarea[name="message"]').fill("加油，我们和你在一起！")
    await page.get_by_role("button", name=zh.gettext("Send my message")).click()
    await expect(page.locator("#solidarity [role=status]")).to_be_visible()
    for _ in range(30):  # the action page holds its count for up to a second
        await page.goto(f"{base}/zh-Hans/actions/demo")
        if await counter(page) == before + 1:
            break
        await page.wait_for_timeout(100)
    assert await counter(page) == before + 1


async def test_arabic_reads_right_to_left(page: Page, base: str) -> None:
    await page.goto(f"{base}/ar/actions/demo")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    panel = await page.locator(".sign-panel").bounding_box()
    story = await page.locator(".action-header").bounding_box()
    assert panel is not None
    assert story is not None
    assert panel["x"] < story["x"], "on a wide screen the form sits at the inline end: the left"
    label = await page.locator("label[for=name]").bounding_box()
    field = await page.locator("#name").bounding_box()
    assert label is not None
    assert field is not None
    assert label["x"] + label["width"] == pytest.approx(field["x"] + field["width"], abs=2), (
        "labels line up on the right"
    )


async def test_errors_are_announced_and_tied_to_their_fields(
    page: Page, base: str, catalogues: Catalogues
) -> None:
    ar = catalogues.translations("ar")
    await page.goto(f"{base}/ar/actions/demo")
    await page.get_by_label(ar.gettext("Your email address")).fill("not-an-address")
    await page.get_by_role("button", name=ar.pgettext("button", "Sign")).click()

    summary = page.locator(".error-summary")
    await expect(summary).to_be_focused()
    await expect(summary).to_have_attribute("role", "alert")
    email = page.get_by_label(ar.gettext("Your email address"))
    await expect(email).to_have_attribute("aria-invalid", "true")
    await expect(email).to_have_value("not-an-address")
    message = ar.gettext("Enter a valid email address, like name@example.org.")
    await expect(page.locator("#email-error")).to_contain_text(message)
    described = await email.get_attribute("aria-describedby") or ""
    assert "email-error" in described.split()
    await summary.get_by_role("link", name=message).click()
    await expect(email).to_be_focused()


async def test_focus_is_always_visible(page: Page, base: str) -> None:
    await page.goto(f"{base}/en/actions/demo")
    await page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    await expect(skip).to_be_focused()
    outline = await skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none"
    assert await skip.is_visible()


async def test_the_hidden_field_is_out_of_every_persons_way(page: Page, base: str) -> None:
    """The honeypot (domain/signing/abuse.py) must never catch a person: not seen, not in the
    accessibility tree, never reached with Tab."""
    await page.goto(f"{base}/en/actions/demo")
    # Its wrapper is a clipped pixel, as for any visually hidden text.
    box = await page.locator("div:has(> #website)").bounding_box()
    assert box is not None
    assert box["width"] <= 1, "no bigger than a clipped pixel"
    assert box["height"] <= 1
    assert await page.get_by_role("textbox", name="Leave this field empty").count() == 0
    reached = []
    for _ in range(40):
        await page.keyboard.press("Tab")
        reached.append(await page.evaluate("document.activeElement && document.activeElement.id"))
    assert "email" in reached, "Tab walks through the form"
    assert "website" not in reached


async def test_the_form_works_on_a_small_phone(browser: Browser, base: str) -> None:
    context = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    phone = await context.new_page()
    await phone.goto(f"{base}/ru/actions/demo")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "nothing overflows sideways"
    button = await phone.locator("form button[type=submit]").bounding_box()
    assert button is not None
    assert button["height"] >= 24
    assert button["width"] >= 24
    await context.close()


async def test_joining_the_network_on_a_phone_in_arabic(
    browser: Browser, base: str, catalogues: Catalogues
) -> None:
    """From the footer of a page to a member, by mouse-free form and the joining email."""
    ar = catalogues.translations("ar")
    email = f"maryam.{os.getpid()}@example.org"
    context = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    phone = await context.new_page()
    await phone.goto(f"{base}/ar/")
    await phone.get_by_role("link", name=ar.gettext("Join the Urgent Action Network")).click()
    await expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
    await phone.get_by_label(ar.gettext("Your email address")).fill(email)
    await phone.locator("#country").select_option(["SY", "EG"])
    await phone.get_by_label(ar.gettext("Death penalty")).check()
    await phone.locator("#consent_network").check()
    await phone.get_by_role("button", name=ar.gettext("Join the network")).click()
    await expect(phone.get_by_role("heading", level=1)).to_have_text(ar.gettext("Check your email"))

    mail = await mail_to(phone, base, email)
    await mail.locator('a[href*="/network/"]').first.click()
    await expect(
        phone.get_by_text(ar.gettext("Chosen: %(countries)s").split("%")[0])
    ).to_be_visible()
    await phone.get_by_role("button", name=ar.gettext("Yes, alert me")).click()
    await expect(phone.get_by_role("status")).to_have_text(
        ar.gettext("You are a member of the Urgent Action Network. Your choices are saved.")
    )
    await context.close()
