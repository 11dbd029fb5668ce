"""A case's timeline, through the front door: campaigners add updates and outcomes with their
date and source, publish them, and readers see them in their language (or the case's, marked as
such); notes stay with the team; an official's reply arrives by itself, waits unpublished, and
is never edited or deleted; an event is only ever reached through its own case."""

from __future__ import annotations

import re
from datetime import date

import httpx
from asyncpg import Record
from babel.dates import format_date

from campaign_engine.db.pool import Pool
from campaign_engine.dev.demo import load_demo
from campaign_engine.i18n import Catalogues
from campaign_engine.models.campaigns import Outcome
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from tests.conftest import Drain
from tests.factories import content, make_action
from tests.staff import Campaigner
from tests.test_replies import an_appeal_sent_by_text, text_us
from tests.twilio import TwilioRecord


async def one_row(pool: Pool, sql: str, *arguments: object) -> Record:
    row = await pool.fetchrow(sql, *arguments)
    assert row is not None
    return row


async def public_case(pool: Pool, locales: tuple[str, ...] = ("en", "fr")) -> tuple[int, str, str]:
    """A case with a published action, written in English: (case id, case slug, action slug)."""
    slug = await make_action(pool, locales=locales)
    case_id = await pool.fetchval("SELECT case_id FROM actions WHERE slug = $1", slug)
    return case_id, f"case-{slug}", slug


def event_form(kind: str, **fields: str) -> dict[str, str]:
    return {
        "new-kind": kind,
        "new-outcome": "",
        "new-date": "2026-03-14",
        "new-time": "",
        "new-source": "",
        "new-title": "",
        "new-body": "",
        **{f"new-{name}": value for name, value in fields.items()},
    }


async def add(campaigner: Campaigner, case_id: int, kind: str, **fields: str) -> int:
    answer = await campaigner.post(f"/admin/cases/{case_id}/events", event_form(kind, **fields))
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(rf"/admin/cases/{case_id}#event-([0-9]+)", answer.headers["location"])
    assert found is not None
    return int(found.group(1))


def named(settings: Settings, locale: str, message: str) -> str:
    """A message as the app says it in `locale` (whatever the catalogues hold today)."""
    with Catalogues(settings.locales_dir).activate(locale) as active:
        return active.translations.gettext(message)


def entry(page: str, event_id: int) -> str:
    found = re.search(rf'<li [^>]*id="event-{event_id}".*?</li>', page, re.S)
    assert found is not None, f"event {event_id} is not on the page"
    return found.group(0)


def error_of(page: str, field: str) -> str:
    found = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', page, re.S)
    assert found is not None, f"no message for {field}"
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page), f"{field} not invalid"
    return re.sub(r"<[^>]+>", "", found.group(1)).replace("Error:", "").strip()


async def test_an_outcome_is_published_and_read_in_each_readers_language(
    campaigner: Campaigner,
    translator: Campaigner,
    client: httpx.AsyncClient,
    pool: Pool,
    settings: Settings,
) -> None:
    case_id, case_slug, action_slug = await public_case(pool)
    outcome_id = await add(
        campaigner,
        case_id,
        "outcome",
        outcome="released",
        source="https://example.org/news/released",
        title="Rosa Martínez is free",
        body="She walked out of prison this morning.",
    )
    update_id = await add(
        campaigner,
        case_id,
        "update",
        date="2026-03-10",
        title="A hearing is set",
        body="On Friday.",
    )
    workspace = await campaigner.client.get(f"/admin/cases/{case_id}")
    assert "Not published" in entry(workspace.text, outcome_id)
    assert "Latest outcome:" in workspace.text
    stored = await one_row(
        pool,
        "SELECT kind, outcome, occurred_at, source, published FROM case_events WHERE id = $1",
        outcome_id,
    )
    assert stored["outcome"] == "released"
    assert stored["occurred_at"].date() == date(2026, 3, 14)
    assert stored["source"] == "https://example.org/news/released"
    assert stored["published"] is False

    before = await client.get(f"/en/cases/{case_slug}")
    assert "Rosa Martínez is free" not in before.text, "unpublished events stay in the workspace"

    for event_id in (outcome_id, update_id):
        published = await campaigner.post(f"/admin/cases/{case_id}/events/{event_id}/publish")
        assert published.status_code == 303

    english = await client.get(f"/en/cases/{case_slug}")
    assert "Where the case stands" in english.text
    assert "Rosa Martínez is free" in english.text
    assert '<time datetime="2026-03-14">March 14, 2026</time>' in english.text
    assert 'href="https://example.org/news/released"' in english.text
    assert english.text.index("Rosa Martínez is free") < english.text.index("A hearing is set"), (
        "newest first"
    )

    # In French before any translation: the outcome's name and the date are French, the text is
    # the case's English, marked as such.
    french = await client.get(f"/fr/cases/{case_slug}")
    released_fr = named(settings, "fr", "Released")
    assert released_fr in french.text
    day_fr = format_date(date(2026, 3, 14), format="long", locale="fr")
    assert f'<time datetime="2026-03-14">{day_fr}</time>' in french.text
    assert re.search(r'<h3 lang="en" dir="ltr">Rosa Martínez is free</h3>', french.text)

    sheet = await translator.client.get(f"/admin/cases/{case_id}/translations/fr")
    assert f'name="event-{outcome_id}-title"' in sheet.text
    assert "She walked out of prison this morning." in sheet.text
    translated = await translator.post(
        f"/admin/cases/{case_id}/translations/fr",
        {
            **{key: value for key, value in content("fr", action_slug).items()},
            f"event-{outcome_id}-title": "Rosa Martínez est libre",
            f"event-{outcome_id}-body": "Elle est sortie de prison ce matin.",
            f"event-{update_id}-title": "",
            f"event-{update_id}-body": "",
        },
    )
    assert translated.status_code == 303
    french = await client.get(f"/fr/cases/{case_slug}")
    assert re.search(r"<h3>Rosa Martínez est libre</h3>", french.text)
    assert "Elle est sortie de prison ce matin." in french.text
    assert re.search(r'<h3 lang="en" dir="ltr">A hearing is set</h3>', french.text), (
        "an event not yet translated falls back to the case's language"
    )

    progress = await campaigner.client.get(f"/admin/cases/{case_id}")
    french_row = re.search(r'lang="fr"[^>]*>Français</span></th>.*?</tr>', progress.text, re.S)
    assert french_row is not None
    assert "1 to translate" in french_row.group(0)


