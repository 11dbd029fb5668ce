"""Cases in the workspace, through the front door: opening one (and being told what is wrong
with the form), changing its settings, translating it side by side, who may do which, and the
audit log of it all."""

from __future__ import annotations

import re
import uuid

from asyncpg import Record

from campaign_engine.db.pool import Pool
from tests.staff import Campaigner


async def one_row(pool: Pool, sql: str, *arguments: object) -> Record:
    row = await pool.fetchrow(sql, *arguments)
    assert row is not None
    return row


def new_slug() -> str:
    return f"case-{uuid.uuid4().hex[:10]}"


def case_form(slug: str, **overrides: str) -> dict[str, str]:
    return {
        "slug": slug,
        "country": "MX",
        "risk_category": "arbitrary_detention",
        "status": "open",
        "default_locale": "en",
        "title": "Defender held without charge",
        "person": "Rosa Martínez",
        "summary": "Rosa Martínez, a land defender, was arrested at a protest.",
        "body": "First paragraph.\r\n\r\nSecond paragraph.",
        **overrides,
    }


async def open_case(campaigner: Campaigner, slug: str | None = None, **overrides: str) -> int:
    """A case opened through the form; its id."""
    answer = await campaigner.post("/admin/cases", case_form(slug or new_slug(), **overrides))
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/admin/cases/([0-9]+)", answer.headers["location"])
    assert found is not None
    return int(found.group(1))


async def audit_of(
    pool: Pool, object_type: str, object_id: int
) -> list[tuple[str, dict[str, object]]]:
    rows = await pool.fetch(
        "SELECT verb, detail FROM audit_log WHERE object_type = $1 AND object_id = $2 ORDER BY id",
        object_type,
        str(object_id),
    )
    return [(row["verb"], row["detail"]) for row in rows]


def language_row(page: str, name: str) -> str:
    """The row of the translations table for one language."""
    found = re.search(rf">{name}</span></th>.*?</tr>", page, re.S)
    assert found is not None, f"no row for {name}"
    return found.group(0)


def field_error(page: str, field: str) -> str:
    """The message tied to a field (by aria-describedby), which must be marked invalid."""
    tag = re.search(rf'<(?:input|select|textarea) id="{re.escape(field)}"[^>]*>', page)
    assert tag is not None, f"no field {field}"
    assert 'aria-invalid="true"' in tag.group(0), f"{field} is not marked invalid"
    assert f'aria-describedby="{field}-error"' in tag.group(0) or f"{field}-error" in tag.group(0)
    message = re.search(
        rf'<p class="error-message" id="{re.escape(field)}-error">(.*?)</p>', page, re.S
    )
    assert message is not None, f"no message for {field}"
    return re.sub(r"<[^>]+>", "", message.group(1)).replace("Error:", "").strip()


async def test_a_campaigner_opens_a_case_after_correcting_the_form(
    campaigner: Campaigner, pool: Pool
) -> None:
    form_page = await campaigner.client.get("/admin/cases/new")
    assert form_page.status_code == 200
    assert "Arbitrary detention" in form_page.text
    assert "Torture or other ill-treatment" in form_page.text

    wrong = await campaigner.post(
        "/admin/cases",
        case_form("Inés Caldera!", country="XX", risk_category="", status="", title="", person=""),
    )
    assert wrong.status_code == 422
    assert "lower-case letters" in field_error(wrong.text, "slug")
    assert field_error(wrong.text, "country") == "Choose a country from the list, or none."
    assert field_error(wrong.text, "risk_category") == "Choose a risk category."
    assert field_error(wrong.text, "title") == "Enter a title."
    assert field_error(wrong.text, "person") == "Enter who is at risk: a name, or a group."
    assert "Choose whether the case is open or closed." in wrong.text
    assert "Rosa Martínez, a land defender" in wrong.text, "what was typed is kept"

    slug = new_slug()
    case_id = await open_case(campaigner, slug)
    stored = await one_row(
        pool,
        "SELECT country, risk_category, status, default_locale FROM cases WHERE id = $1",
        case_id,
    )
    assert dict(stored) == {
        "country": "MX",
        "risk_category": "arbitrary_detention",
        "status": "open",
        "default_locale": "en",
    }
    body = await pool.fetchval(
        "SELECT body FROM case_translations WHERE case_id = $1 AND locale = 'en'", case_id
    )
    assert body == "First paragraph.\n\nSecond paragraph."

    taken = await campaigner.post("/admin/cases", case_form(slug))
    assert taken.status_code == 422
    assert (
        field_error(taken.text, "slug") == "Another case has this address already. Choose another."
    )

    listed = await campaigner.client.get("/admin/cases")
    row = re.search(rf'<a href="/admin/cases/{case_id}">.*?</tr>', listed.text, re.S)
    assert row is not None
    assert "Defender held without charge" in row.group(0)
    assert "Mexico" in row.group(0)
    assert "Arbitrary detention" in row.group(0)
    assert "New case" in listed.text

    page = await campaigner.client.get(f"/admin/cases/{case_id}")
    assert page.status_code == 200
    assert "Rosa Martínez" in page.text
    assert f'href="/admin/cases/{case_id}/updates"' in page.text
    assert f'href="/admin/actions/new?case={case_id}"' in page.text
    assert await audit_of(pool, "case", case_id) == [
        ("case.created", {"slug": slug, "locale": "en"})
    ]


