"""Campaign texts in Markdown: what a campaigner writes comes out as they meant it, and
nothing else comes out at all (the properties in test_properties.py, the browser corpus in
test_stored_xss.py)."""

from __future__ import annotations

import httpx

from campaign_engine.db.pool import Pool
from campaign_engine.formats.markup import markdown
from tests.factories import make_action


def test_markdown_gives_paragraphs_emphasis_lists_and_links() -> None:
    html = str(
        markdown("Free *Ana* **now**.\n\n- write\n- share\n\n[Read more](https://example.org/a)")
    )
    assert "<p>Free <em>Ana</em> <strong>now</strong>.</p>" in html
    assert "<li>write</li>" in html
    assert (
        '<a href="https://example.org/a" rel="noopener noreferrer nofollow">Read more</a>' in html
    )


def test_headings_start_below_the_pages_own() -> None:
    assert str(markdown("# Background\n\n## Details")) == "<h2>Background</h2>\n<h3>Details</h3>\n"


def test_typed_html_is_shown_as_text_and_nothing_loads_or_runs() -> None:
    html = str(markdown('<b onclick="x()">hi</b>\n\n![photo](https://tracker.example/p.png)'))
    assert "&lt;b onclick" in html
    assert "<img" not in html, "a picture would load from another origin"
    assert "href" not in str(markdown("[x](javascript:alert(1))")), "shown as typed, no link"


async def test_the_action_page_shows_the_body_as_markdown(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool, locales=("en",))
    await pool.execute(
        """UPDATE action_translations SET body = $2
           WHERE action_id = (SELECT id FROM actions WHERE slug = $1)""",
        slug,
        "Write to the **governor**.\n\n1. Be polite\n2. Be brief",
    )
    page = await client.get(f"/en/actions/{slug}")
    assert "Write to the <strong>governor</strong>." in page.text
    assert "<ol>\n<li>Be polite</li>" in page.text