async def test_events_are_checked_field_by_field(campaigner: Campaigner, pool: Pool) -> None:
    case_id, _slug, _action = await public_case(pool)
    path = f"/admin/cases/{case_id}/events"
    no_outcome = await campaigner.post(path, event_form("outcome", body="Freed."))
    assert no_outcome.status_code == 422
    assert error_of(no_outcome.text, "new-outcome") == "Choose the outcome."
    bad_date = await campaigner.post(path, event_form("update", date="14/03/2026", body="x"))
    assert error_of(bad_date.text, "new-date") == "Enter the date it happened, like 2026-03-14."
    future = await campaigner.post(path, event_form("update", date="2999-01-01", body="x"))
    assert error_of(future.text, "new-date") == "The date cannot be in the future."
    bad_time = await campaigner.post(path, event_form("update", time="25:00", body="x"))
    assert error_of(bad_time.text, "new-time") == "Enter a time like 14:30, or leave it empty."
    wordless = await campaigner.post(path, event_form("update", title="Only a title"))
    assert wordless.status_code == 422
    assert error_of(wordless.text, "new-body") == "Enter the text."
    assert 'value="Only a title"' in wordless.text, "what was typed is kept"
    unknown = await campaigner.post(path, event_form("rumour", body="x"))
    assert error_of(unknown.text, "new-kind") == "Choose what kind of event this is."
    kindless = {k: v for k, v in event_form("update", body="x").items() if k != "new-kind"}
    assert (await campaigner.post(path, kindless)).status_code == 422
    assert not await pool.fetchval("SELECT count(*) FROM case_events WHERE case_id = $1", case_id)


async def test_notes_never_reach_the_public(
    campaigner: Campaigner, client: httpx.AsyncClient, pool: Pool
) -> None:
    case_id, case_slug, _action = await public_case(pool)
    note_id = await add(campaigner, case_id, "note", body="Her brother asked us not to name him.")
    refused = await campaigner.post(f"/admin/cases/{case_id}/events/{note_id}/publish")
    assert refused.status_code == 409
    assert await pool.fetchval("SELECT published FROM case_events WHERE id = $1", note_id) is False
    workspace = await campaigner.client.get(f"/admin/cases/{case_id}")
    note = entry(workspace.text, note_id)
    assert "Team only" in note
    assert "/publish" not in note
    sheet = await campaigner.client.get(f"/admin/cases/{case_id}/translations/fr")
    assert f"event-{note_id}-" not in sheet.text, "notes are not translated"
    for locale in ("en", "fr"):
        page = await client.get(f"/{locale}/cases/{case_slug}")
        assert "Her brother" not in page.text


