"""The workspace in a real browser (Debian's chromium, through Playwright), against
`campaign-engine dev` as a newcomer runs it: the owner's first sign-in, with a second factor."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from playwright.async_api import Page, expect

from campaign_engine.security.second_factor import STEP_SECONDS
from tests.conftest import DevStack
from tests.test_browser import browser, page  # noqa: F401 - the fixtures, shared

pytestmark = pytest.mark.browser

PASSWORD = "a passphrase for the development owner"
OWNER = "owner@example.org"


@pytest.fixture
def base(dev_stack: DevStack) -> str:
    return dev_stack.base


async def test_the_owner_signs_in_with_a_second_factor_and_out_again(
    page: Page,  # noqa: F811 - the fixture
    base: str,
    dev_stack: DevStack,
) -> None:
    printed = dev_stack.command("sign-in-link", OWNER).strip().splitlines()[-1]
    # Links start with PUBLIC_BASE_URL, which this command was not given: keep the path.
    path = "/admin/welcome/" + printed.split("/admin/welcome/", 1)[1]
    await page.goto(f"{base}{path}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    await page.get_by_label("New password").fill(PASSWORD)
    secret = re.sub(r"\s", "", await page.locator(".secret-key").inner_text())
    await expect(page.locator("figure.qr svg")).to_be_visible()
    await page.get_by_label("Enter the six-digit code the app now shows").fill(
        pyotp.TOTP(secret).now()
    )
    await page.get_by_role("button", name="Save and sign in").click()
    await expect(page).to_have_url(f"{base}/admin")
    await expect(page.get_by_role("cell", name="UA 117/26")).to_be_visible()

    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/admin/login$"))
    await page.goto(f"{base}/admin")
    await expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin$"))
    await page.get_by_label("Email address").fill(OWNER)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/admin/second-factor"))
    # The code that enrolled was spent; the app shows the next one half a minute later.
    later = datetime.now(UTC) + timedelta(seconds=STEP_SECONDS)
    await page.get_by_label("The six-digit code your authenticator app shows").fill(
        pyotp.TOTP(secret).at(later)
    )
    await page.get_by_role("button", name="Continue").click()
    await expect(page).to_have_url(f"{base}/admin")
    await expect(page.get_by_role("link", name="Team")).to_be_visible()