async def test_settings_change_and_the_case_keeps_a_language_it_is_written_in(
    campaigner: Campaigner, pool: Pool
) -> None:
    case_id = await open_case(campaigner)
    settings = {"country": "", "risk_category": "unfair_trial", "status": "closed"}
    untranslated = await campaigner.post(
        f"/admin/cases/{case_id}", {**settings, "default_locale": "fr"}
    )
    assert untranslated.status_code == 422
    assert (
        field_error(untranslated.text, "default_locale")
        == "The case has no text in this language yet: translate it first."
    )
    unknown = await campaigner.post(
        f"/admin/cases/{case_id}", {**settings, "default_locale": "en", "risk_category": "war"}
    )
    assert unknown.status_code == 422
    assert field_error(unknown.text, "risk_category") == "Choose a risk category."

    saved = await campaigner.post(f"/admin/cases/{case_id}", {**settings, "default_locale": "en"})
    assert saved.status_code == 303
    stored = await one_row(
        pool, "SELECT country, risk_category, status FROM cases WHERE id = $1", case_id
    )
    assert dict(stored) == {"country": None, "risk_category": "unfair_trial", "status": "closed"}
    assert (await audit_of(pool, "case", case_id))[-1] == (
        "case.updated",
        {"country": None, "risk_category": "unfair_trial", "status": "closed"},
    )
    page = await campaigner.client.get("/admin/cases")
    assert "Unfair trial" in page.text


async def test_a_translator_works_side_by_side_and_nothing_else(
    campaigner: Campaigner, translator: Campaigner, pool: Pool
) -> None:
    case_id = await open_case(campaigner)
    case_page = await translator.client.get(f"/admin/cases/{case_id}")
    assert "Save the settings" not in case_page.text, "a translator reads the settings only"
    assert "Add to the timeline" not in case_page.text
    assert f'href="/admin/cases/{case_id}/translations/fr"' in case_page.text

    sheet = await translator.client.get(f"/admin/cases/{case_id}/translations/fr")
    assert sheet.status_code == 200
    source = re.search(
        r'<div class="case-source-value" lang="en" dir="ltr"><p>Defender held', sheet.text
    )
    assert source is not None, "the source is shown read-only, marked as English"
    assert re.search(r'<input id="title" name="title"[^>]*lang="fr" dir="ltr"', sheet.text)
    arabic = await translator.client.get(f"/admin/cases/{case_id}/translations/ar")
    assert re.search(r'<textarea id="summary" name="summary"[^>]*lang="ar" dir="rtl"', arabic.text)

    half = await translator.post(
        f"/admin/cases/{case_id}/translations/fr", {"title": "Défenseure détenue sans inculpation"}
    )
    assert half.status_code == 422
    assert field_error(half.text, "person") == "Enter who is at risk: a name, or a group."
    assert "Défenseure détenue sans inculpation" in half.text

    french = {
        "title": "Défenseure détenue sans inculpation",
        "person": "Rosa Martínez",
        "summary": "Rosa Martínez, défenseure de la terre, a été arrêtée lors d’une manifestation.",
        "body": "Premier paragraphe.",
    }
    saved = await translator.post(f"/admin/cases/{case_id}/translations/fr", french)
    assert saved.status_code == 303
    stored = await one_row(
        pool,
        "SELECT title, summary FROM case_translations WHERE case_id = $1 AND locale = 'fr'",
        case_id,
    )
    assert stored["title"] == french["title"]
    assert ("case.translated", {"locale": "fr"}) in await audit_of(pool, "case", case_id)
    progress = await translator.client.get(f"/admin/cases/{case_id}")
    assert "Up to date" in language_row(progress.text, "Français")

    # The source changes: the French text is now behind it.
    edited = await campaigner.post(
        f"/admin/cases/{case_id}/translations/en",
        {**case_form("ignored"), "summary": "Rosa Martínez was arrested at a peaceful protest."},
    )
    assert edited.status_code == 303
    progress = await translator.client.get(f"/admin/cases/{case_id}")
    assert "Outdated" in language_row(progress.text, "Français")

    # Left wholly empty, a translation is removed: readers see the case's language instead.
    cleared = await translator.post(
        f"/admin/cases/{case_id}/translations/fr",
        {"title": "", "person": "", "summary": "", "body": ""},
    )
    assert cleared.status_code == 303
    assert not await pool.fetchval(
        "SELECT count(*) FROM case_translations WHERE case_id = $1 AND locale = 'fr'", case_id
    )

    for path in ("/admin/cases", f"/admin/cases/{case_id}", f"/admin/cases/{case_id}/events"):
        refused = await translator.post(path, {**case_form(new_slug()), "new-kind": "update"})
        assert refused.status_code == 403, path
    assert (await translator.client.get("/admin/cases/new")).status_code == 403
    listed = await translator.client.get("/admin/cases")
    assert "/admin/cases/new" not in listed.text


async def test_a_case_that_does_not_exist_is_not_found(campaigner: Campaigner) -> None:
    assert (await campaigner.client.get("/admin/cases/999999999")).status_code == 404
    assert (
        await campaigner.client.get("/admin/cases/999999999/translations/fr")
    ).status_code == 404
    answer = await campaigner.post("/admin/cases/999999999", case_form("x"))
    assert answer.status_code == 404
