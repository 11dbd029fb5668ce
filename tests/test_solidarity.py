"""Solidarity messages: an action asks those who signed it for a short message to the person
at risk or their family; the workspace moderates each (edits out what identifies anyone,
translates it into the family's language, approves or rejects it); approved ones print as
cards, four to a page, and export; a selection shows on the case page only while the family
agrees; a signer's erasure takes their message with it."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pypdf

from campaign_engine.db.pool import Pool
from campaign_engine.domain.privacy.rights import disown_signature, export_supporter
from tests.clock import FakeClock
from tests.conftest import Drain
from tests.factories import confirmation_path, make_action, unique_email
from tests.smtp import RecordingHandler
from tests.staff import Campaigner

MINE = re.compile(r'name="mine" value="([^"]+)"')


async def _asking(pool: Pool) -> str:
    slug = await make_action(pool)
    await pool.execute("UPDATE actions SET asks_solidarity = true WHERE slug = $1", slug)
    return slug


async def _signed(
    client: httpx.AsyncClient, smtp: RecordingHandler, drain: Drain, slug: str, locale: str
) -> str:
    """A confirmed signer's thank-you page address, with their token."""
    email = unique_email("writer")
    form = {"name": "Writer", "email": email, "country": "SN"}
    assert (await client.post(f"/{locale}/actions/{slug}/sign", data=form)).status_code == 303
    await drain()
    [mail] = smtp.to(email)
    confirmed = await client.get(confirmation_path(mail))
    return str(confirmed.headers["location"])


async def _write(client: httpx.AsyncClient, thanks: str, slug: str, locale: str, text: str) -> str:
    page = await client.get(thanks)
    token = str(MINE.findall(page.text)[0])
    written = await client.post(
        f"/{locale}/actions/{slug}/solidarity", data={"mine": token, "message": text}
    )
    assert written.status_code == 303, written.text
    return token


async def test_a_message_is_moderated_then_printed_exported_and_shown_with_consent(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    slug = await _asking(pool)
    thanks = await _signed(client, smtp, drain, slug, "fr")
    assert "?mine=" in thanks
    page = await client.get(thanks)
    assert page.headers["cache-control"] == "no-store"
    assert 'name="message"' in page.text
    token = MINE.findall(page.text)[0]

    empty = await client.post(f"/fr/actions/{slug}/solidarity", data={"mine": token})
    assert empty.status_code == 422
    assert 'lang="fr"' in empty.text
    forged = await client.post(
        f"/fr/actions/{slug}/solidarity", data={"mine": "forged", "message": "Courage"}
    )
    assert forged.status_code == 403
    await _write(client, thanks, slug, "fr", "Courage Ana ! Je suis Awa, de Thiès.")
    after = await client.get(thanks)
    assert 'role="status"' in after.text, "thanked, and told it will be read first"
    assert 'name="message"' not in after.text

    listed = await campaigner.client.get(f"/admin/actions/{slug}/solidarity")
    assert listed.status_code == 200
    assert "Courage Ana ! Je suis Awa, de Thiès." in listed.text, "as written, to moderate"
    message_id = await pool.fetchval(
        "SELECT m.id FROM solidarity_messages m JOIN actions a ON a.id = m.action_id "
        "WHERE a.slug = $1",
        slug,
    )
    public = await client.get(f"/en/cases/case-{slug}")
    assert "Courage" not in public.text, "nothing public before moderation"

    family = await campaigner.post(
        f"/admin/actions/{slug}/solidarity/family", {"family_locale": "es", "family_consents": ""}
    )
    assert family.status_code == 303
    unknown = await campaigner.post(
        f"/admin/actions/{slug}/solidarity/family", {"family_locale": "klingon!"}
    )
    assert unknown.status_code == 422
    approved = await campaigner.post(
        f"/admin/actions/{slug}/solidarity",
        {
            "message_id": str(message_id),
            "decision": "approved",
            "text": "Courage Ana !",
            "translation": "¡Ánimo, Ana!",
            "translation_locale": "es",
            "shown": "on",
        },
    )
    assert approved.status_code == 303
    stored = await pool.fetchrow("SELECT * FROM solidarity_messages WHERE id = $1", message_id)
    assert stored is not None
    assert (stored["status"], stored["text"], stored["translation"]) == (
        "approved",
        "Courage Ana !",
        "¡Ánimo, Ana!",
    )
    assert b"Thi" not in bytes(stored["original_sealed"]), "the original stays sealed"

    cards = await campaigner.client.get(f"/admin/actions/{slug}/solidarity/cards.pdf")
    assert cards.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(cards.content)).pages)
    assert "¡Ánimo, Ana!" in text
    assert "Courage Ana !" in text
    assert "Senegal" in text, "the country, in the family's language"
    assert "Thiès" not in text, "what identified the writer was edited out"

    exported = await campaigner.client.get(f"/admin/actions/{slug}/solidarity/export.csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows == [
        ["Language", "Message", "Translation", "Country"],
        ["fr", "Courage Ana !", "¡Ánimo, Ana!", "Senegal"],
    ]

    hidden = await client.get(f"/es/cases/case-{slug}")
    assert "¡Ánimo, Ana!" not in hidden.text, "not without the family's consent"
    await campaigner.post(
        f"/admin/actions/{slug}/solidarity/family", {"family_locale": "es", "family_consents": "on"}
    )
    shown = await client.get(f"/es/cases/case-{slug}")
    assert "¡Ánimo, Ana!" in shown.text, "in the reader's language when translated into it"
    english = await client.get(f"/en/cases/case-{slug}")
    assert "Courage Ana !" in english.text


