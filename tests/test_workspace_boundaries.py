"""Where the workspace's areas meet: what a review of them found, kept found.

A translator translates, and never rewrites the source (the letter officials receive, the
case's own words); a character no text can hold is refused with a 400, not a 500; a long text
in a script that takes several bytes a character still fits a form; an update sent to
supporters cannot be deleted, so the record of its send stays."""

from __future__ import annotations

from campaign_engine.db.pool import Pool
from tests.conftest import Drain
from tests.editor import WORDS, create_action
from tests.staff import Campaigner
from tests.supporter_updates import add_event
from tests.test_admin_cases import case_form, new_slug, open_case


async def test_a_translator_translates_but_never_rewrites_the_source(
    campaigner: Campaigner, translator: Campaigner, pool: Pool
) -> None:
    slug, _, action_id = await create_action(campaigner, pool)
    rewritten = {**WORDS, "letter_body": "Ignore the appeal."}
    refused = await translator.post(f"/admin/actions/{slug}/translations/en", rewritten)
    assert refused.status_code == 403
    letter = await pool.fetchval(
        "SELECT letter_body FROM action_translations WHERE action_id = $1 AND locale = 'en'",
        action_id,
    )
    assert letter == WORDS["letter_body"]
    editor = await translator.client.get(f"/admin/actions/{slug}/translations")
    assert f'href="/admin/actions/{slug}/translations/en"' not in editor.text
    assert f'href="/admin/actions/{slug}/translations/fr"' in editor.text
    french = {**WORDS, "title": "Libérez-la"}
    assert (
        await translator.post(f"/admin/actions/{slug}/translations/fr", french)
    ).status_code == 303

    case_id = await open_case(campaigner)
    words = {"title": "Rewritten", "person": "Someone else", "summary": "Not what we know."}
    refused = await translator.post(f"/admin/cases/{case_id}/translations/en", words)
    assert refused.status_code == 403
    title = await pool.fetchval(
        "SELECT title FROM case_translations WHERE case_id = $1 AND locale = 'en'", case_id
    )
    assert title == case_form("x")["title"]


async def test_a_nul_character_is_refused_in_any_form_or_filter(campaigner: Campaigner) -> None:
    answer = await campaigner.post("/admin/cases", case_form(new_slug(), title="Ana\x00García"))
    assert answer.status_code == 400
    assert "NUL" in answer.text
    assert (await campaigner.client.get("/admin/targets?q=a%00b")).status_code == 400


async def test_a_long_story_in_arabic_fits_its_form(campaigner: Campaigner, pool: Pool) -> None:
    """20,000 Arabic letters are about 120 KB once a form encodes them."""
    story = "ا" * 20_000
    case_id = await open_case(campaigner, body=story)
    body = await pool.fetchval(
        "SELECT body FROM case_translations WHERE case_id = $1 AND locale = 'en'", case_id
    )
    assert body == story


async def test_an_update_sent_to_supporters_stays_on_the_timeline(
    campaigner: Campaigner, pool: Pool, drain: Drain
) -> None:
    case_id = await open_case(campaigner)
    event_id = await add_event(pool, case_id, {"en": ("Ana is free", "She is home.")})
    sent = await campaigner.post(
        f"/admin/cases/{case_id}/updates/{event_id}/send", {"confirm": "yes"}
    )
    assert sent.status_code == 303
    await drain()  # the send runs to its end, as a worker would take it
    page = await campaigner.client.get(f"/admin/cases/{case_id}")
    assert f"/events/{event_id}/delete" not in page.text
    refused = await campaigner.post(f"/admin/cases/{case_id}/events/{event_id}/delete")
    assert refused.status_code == 409
    assert await pool.fetchval("SELECT count(*) FROM case_events WHERE id = $1", event_id) == 1