async def test_an_officials_reply_waits_unpublished_and_keeps_its_words(
    campaigner: Campaigner,
    client: httpx.AsyncClient,
    pool: Pool,
    twilio: TwilioRecord,
    drain: Drain,
) -> None:
    action_slug, _target, phone, _delivery = await an_appeal_sent_by_text(pool, drain)
    words = "Мы рассмотрим дело Розы Мартинес."
    assert (await text_us(client, phone, words, "SM-case-reply")).status_code == 200
    case_id = await pool.fetchval("SELECT case_id FROM actions WHERE slug = $1", action_slug)
    reply_id = await pool.fetchval(
        "SELECT id FROM case_events WHERE case_id = $1 AND kind = 'reply'", case_id
    )

    workspace = await campaigner.client.get(f"/admin/cases/{case_id}")
    reply = entry(workspace.text, reply_id)
    assert words in reply
    assert "Response from the authorities" in reply
    assert "Not published" in reply
    assert "Arrived by text message from Official" in reply
    assert "Edit" not in reply, "an official's words are evidence: no edit form"
    public = await client.get(f"/en/cases/case-{action_slug}")
    assert words not in public.text

    edit = await campaigner.post(
        f"/admin/cases/{case_id}/events/{reply_id}",
        {f"event-{reply_id}-date": "2026-03-14", f"event-{reply_id}-body": "Softer words."},
    )
    assert edit.status_code == 409
    delete = await campaigner.post(f"/admin/cases/{case_id}/events/{reply_id}/delete")
    assert delete.status_code == 409
    assert await pool.fetchval("SELECT body FROM case_events WHERE id = $1", reply_id) == words

    assert (
        await campaigner.post(f"/admin/cases/{case_id}/events/{reply_id}/publish")
    ).status_code == 303
    public = await client.get(f"/fr/cases/case-{action_slug}")
    shown = entry(public.text, reply_id)
    assert words in shown
    assert "<blockquote" in shown
    assert "lang=" not in shown, "a reply keeps the page's language: we do not know the official's"

    assert (
        await campaigner.post(f"/admin/cases/{case_id}/events/{reply_id}/unpublish")
    ).status_code == 303
    assert words not in (await client.get(f"/en/cases/case-{action_slug}")).text
    verbs = await pool.fetch(
        "SELECT verb FROM audit_log WHERE object_type = 'case_event' AND object_id = $1"
        " ORDER BY id",
        str(reply_id),
    )
    assert [row["verb"] for row in verbs] == ["case_event.published", "case_event.unpublished"]


async def test_an_event_is_reached_only_through_its_own_case(
    campaigner: Campaigner, pool: Pool
) -> None:
    case_id, _slug, _action = await public_case(pool)
    other_case, _other_slug, _other_action = await public_case(pool)
    event_id = await add(campaigner, case_id, "update", body="Only for this case.")
    base = f"/admin/cases/{other_case}/events/{event_id}"
    for path, form in (
        (base, {f"event-{event_id}-date": "2026-03-01", f"event-{event_id}-body": "Hijacked."}),
        (base, {f"event-{event_id}-date": "not a date"}),
        (f"{base}/publish", {}),
        (f"{base}/unpublish", {}),
        (f"{base}/delete", {}),
    ):
        assert (await campaigner.post(path, form)).status_code == 404, path
    row = await one_row(pool, "SELECT published, case_id FROM case_events WHERE id = $1", event_id)
    assert dict(row) == {"published": False, "case_id": case_id}
    smuggled = await campaigner.post(
        f"/admin/cases/{other_case}/translations/fr",
        {f"event-{event_id}-title": "Piraté", f"event-{event_id}-body": "Piraté."},
    )
    assert smuggled.status_code == 303, "another case's event in the form is passed over"
    texts = await pool.fetch(
        "SELECT locale, body FROM case_event_translations WHERE event_id = $1", event_id
    )
    assert [(row["locale"], row["body"]) for row in texts] == [("en", "Only for this case.")]
    assert await pool.fetchval(
        "SELECT count(*) FROM case_translations WHERE case_id = $1 AND locale = 'fr'", other_case
    ), "a form without the case's fields leaves the case's text alone"


