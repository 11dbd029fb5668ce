"""The case sheet, through the front door: a PDF for every published language, on A4 or US
Letter, whose text holds the action's words, the officials and their salutations in their own
languages; every character of it has a glyph in the fonts the product ships (no .notdef), and
the Arabic sheet runs right to left."""

from __future__ import annotations

import io
import os
from pathlib import Path

import httpx
import pypdf
import pypdfium2
import pytest
from fontTools.ttLib import TTCollection, TTFont

from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.dashboard import read_dashboard
from campaign_engine.messages.typesetting import FONT_FOLDERS
from tests.clock import FakeClock
from tests.factories import add_target, make_action
from tests.staff import Campaigner

# Where a test run leaves the pages it drew, for a person to look at (unset: nowhere).
SHOTS = os.environ.get("CASE_SHEET_SHOTS")


def covered_characters() -> set[int]:
    """Every character some shipped font has a glyph for."""
    found: set[int] = set()
    for folder in FONT_FOLDERS:
        for path in folder.iterdir():
            if path.suffix == ".ttc":
                fonts = list(TTCollection(str(path)).fonts)
            elif path.suffix in (".ttf", ".otf"):
                fonts = [TTFont(str(path))]
            else:
                continue
            for font in fonts:
                found |= set(font.getBestCmap())
    return found


COVERED = covered_characters()


async def post_to(pool: Pool, target_id: int, country: str, address: str) -> None:
    """The official's country and postal address (the workspace's form takes them too)."""
    await pool.execute(
        "UPDATE targets SET country = $2, postal_address = $3 WHERE id = $1",
        target_id,
        country,
        address,
    )


async def sheet(client: httpx.AsyncClient, path: str) -> pypdf.PdfReader:
    answer = await client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    return pypdf.PdfReader(io.BytesIO(answer.content))


def text_of(document: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in document.pages)


def shot(document_bytes: bytes, name: str) -> None:
    if SHOTS:
        pdf = pypdfium2.PdfDocument(document_bytes)
        pdf[0].render(scale=1.5).to_pil().save(Path(SHOTS) / f"{name}.png")


@pytest.mark.parametrize("locale", ["en", "fr", "es", "ar", "zh-Hans", "ru"])
async def test_a_case_sheet_in_every_language_names_the_officials_and_has_every_glyph(
    client: httpx.AsyncClient, pool: Pool, locale: str
) -> None:
    slug = await make_action(pool)
    await add_target(pool, slug, channel="email", preferred_locale="ru")
    target_id, _number = await add_target(
        pool,
        slug,
        channel="sms",
        preferred_locale="fr",
        salutations={"fr": "Monsieur le Ministre,"},
    )
    await post_to(pool, target_id, "FR", "Ministère de l'Intérieur\nRue de Grenelle 101\nFRANCE")
    answer = await client.get(f"/{locale}/actions/{slug}/case-sheet.pdf")
    assert answer.status_code == 200
    document = pypdf.PdfReader(io.BytesIO(answer.content))
    shot(answer.content, f"case-sheet-{locale}")
    width, height = (float(v) for v in document.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842), "A4 unless asked"
    page = await client.get(f"/{locale}/actions/{slug}")
    assert f"/{locale}/actions/{slug}/case-sheet.pdf" in page.text, "linked from the action"
    # Every character the sheet's words use is in a shipped font: nothing falls to .notdef.
    sheet_words = await pool.fetchval(
        "SELECT title || summary || body || letter_subject || letter_body"
        " FROM action_translations t JOIN actions a ON a.id = t.action_id"
        " WHERE a.slug = $1 AND t.locale = $2",
        slug,
        locale,
    )
    missing = {c for c in sheet_words if ord(c) not in COVERED and not c.isspace()}
    assert missing == set()
    # Each official once (whatever their channels), greeted in their own language: the
    # salutation they keep, else the language's own (Russian's here).
    extracted = text_of(document)
    assert extracted.count("Minister") >= 2
    if locale != "ar":  # an Arabic page's text comes back in visual order
        assert "Monsieur le Ministre," in extracted
        assert "Rue de Grenelle 101" in extracted, "the envelope's lines"
        assert "Уважаемый" in extracted


