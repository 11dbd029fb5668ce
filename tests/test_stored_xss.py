"""Stored XSS (reliability.md F4): 600 payloads in every campaign text field (an action's
six, its case's four, an update on the case's timeline), rendered in real Chromium on the
public pages, the widget and the workspace. The browser runs with the Content-Security-Policy
switched off, so this proves the escaping and the sanitiser, not the policy behind them: no
payload's script runs, no element carries an event handler or a script link, and template
syntax is shown, never evaluated."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright

from campaign_engine.db.pool import Pool
from tests.factories import make_action
from tests.staff import SESSION_COOKIE, Campaigner
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.xss_corpus import payloads

pytestmark = pytest.mark.browser

ACTION_FIELDS = ("title", "summary", "body", "letter_subject", "letter_body", "share_text")
CASE_FIELDS = ("title", "person", "summary", "body")
CHUNKS = 3  # three actions, each holding a third of the corpus in every field

# Every element's attributes, as the browser built them: no handler, no script link, and no
# script of anyone but ours.
AUDIT_DOM = """() => {
  const found = [];
  const links = ["href", "src", "action", "formaction", "data", "xlink:href"];
  const foreign = ["IFRAME", "OBJECT", "EMBED", "BASE"];
  for (const element of document.querySelectorAll("*")) {
    const tag = element.tagName;
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
      if (name.startsWith("on")) found.push(`${tag} ${name}`);
      if (links.includes(name) && /^(javascript|vbscript|data):/.test(value)) {
        found.push(`${tag} ${name}=${value}`);
      }
      if (name === "srcdoc") found.push(`${tag} srcdoc`);
    }
    const source = element.getAttribute("src") || "";
    if (tag === "SCRIPT" && !source.startsWith("/static/")) found.push("SCRIPT");
    if (foreign.includes(tag)) found.push(tag);
  }
  return found;
}"""


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: `apt-get install chromium` to run browser tests")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def planted(pool: Pool) -> list[tuple[str, int]]:
    """Actions (and their cases) with the corpus in every text field: (slug, case id)."""
    corpus = payloads()
    made = []
    for part in range(CHUNKS):
        chunk = "\n\n".join(corpus[part::CHUNKS])
        slug = await make_action(pool, locales=("en",))
        case_id = await pool.fetchval("SELECT case_id FROM actions WHERE slug = $1", slug)
        # Written straight into the rows: what a form would refuse (control characters, the
        # length limits) is in the corpus too.
        action_fields = ", ".join(f"{name} = $2" for name in ACTION_FIELDS)
        await pool.execute(
            f"""UPDATE action_translations SET {action_fields}
                WHERE action_id = (SELECT id FROM actions WHERE slug = $1)""",
            slug,
            chunk,
        )
        case_fields = ", ".join(f"{name} = $2" for name in CASE_FIELDS)
        await pool.execute(
            f"UPDATE case_translations SET {case_fields} WHERE case_id = $1",
            case_id,
            chunk,
        )
        event_id = await pool.fetchval(
            """INSERT INTO case_events (case_id, kind, occurred_at, published, source)
               VALUES ($1, 'update', now(), true, $2) RETURNING id""",
            case_id,
            chunk,
        )
        await pool.execute(
            """INSERT INTO case_event_translations (event_id, locale, title, body)
               VALUES ($1, 'en', $2, $2)""",
            event_id,
            chunk,
        )
        made.append((slug, case_id))
    return made


async def test_no_payload_runs_anywhere_it_is_shown(
    browser: Browser, live_app: str, pool: Pool, campaigner: Campaigner
) -> None:
    assert len(payloads()) >= 500
    actions = await planted(pool)
    context = await browser.new_context(bypass_csp=True)
    await context.add_cookies(
        [{"name": SESSION_COOKIE, "value": campaigner.session_token, "url": live_app}]
    )
    ran: list[str] = []
    await _listen(context, ran)
    pages = ["/admin/actions", "/admin/cases"]
    for slug, case_id in actions:
        pages += [
            f"/en/actions/{slug}",
            f"/en/actions/{slug}/thanks",
            f"/en/cases/case-{slug}",
            f"/en/embed/{slug}",
            f"/admin/actions/{slug}",
            f"/admin/actions/{slug}/edit",
            f"/admin/actions/{slug}/translations/en",
            f"/admin/actions/{slug}/abuse",
            f"/admin/cases/{case_id}",
        ]
    page = await context.new_page()
    for path in pages:
        response = await page.goto(live_app + path, wait_until="load")
        assert response is not None
        assert response.status == 200, path
        await page.wait_for_timeout(50)  # autofocus handlers, animations: give them their turn
        assert await page.evaluate(AUDIT_DOM) == [], path
    assert ran == [], f"scripts ran: {ran[:5]}"
    # Template syntax in a campaign text is shown as typed: nothing evaluates it.
    await page.goto(live_app + f"/en/actions/{actions[0][0]}")
    assert "{{ __xss(" in await page.locator("h1").inner_text()
    await context.close()


async def _listen(context: BrowserContext, ran: list[str]) -> None:
    """Record every payload that runs, and every dialog a payload might open."""
    await context.expose_function("__reportXss", lambda n: ran.append(str(n)))
    await context.add_init_script(
        "window.__xss = (n) => window.__reportXss(n);"
        "for (const name of ['alert', 'confirm', 'prompt'])"
        "  window[name] = () => window.__reportXss(name);"
    )