async def test_an_event_is_edited_then_deleted_and_the_log_says_so(
    campaigner: Campaigner, client: httpx.AsyncClient, pool: Pool
) -> None:
    case_id, case_slug, _action = await public_case(pool)
    event_id = await add(campaigner, case_id, "outcome", outcome="charges_dropped", body="Dropped.")
    await campaigner.post(f"/admin/cases/{case_id}/events/{event_id}/publish")
    prefix = f"event-{event_id}-"
    wrong = await campaigner.post(
        f"/admin/cases/{case_id}/events/{event_id}",
        {f"{prefix}outcome": "", f"{prefix}date": "2026-03-20", f"{prefix}body": "x"},
    )
    assert wrong.status_code == 422
    assert error_of(wrong.text, f"{prefix}outcome") == "Choose the outcome."
    assert re.search(r'<details class="case-edit-event" open>', entry(wrong.text, event_id))

    edited = await campaigner.post(
        f"/admin/cases/{case_id}/events/{event_id}",
        {
            f"{prefix}outcome": Outcome.SENTENCE_COMMUTED,
            f"{prefix}date": "2026-03-20",
            f"{prefix}time": "09:30",
            f"{prefix}source": "Her lawyer, by telephone",
            f"{prefix}title": "Death sentence commuted",
            f"{prefix}body": "The court commuted her sentence.",
        },
    )
    assert edited.status_code == 303
    row = await one_row(
        pool, "SELECT outcome, occurred_at, source FROM case_events WHERE id = $1", event_id
    )
    assert row["outcome"] == "sentence_commuted"
    assert (row["occurred_at"].hour, row["occurred_at"].minute) == (9, 30)
    public = await client.get(f"/en/cases/{case_slug}")
    assert "Death sentence commuted" in public.text
    assert "Her lawyer, by telephone" in public.text
    listed = await campaigner.client.get("/admin/cases")
    assert "Sentence commuted" in listed.text

    deleted = await campaigner.post(f"/admin/cases/{case_id}/events/{event_id}/delete")
    assert deleted.status_code == 303
    assert not await pool.fetchval("SELECT count(*) FROM case_events WHERE id = $1", event_id)
    assert "Death sentence commuted" not in (await client.get(f"/en/cases/{case_slug}")).text
    verbs = await pool.fetch(
        "SELECT verb, staff_id FROM audit_log WHERE object_type = 'case_event' AND object_id = $1"
        " ORDER BY id",
        str(event_id),
    )
    assert [row["verb"] for row in verbs] == [
        "case_event.added",
        "case_event.published",
        "case_event.edited",
        "case_event.deleted",
    ]
    assert {row["staff_id"] for row in verbs} == {campaigner.staff.id}


async def test_the_demo_case_has_its_update_once_in_every_language(
    client: httpx.AsyncClient, pool: Pool, settings: Settings
) -> None:
    await load_demo(pool, Catalogues(settings.locales_dir), Tokens(settings.secret_key))
    await load_demo(pool, Catalogues(settings.locales_dir), Tokens(settings.secret_key))
    events = await pool.fetch(
        "SELECT e.id, e.published FROM case_events e JOIN cases c ON c.id = e.case_id"
        " WHERE c.slug = 'ines-caldera' AND e.source_ref = 'demo:ines-caldera:lawyer-visit'"
    )
    assert len(events) == 1
    assert events[0]["published"] is True
    titles = {
        "en": "Her lawyer was allowed to see her for the first time",
        "fr": "Son avocat a pu la voir pour la première fois",
        "es": "Su abogado pudo verla por primera vez",
        "ar": "سُمح لمحاميها بزيارتها لأول مرة",
        "zh-Hans": "她的律师首次获准探视她",
        "ru": "Адвокату впервые разрешили увидеться с ней",
    }
    for locale, title in titles.items():
        page = await client.get(f"/{locale}/cases/ines-caldera")
        assert page.status_code == 200
        assert f"<h3>{title}</h3>" in page.text, locale


async def test_a_response_received_on_paper_is_typed_in_and_stays_editable(
    campaigner: Campaigner, client: httpx.AsyncClient, pool: Pool
) -> None:
    case_id, case_slug, _action = await public_case(pool)
    reply_id = await add(
        campaigner,
        case_id,
        "reply",
        source="Letter from the Ministry of Justice, received by post",
        title="Letter of 12 March",
        body="The detainee is in good health.",
    )
    row = await one_row(
        pool, "SELECT subject, body, channel FROM case_events WHERE id = $1", reply_id
    )
    assert dict(row) == {
        "subject": "Letter of 12 March",
        "body": "The detainee is in good health.",
        "channel": None,
    }
    prefix = f"event-{reply_id}-"
    corrected = await campaigner.post(
        f"/admin/cases/{case_id}/events/{reply_id}",
        {
            f"{prefix}date": "2026-03-12",
            f"{prefix}title": "Letter of 12 March",
            f"{prefix}body": "The detainee is in good health and has seen a doctor.",
        },
    )
    assert corrected.status_code == 303
    await campaigner.post(f"/admin/cases/{case_id}/events/{reply_id}/publish")
    page = await client.get(f"/es/cases/{case_slug}")
    shown = entry(page.text, reply_id)
    assert "has seen a doctor" in shown
    assert "lang=" not in shown
    assert (
        await campaigner.post(f"/admin/cases/{case_id}/events/{reply_id}/delete")
    ).status_code == 303