async def test_us_letter_and_a_wrong_paper(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    letter = await sheet(client, f"/en/actions/{slug}/case-sheet.pdf?paper=letter")
    width, height = (float(v) for v in letter.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (612, 792)
    wrong = await client.get(f"/fr/actions/{slug}/case-sheet.pdf?paper=a3")
    assert wrong.status_code == 400
    assert 'lang="fr"' in wrong.text
    gone = await client.get("/en/actions/no-such-action/case-sheet.pdf")
    assert gone.status_code == 404


def code_box(document: bytes, code: str) -> tuple[float, float, float]:
    """(left edge of the action's code, its right edge, the page's width), in points."""
    pdf = pypdfium2.PdfDocument(document)
    page = pdf[0]
    width = page.get_width()
    text = page.get_textpage()
    found = text.search(code, match_case=True).get_next()
    assert found is not None, text.get_text_range()
    index, count = found
    boxes = [text.get_charbox(i) for i in range(index, index + count)]
    return min(box[0] for box in boxes), max(box[2] for box in boxes), width


async def test_the_arabic_sheet_runs_right_to_left(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    # The start of the action's code, "UA": a word that reads the same in either direction
    # (a PDF's text comes back in visual order, "t-1a2b UA" in an Arabic paragraph).
    code = "UA"
    english = (await client.get(f"/en/actions/{slug}/case-sheet.pdf")).content
    arabic = (await client.get(f"/ar/actions/{slug}/case-sheet.pdf")).content
    _left, right, width = code_box(english, code)
    assert right < width / 2, "an English sheet's heading starts on the left"
    left, _right, width = code_box(arabic, code)
    assert left > width / 2, "an Arabic sheet's heading starts on the right"


async def test_a_supporter_prints_letters_in_each_officials_language_and_nothing_is_kept(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    russian_id, _address = await add_target(pool, slug, preferred_locale="ru")
    await post_to(pool, russian_id, "RU", "ул. Тверская, 13\n125032 Москва\nРОССИЯ")
    form = await client.get(f"/fr/actions/{slug}/letter")
    assert form.status_code == 200
    assert 'lang="fr"' in form.text
    thanks = await client.get(f"/fr/actions/{slug}/thanks")
    assert f"/fr/actions/{slug}/letter" in thanks.text, "offered after signing"

    missing = await client.post(f"/fr/actions/{slug}/letter", data={"name": "", "country": ""})
    assert missing.status_code == 422
    assert 'lang="fr"' in missing.text

    rows_before = await pool.fetchval("SELECT count(*) FROM signer_details")
    answer = await client.post(
        f"/fr/actions/{slug}/letter",
        data={
            "name": "Awa Traoré",
            "country": "SN",
            "address": "12 rue des Baobabs\nDakar",
            "paper": "letter",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store", "no cache may keep it"
    shot(answer.content, "letters-fr")
    document = pypdf.PdfReader(io.BytesIO(answer.content))
    assert len(document.pages) == 2, "the letter, then the same in the supporter's language"
    letter, yours = (page.extract_text() for page in document.pages)
    assert "Awa Traoré" in letter
    assert "12 rue des Baobabs" in letter
    assert "Сенегал" in letter, "their country named in the official's language"
    assert "ул. Тверская, 13" in letter
    assert "Letter in ru" in letter, "the model letter in the official's language"
    assert "PAR AVION" in letter
    assert "Letter in fr" in yours
    assert await pool.fetchval("SELECT count(*) FROM signer_details") == rows_before


async def test_i_posted_it_counts_letters_per_official_and_nothing_else(
    client: httpx.AsyncClient, pool: Pool, clock: FakeClock
) -> None:
    slug = await make_action(pool)
    minister, _address = await add_target(pool, slug, preferred_locale="es")
    judge, _address = await add_target(pool, slug, preferred_locale="fr")
    elsewhere = await make_action(pool)
    stranger, _address = await add_target(pool, elsewhere)
    form = await client.get(f"/ar/actions/{slug}/letter")
    assert f'name="official" value="{minister}"' in form.text
    assert f'name="official" value="{judge}"' in form.text

    told = await client.post(
        f"/ar/actions/{slug}/letter/posted", data={"official": [str(minister), str(judge)]}
    )
    assert told.status_code == 303
    assert told.headers["location"] == f"/ar/actions/{slug}/letter?posted=2#posted"
    thanked = await client.get(told.headers["location"])
    assert 'role="status"' in thanked.text, "thanked, with the count"
    again = await client.post(f"/ar/actions/{slug}/letter/posted", data={"official": str(judge)})
    assert again.status_code == 303

    for refused in ({}, {"official": "nine"}, {"official": str(stranger)}):
        answer = await client.post(f"/en/actions/{slug}/letter/posted", data=refused)
        assert answer.status_code == 422, refused
        assert "Tick the officials you posted a letter to." in answer.text

    action_id = await pool.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
    dashboard = await read_dashboard(pool, clock, slug, "en")
    posted = {official.target_id: official.letters for official in dashboard.posted}
    assert posted == {minister: 1, judge: 2}
    assert stranger not in posted
    columns = await pool.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'letters_posted'"
    )
    assert {row["column_name"] for row in columns} == {"action_id", "target_id", "day", "letters"}
    assert (
        await pool.fetchval(
            "SELECT sum(letters) FROM letters_posted WHERE action_id = $1", action_id
        )
        == 3
    )


async def test_copies_to_a_diplomat_on_the_sheet_and_with_each_letter(
    client: httpx.AsyncClient, pool: Pool, campaigner: Campaigner
) -> None:
    slug = await make_action(pool)
    await add_target(pool, slug, preferred_locale="es", salutations={"es": "Señora Ministra:"})
    ambassador = await pool.fetchval(
        """INSERT INTO targets (name, title, organisation, preferred_locale, salutations,
                                postal_address)
           VALUES ('Embajadora Rosa Díaz', 'Embajadora', 'Embajada de México', 'es',
                   '{"es": "Excelentísima Señora:"}', 'Calle Mayor 1' || chr(10) || 'Madrid')
           RETURNING id"""
    )
    page = await campaigner.client.get(f"/admin/actions/{slug}/targets")
    assert "Copies to" in page.text
    refused = await campaigner.post(f"/admin/actions/{slug}/copies", {"copy_target_id": "x"})
    assert refused.status_code == 422
    added = await campaigner.post(
        f"/admin/actions/{slug}/copies", {"copy_target_id": str(ambassador)}
    )
    assert added.status_code == 303
    assert added.headers["location"].endswith("#copies")
    listed = await campaigner.client.get(f"/admin/actions/{slug}/targets")
    assert "Embajadora Rosa Díaz" in listed.text

    text = text_of(await sheet(client, f"/en/actions/{slug}/case-sheet.pdf"))
    assert "And send copies to" in text
    assert "Embajadora Rosa Díaz" in text
    assert "Excelentísima Señora:" in text, "greeted in their own language"
    assert "Calle Mayor 1" in text
    answer = await client.post(
        f"/en/actions/{slug}/letter", data={"name": "Awa Traoré", "country": "SN"}
    )
    letters = pypdf.PdfReader(io.BytesIO(answer.content))
    posting = text_of(letters).replace("\n", " ")
    assert "Post a copy to: Embajadora Rosa Díaz, Embajadora, Embajada de México" in posting
    assert "Calle Mayor 1, Madrid" in posting
    assert not await pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE target_id = $1", ambassador
    ), "nothing is relayed to them"

    removed = await campaigner.post(
        f"/admin/actions/{slug}/copies/remove", {"copy_target_id": str(ambassador)}
    )
    assert removed.status_code == 303
    text = text_of(await sheet(client, f"/en/actions/{slug}/case-sheet.pdf"))
    assert "Embajadora Rosa Díaz" not in text


async def test_a_latin_address_keeps_its_order_in_an_arabic_letter(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    official, _address = await add_target(pool, slug, preferred_locale="ar")
    await post_to(pool, official, "EG", "12 Tahrir Street\nCairo 11511\nEGYPT")
    answer = await client.post(
        f"/en/actions/{slug}/letter",
        data={"name": "Awa Traoré", "country": "SN", "address": "34 Baobab Road\nDakar"},
    )
    assert answer.status_code == 200
    # The letter is set right to left; each Latin line reads as typed, left to right.
    for first, then in (("34", "Baobab"), ("12", "Tahrir"), ("Cairo", "11511")):
        first_left, then_left = left_edges_on_one_line(answer.content, first, then)
        assert first_left < then_left, f"{first} before {then}"


def left_edges_on_one_line(document: bytes, first: str, then: str) -> tuple[float, float]:
    """Where `first` and `then` start on the first line that holds both (a number may be
    found elsewhere on the page too: in the date, or the action's code)."""
    page = pypdfium2.PdfDocument(document)[0]
    text = page.get_textpage()

    def found(word: str) -> list[tuple[float, float]]:
        """(left edge, baseline) of every occurrence."""
        searcher = text.search(word, match_case=True)
        places = []
        while (hit := searcher.get_next()) is not None:
            index, _count = hit
            left, bottom, _right, _top = text.get_charbox(index)
            places.append((left, bottom))
        return places

    for then_left, then_bottom in found(then):
        for first_left, first_bottom in found(first):
            if abs(first_bottom - then_bottom) < 2:
                return first_left, then_left
    raise AssertionError(f"{first!r} and {then!r} are on no line together")
