"""The widget on a partner's page, in real Chromium with third-party cookies blocked: the
partner's page lives on another origin (another host name and port), the loader inserts the
iframe, which resizes, someone signs inside it, the page hears of it, and the signature is
credited to the partner. A page on an origin the partner did not list gets nothing."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.async_api import Browser, Frame, Page, async_playwright, expect

from campaign_engine.db.pool import Pool
from campaign_engine.dev.mailbox import free_port
from tests.factories import make_action, unique_email
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.test_embed import make_partner

pytestmark = pytest.mark.browser

# Chrome's switch for "third-party cookies blocked, and the mitigations that come with it".
NO_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"
DEFAULT_HEIGHT = "480px"  # what the loader gives the iframe until the widget says otherwise

# The partner's page: it records the loader's events, as a partner's analytics would.
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A partner's page</title>
<script>
window.__events = [];
for (const name of ["campaign-engine:loaded", "campaign-engine:signed"]) {
  document.addEventListener(name, (event) => window.__events.push([name, event.detail]));
}
</script></head>
<body><h1>Our campaign</h1>
<div data-campaign-engine-action="%(slug)s" data-partner="%(partner)s" data-key="%(key)s"
     data-source="newsletter">
  <a href="%(widget)s/en/actions/%(slug)s">Sign the urgent action</a>
</div>
<script src="%(widget)s/embed.js" async></script>
</body></html>"""


# What a partner's page sends to isolate itself across origins (so it may use
# SharedArrayBuffer, say): then everything it loads from another origin must say it may be
# loaded so (Cross-Origin-Resource-Policy), the widget's frame and the loader included.
ISOLATED = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}


class HostPage(BaseHTTPRequestHandler):
    def __init__(self, html: str, headers: dict[str, str], *args: Any) -> None:
        self.html = html.encode()
        self.extra = headers
        super().__init__(*args)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in self.extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.html)))
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: pytest's output is for failures


def serve_page(
    html: str, headers: dict[str, str] | None = None, port: int = 0
) -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(HostPage, html, headers or {}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: `apt-get install chromium` to run browser tests")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, NO_THIRD_PARTY_COOKIES]
        )
        yield launched
        await launched.close()


async def widget_frame(page: Page) -> Frame:
    for _ in range(100):
        for frame in page.frames:
            if "/embed/" in frame.url:
                return frame
        await page.wait_for_timeout(50)
    raise AssertionError("no widget frame")


async def events(page: Page) -> list[str]:
    recorded: list[list[Any]] = await page.evaluate("window.__events")
    return [name for name, _detail in recorded]


async def wait_for_event(page: Page, name: str) -> None:
    for _ in range(100):
        if name in await events(page):
            return
        await page.wait_for_timeout(50)
    raise AssertionError(f"the page never heard {name}: {await events(page)}")


async def wait_for_height(page: Page) -> str:
    """The iframe's height once the widget has set it."""
    for _ in range(100):
        height: str = await page.locator("iframe").evaluate("frame => frame.style.height")
        if height != DEFAULT_HEIGHT:
            return height
        await page.wait_for_timeout(50)
    raise AssertionError("the iframe kept its default height")


async def post_from_page(page: Page, live_app: str, slug: str) -> int | str:
    """What the page's own script gets when it posts a signature to the JSON API: the status,
    or "blocked" when the browser refuses (no CORS headers for this origin)."""
    answer: int | str = await page.evaluate(
        """async ([url]) => {
             try {
               const answer = await fetch(url, {method: "POST", body: "{}",
                 headers: {"Content-Type": "application/json"}});
               return answer.status;
             } catch (refused) { return "blocked"; }
           }""",
        [f"{live_app}/api/v1/actions/{slug}/signatures"],
    )
    return answer