async def test_cards_four_to_a_page_and_rejected_ones_stay_out(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    slug = await _asking(pool)
    for n in range(6):
        thanks = await _signed(client, smtp, drain, slug, "ar" if n % 2 else "zh-Hans")
        await _write(client, thanks, slug, "ar", f"رسالة رقم {n}" if n % 2 else f"第{n}条留言")
    ids = [
        row["id"]
        for row in await pool.fetch(
            "SELECT m.id FROM solidarity_messages m JOIN actions a ON a.id = m.action_id "
            "WHERE a.slug = $1 ORDER BY m.id",
            slug,
        )
    ]
    for n, message_id in enumerate(ids):
        decision = "rejected" if n == 0 else "approved"
        answer = await campaigner.post(
            f"/admin/actions/{slug}/solidarity",
            {"message_id": str(message_id), "decision": decision, "text": f"text {n}"},
        )
        assert answer.status_code == 303
    wrong = await campaigner.post(
        f"/admin/actions/{slug}/solidarity",
        {"message_id": str(ids[1]), "decision": "approved", "text": ""},
    )
    assert wrong.status_code == 422
    cards = await campaigner.client.get(f"/admin/actions/{slug}/solidarity/cards.pdf")
    document = pypdf.PdfReader(io.BytesIO(cards.content))
    assert len(document.pages) == 2, "five approved, four to a page"
    text = "\n".join(page.extract_text() for page in document.pages)
    assert "text 0" not in text, "a rejected message is not printed"
    assert all(f"text {n}" in text for n in range(1, 6))


async def test_a_signers_message_is_in_their_data_and_goes_with_their_signature(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain, clock: FakeClock
) -> None:
    slug = await _asking(pool)
    thanks = await _signed(client, smtp, drain, slug, "en")
    await _write(client, thanks, slug, "en", "Stay strong.")
    signature_id = await pool.fetchval(
        "SELECT signature_id FROM solidarity_messages m JOIN actions a ON a.id = m.action_id "
        "WHERE a.slug = $1",
        slug,
    )
    supporter_id = await pool.fetchval(
        "SELECT supporter_id FROM signatures WHERE id = $1", signature_id
    )
    data = await export_supporter(pool, clock, supporter_id)
    assert data is not None
    assert data.solidarity is not None
    [mine] = data.solidarity
    assert (mine["original"], mine["status"]) == ("Stay strong.", "pending")
    assert await disown_signature(pool, clock, signature_id)
    assert not await pool.fetchval(
        "SELECT count(*) FROM solidarity_messages WHERE signature_id = $1", signature_id
    )