async def test_a_partner_page_embeds_the_widget_and_hears_of_a_signature(
    browser: Browser, live_app: str, pool: Pool
) -> None:
    slug = await make_action(pool)
    host_port = free_port()
    # The partner's page is cross-site for the widget: another host name, another port.
    host_origin = f"http://localhost:{host_port}"
    partner, key = await make_partner(pool, (host_origin,))
    html = HOST_PAGE % {"slug": slug, "partner": partner, "key": key, "widget": live_app}
    server, _port = serve_page(html, port=host_port)
    context = await browser.new_context(viewport={"width": 800, "height": 900})
    try:
        page = await context.new_page()
        await page.goto(f"{host_origin}/campaign?utm_campaign=spring&email=me@example.org")

        iframe = page.locator("iframe")
        await expect(iframe).to_have_attribute("title", "Sign the urgent action")
        frame = await widget_frame(page)
        assert "utm_campaign=spring" in frame.url
        assert "me%40example.org" not in frame.url, "the host page's query is not forwarded"
        await wait_for_event(page, "campaign-engine:loaded")
        await wait_for_height(page)
        content = await frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
        assert await iframe.evaluate("frame => frame.clientHeight") == content

        await frame.get_by_label("Your name").fill("Amina")
        await frame.get_by_label("Your email address").fill(unique_email())
        await frame.get_by_label("Your country").select_option("FR")
        await frame.get_by_role("button", name="Sign").click()

        await wait_for_event(page, "campaign-engine:signed")
        detail = await page.evaluate("window.__events.find(e => e[0].endsWith('signed'))[1]")
        assert detail == {"action": slug, "partner": partner}
        await expect(
            page.frame_locator("iframe").get_by_role("heading", name="Check your email")
        ).to_be_visible()
        assert await context.cookies() == [], "the widget needs no cookie, and sets none"
        # A listed origin may also post to the JSON API from the browser (CORS): an empty
        # signature is refused, and the page can read why.
        assert await post_from_page(page, live_app, slug) == 422
    finally:
        await context.close()
        server.shutdown()
        server.server_close()

    row = await pool.fetchrow(
        """SELECT p.slug AS credited, s.source, s.utm FROM signatures s
           JOIN actions a ON a.id = s.action_id LEFT JOIN partners p ON p.id = s.partner_id
           WHERE a.slug = $1""",
        slug,
    )
    assert row is not None
    assert (row["credited"], row["source"]) == (partner, "newsletter")
    assert row["utm"] == {"utm_campaign": "spring"}, "the host page's tags came along"


async def test_an_origin_the_partner_did_not_list_cannot_frame_the_widget(
    browser: Browser, live_app: str, pool: Pool
) -> None:
    slug = await make_action(pool)
    partner, key = await make_partner(pool, ("http://localhost:1",))
    html = HOST_PAGE % {"slug": slug, "partner": partner, "key": key, "widget": live_app}
    server, port = serve_page(html)
    context = await browser.new_context()
    try:
        page = await context.new_page()
        refused: list[str] = []
        page.on("console", lambda message: refused.append(message.text))
        await page.goto(f"http://127.0.0.1:{port}/campaign")
        await expect(page.locator("iframe")).to_have_count(1)
        await page.wait_for_timeout(3000)
        assert await events(page) == [], "the widget never loaded"
        [frame] = [frame for frame in page.frames if frame != page.main_frame]
        assert await frame.locator("form").count() == 0, "no widget inside the frame"
        assert any("frame-ancestors" in text for text in refused), refused
        assert await post_from_page(page, live_app, slug) == "blocked", "no CORS for it"
    finally:
        await context.close()
        server.shutdown()
        server.server_close()


async def test_a_partner_page_isolated_across_origins_still_shows_the_widget(
    browser: Browser, live_app: str, pool: Pool
) -> None:
    """A page with Cross-Origin-Embedder-Policy: require-corp loads the loader and frames the
    widget only because both answer Cross-Origin-Resource-Policy: cross-origin."""
    slug = await make_action(pool)
    host_port = free_port()
    partner, key = await make_partner(pool, (f"http://localhost:{host_port}",))
    html = HOST_PAGE % {"slug": slug, "partner": partner, "key": key, "widget": live_app}
    server, _port = serve_page(html, ISOLATED, port=host_port)
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(f"http://localhost:{host_port}/campaign")
        # localhost is a secure context: the isolation holds, so COEP is enforced.
        assert await page.evaluate("crossOriginIsolated") is True
        await wait_for_event(page, "campaign-engine:loaded")
        frame = await widget_frame(page)
        await expect(frame.get_by_label("Your name")).to_be_visible()
    finally:
        await context.close()
        server.shutdown()
        server.server_close()
