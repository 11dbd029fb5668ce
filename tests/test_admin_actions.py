"""The action editor, through the workspace's pages: creating an action (and the form's
refusals), the list, translations side by side, each language's publication as the public site
shows it, preview links, follow-ups, who may do what, and the audit log of it all."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from starlette.types import ASGIApp

from campaign_engine.db.campaigns import authoring
from campaign_engine.db.pool import Pool
from campaign_engine.security.tokens import Tokens
from tests.conftest import TEST_SECRET, http_client
from tests.editor import (
    WORDS,
    audit_of,
    create_action,
    make_case,
    one_row,
    open_action,
    unique_code,
    unique_slug,
)
from tests.factories import add_target
from tests.staff import Campaigner


def field_error(page: str, field: str) -> str:
    """The message tied to a field (by its id), or '' when it has none."""
    found = re.search(rf'id="{field}-error">.*?</span>(.*?)</p>', page, re.S)
    return found.group(1).strip() if found else ""


def french(slug: str) -> dict[str, str]:
    return {
        "title": f"Libérez Ana García {slug}",
        "summary": "Ana García, journaliste, est détenue pour ses reportages.",
        "body": "Ana a été arrêtée le 3 mars.\n\nElle n'a pas vu d'avocat.",
        "letter_subject": "Libérez Ana García",
        "letter_body": "Monsieur le Ministre,\n\nLibérez Ana García.",
        "share_text": "Agissez pour Ana García.",
    }


async def test_a_campaigner_creates_an_action_after_fixing_what_the_form_refused(
    campaigner: Campaigner, pool: Pool
) -> None:
    case_id, _ = await make_case(pool)
    blank = await campaigner.client.get(f"/admin/actions/new?case={case_id}")
    assert blank.status_code == 200
    assert f'<option value="{case_id}" selected' in blank.text
    assert "UTC" in blank.text, "the form says which time zone dates are read in"

    slug, code = unique_slug(), unique_code()
    form = {
        "case": str(case_id),
        "code": "123/26",
        "slug": "Not A Slug",
        "default_locale": "en",
        "deadline": "next week",
        "time_zone": "Europe/Paris",
        "goal": "many",
        "title": "",
    }
    refused = await campaigner.post("/admin/actions", form)
    assert refused.status_code == 422
    assert "UA 123/26" in field_error(refused.text, "code")
    assert "lower-case letters" in field_error(refused.text, "slug")
    assert field_error(refused.text, "deadline")
    assert field_error(refused.text, "goal")
    assert field_error(refused.text, "title") == "Enter a title."
    assert 'aria-invalid="true"' in refused.text
    assert 'aria-describedby="code-hint code-error"' in refused.text

    reserved = await campaigner.post("/admin/actions", {**form, "slug": "new"})
    assert "reserved" in field_error(reserved.text, "slug")

    created = await campaigner.post(
        "/admin/actions",
        {
            **form,
            "code": code.lower(),  # typed in lower case: kept as Amnesty writes it
            "slug": slug,
            "deadline": "2099-12-31T18:00",
            "goal": "1,000",
            **WORDS,
        },
    )
    assert created.status_code == 303
    assert created.headers["location"] == f"/admin/actions/{slug}/edit?done=created"
    row = await one_row(
        pool,
        "SELECT id, code, status, deadline, goal, time_zone, case_id FROM actions WHERE slug = $1",
        slug,
    )
    assert row["code"] == code
    assert row["status"] == "draft"
    assert row["case_id"] == case_id
    assert row["goal"] == 1000
    # 18:00 in Paris in winter is 17:00 UTC.
    assert row["deadline"] == datetime(2099, 12, 31, 17, 0, tzinfo=UTC)
    assert row["time_zone"] == "Europe/Paris"
    text = await one_row(
        pool,
        "SELECT title, letter_body, published FROM action_translations WHERE action_id = $1",
        row["id"],
    )
    assert text["title"] == WORDS["title"]
    assert text["letter_body"] == WORDS["letter_body"]
    assert text["published"] is False, "a new action's words wait for a campaigner"

    editor = await campaigner.client.get(created.headers["location"])
    assert editor.status_code == 200
    assert "The action was created as a draft" in editor.text
    assert 'value="2099-12-31T18:00"' in editor.text, "the deadline shows as it was typed"
    [(verb, who, detail)] = await audit_of(pool, row["id"])
    assert verb == "action.created"
    assert who == campaigner.staff.id
    assert detail["code"] == code

    listed = await campaigner.client.get("/admin/actions?status=draft")
    assert code in listed.text
    assert f'href="/admin/actions/{slug}"' in listed.text, "its dashboard"
    assert f'href="/admin/actions/{slug}/edit"' in listed.text
    assert code not in (await campaigner.client.get("/admin/actions?status=open")).text


async def test_codes_and_addresses_belong_to_one_action(campaigner: Campaigner, pool: Pool) -> None:
    slug, code, _ = await create_action(campaigner, pool)
    case_id, _ = await make_case(pool)
    form = {"case": str(case_id), "default_locale": "en", "time_zone": "UTC", **WORDS}
    same_code = await campaigner.post(
        "/admin/actions", {**form, "code": code, "slug": unique_slug()}
    )
    assert same_code.status_code == 422
    assert field_error(same_code.text, "code") == "Another action has this code."
    same_slug = await campaigner.post(
        "/admin/actions", {**form, "code": unique_code(), "slug": slug}
    )
    assert same_slug.status_code == 422
    assert field_error(same_slug.text, "slug") == "Another action has this address."
    no_case = await campaigner.post(
        "/admin/actions",
        {**form, "case": "999999999", "code": unique_code(), "slug": unique_slug()},
    )
    assert no_case.status_code == 422
    assert field_error(no_case.text, "case") == "Choose the case this action is for."


async def test_a_translator_writes_beside_the_source_and_the_editor_sees_it_fall_behind(
    campaigner: Campaigner, translator: Campaigner, pool: Pool
) -> None:
    slug, _, action_id = await create_action(campaigner, pool)
    page = await translator.client.get(f"/admin/actions/{slug}/translations/ar")
    assert page.status_code == 200
    # The source is read-only, in its language; the fields are in the language being written.
    assert f'lang="en" dir="ltr"><p>{WORDS["summary"]}</p>' in page.text
    assert re.search(
        r'<input type="text" id="title" name="title"[^>]* lang="ar" dir="rtl"', page.text
    )
    assert re.search(r'<textarea id="body" name="body"[^>]* lang="ar" dir="rtl"', page.text)

    refused = await translator.post(f"/admin/actions/{slug}/translations/fr", {"title": ""})
    assert refused.status_code == 422
    assert field_error(refused.text, "title") == "Enter a title."

    saved = await translator.post(f"/admin/actions/{slug}/translations/fr", french(slug))
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/admin/actions/{slug}/translations/fr?done=translated"
    stored = await one_row(
        pool,
        "SELECT title, body, published FROM action_translations WHERE action_id = $1 "
        "AND locale = 'fr'",
        action_id,
    )
    assert stored["title"] == french(slug)["title"]
    assert stored["body"] == french(slug)["body"]
    assert stored["published"] is False

    overview = await translator.client.get(f"/admin/actions/{slug}/translations")
    assert overview.status_code == 200
    assert "Outdated: the source" not in overview.text
    assert "Missing" in overview.text, "four languages are not written yet"

    # Saving the source unchanged outdates nothing; changing its words does.
    await campaigner.post(f"/admin/actions/{slug}/translations/en", WORDS)
    assert (
        "Outdated: the source"
        not in (await translator.client.get(f"/admin/actions/{slug}/translations")).text
    )
    await campaigner.post(
        f"/admin/actions/{slug}/translations/en", {**WORDS, "summary": "She is on hunger strike."}
    )
    overview = await translator.client.get(f"/admin/actions/{slug}/translations")
    assert "Outdated: the source changed since" in overview.text
    # Saving the translation again says it was checked against the new source.
    await translator.post(f"/admin/actions/{slug}/translations/fr", french(slug))
    assert (
        "Outdated: the source"
        not in (await translator.client.get(f"/admin/actions/{slug}/translations")).text
    )

    verbs = [(verb, detail) for verb, _, detail in await audit_of(pool, action_id)]
    assert ("action.translated", {"locale": "fr"}) in verbs
    assert ("action.translated", {"locale": "en"}) in verbs


async def test_each_language_reaches_the_public_once_published(
    campaigner: Campaigner, client: httpx.AsyncClient, pool: Pool
) -> None:
    slug, _, action_id = await create_action(campaigner, pool)
    assert (await client.get(f"/en/actions/{slug}")).status_code == 404, "a draft is not public"
    await open_action(campaigner, slug)
    await campaigner.post(f"/admin/actions/{slug}/translations/fr", french(slug))

    english = await client.get(f"/fr/actions/{slug}")
    assert english.status_code == 200
    assert WORDS["title"] in english.text, "an unpublished language falls back to the source"
    assert "pas encore disponible" in english.text or 'lang="en"' in english.text

    incomplete = await campaigner.post(
        f"/admin/actions/{slug}/translations/es", {"title": "Liberen a Ana"}
    )
    assert incomplete.status_code == 303
    refused = await campaigner.post(f"/admin/actions/{slug}/translations/es/publish")
    assert refused.status_code == 409
    assert "Fill in the title, the summary" in refused.text
    missing = await campaigner.post(f"/admin/actions/{slug}/translations/ru/publish")
    assert missing.status_code == 409
    assert "There is no text in this language yet" in missing.text

    published = await campaigner.post(
        f"/admin/actions/{slug}/translations/fr/publish",
        {"next": f"/admin/actions/{slug}/edit"},
    )
    assert published.status_code == 303
    assert published.headers["location"] == f"/admin/actions/{slug}/edit?done=locale_published"
    french_page = await client.get(f"/fr/actions/{slug}")
    assert french(slug)["title"] in french_page.text
    assert WORDS["title"] not in french_page.text

    unpublished = await campaigner.post(f"/admin/actions/{slug}/translations/fr/unpublish")
    assert unpublished.status_code == 303
    assert WORDS["title"] in (await client.get(f"/fr/actions/{slug}")).text

    source = await campaigner.post(f"/admin/actions/{slug}/translations/en/unpublish")
    assert source.status_code == 409
    assert "own language stays published while the action is open" in source.text

    verbs = [(verb, detail) for verb, _, detail in await audit_of(pool, action_id)]
    assert ("action.locale_published", {"locale": "fr"}) in verbs
    assert ("action.locale_unpublished", {"locale": "fr"}) in verbs


async def test_a_preview_link_shows_a_draft_to_someone_without_an_account(
    asgi_app: ASGIApp,
    campaigner: Campaigner,
    translator: Campaigner,
    viewer: Campaigner,
    pool: Pool,
) -> None:
    slug, _, action_id = await create_action(campaigner, pool)
    await campaigner.post(f"/admin/actions/{slug}/translations/fr", french(slug))

    # A link anyone can open for a week is not a viewer's to hand out.
    refused = await viewer.post(f"/admin/actions/{slug}/translations/fr/preview-link")
    assert refused.status_code == 403
    made = await translator.post(f"/admin/actions/{slug}/translations/fr/preview-link")
    assert made.status_code == 200
    found = re.search(r'value="http://testserver(/preview/[^"]+)"', made.text)
    assert found is not None
    link = found.group(1)
    [(verb, who, detail)] = [e for e in await audit_of(pool, action_id) if "preview" in e[0]]
    assert (verb, who, detail) == (
        "action.preview_link_made",
        translator.staff.id,
        {"locale": "fr"},
    )

    async with http_client(asgi_app) as partner:
        preview = await partner.get(link)
        assert preview.status_code == 200
        assert "Aperçu — non publié" in preview.text  # the banner, in the page's language
        assert french(slug)["title"] in preview.text
        assert '<html lang="fr"' in preview.text
        assert preview.headers["x-robots-tag"].startswith("noindex")
        assert preview.headers["cache-control"] == "no-store"
        assert preview.headers["referrer-policy"] == "no-referrer"
        assert "<fieldset disabled>" in preview.text
        assert f"/actions/{slug}/sign" not in preview.text, "the form goes nowhere"

        tampered = await partner.get(link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"))
        assert tampered.status_code == 404
        assert "This link does not work" in tampered.text
        expired = Tokens(TEST_SECRET).preview_token(
            action_id, "fr", datetime.now(UTC) - timedelta(seconds=1)
        )
        gone = await partner.get(f"/preview/{expired}", headers={"accept-language": "es"})
        assert gone.status_code == 410
        assert '<html lang="es"' in gone.text, "the error speaks the reader's language"
        assert gone.headers["cache-control"] == "no-store"
        other_purpose = Tokens(TEST_SECRET).confirmation_token(uuid.uuid4())
        assert (await partner.get(f"/preview/{other_purpose}")).status_code == 404


async def test_a_follow_up_is_a_new_draft_for_the_same_case(
    campaigner: Campaigner, pool: Pool
) -> None:
    slug, code, action_id = await create_action(campaigner, pool)
    await open_action(campaigner, slug)
    await campaigner.post(f"/admin/actions/{slug}/translations/fr", french(slug))
    await campaigner.post(f"/admin/actions/{slug}/translations/fr/publish")
    target_id, _ = await add_target(pool, slug)
    async with pool.acquire() as conn:
        await authoring.set_action_channel(conn, action_id, "email", "digest")

    made = await campaigner.post(f"/admin/actions/{slug}/follow-up")
    assert made.status_code == 303
    assert made.headers["location"] == f"/admin/actions/{slug}-fi1/edit?done=followed_up"
    follow = await one_row(
        pool,
        """SELECT a.id, a.code, a.status, a.deadline, a.goal, a.case_id = o.case_id AS same_case
           FROM actions a, actions o WHERE a.slug = $1 AND o.id = $2""",
        f"{slug}-fi1",
        action_id,
    )
    assert follow["code"] == f"FI 1 on {code}"
    assert follow["status"] == "draft"
    assert follow["deadline"] is None
    assert follow["goal"] == 500
    assert follow["same_case"]
    texts = await pool.fetch(
        "SELECT locale, title, published FROM action_translations WHERE action_id = $1 "
        "ORDER BY locale",
        follow["id"],
    )
    assert [(t["locale"], t["published"]) for t in texts] == [("en", False), ("fr", False)]
    assert texts[1]["title"] == french(slug)["title"]
    targets = await pool.fetch(
        "SELECT target_id, channel FROM action_targets WHERE action_id = $1", follow["id"]
    )
    assert [(t["target_id"], t["channel"]) for t in targets] == [(target_id, "email")]
    assert (
        await pool.fetchval(
            "SELECT mode FROM action_channels WHERE action_id = $1 AND channel = 'email'",
            follow["id"],
        )
        == "digest"
    )
    editor = await campaigner.client.get(made.headers["location"])
    assert f"FI 1 on {code}" in editor.text

    # A follow-up of the follow-up is the second on the same urgent action.
    again = await campaigner.post(f"/admin/actions/{slug}-fi1/follow-up")
    assert again.headers["location"] == f"/admin/actions/{slug}-fi2/edit?done=followed_up"
    assert (
        await pool.fetchval("SELECT code FROM actions WHERE slug = $1", f"{slug}-fi2")
        == f"FI 2 on {code}"
    )
    [(verb, _, detail)] = await audit_of(pool, follow["id"])
    assert verb == "action.followed_up"
    assert detail["original"] == action_id


async def test_a_translator_translates_but_neither_creates_nor_publishes(
    campaigner: Campaigner, translator: Campaigner, viewer: Campaigner, pool: Pool
) -> None:
    slug, _, action_id = await create_action(campaigner, pool)
    assert (await translator.client.get("/admin/actions/new")).status_code == 403
    assert (await translator.post("/admin/actions", {"code": unique_code()})).status_code == 403
    assert (await translator.client.get(f"/admin/actions/{slug}/edit")).status_code == 403
    saved = await translator.post(f"/admin/actions/{slug}/translations/fr", french(slug))
    assert saved.status_code == 303
    page = await translator.client.get(f"/admin/actions/{slug}/translations/fr")
    assert "A campaigner publishes each language" in page.text
    assert "/translations/fr/publish" not in page.text
    assert (
        await translator.post(f"/admin/actions/{slug}/translations/fr/publish")
    ).status_code == 403
    assert (await translator.post(f"/admin/actions/{slug}/publish")).status_code == 403
    listed = await translator.client.get("/admin/actions")
    assert f'href="/admin/actions/{slug}/translations"' in listed.text
    assert "New action" not in listed.text
    assert f'href="/admin/actions/{slug}/edit"' not in listed.text

    assert (
        await viewer.post(f"/admin/actions/{slug}/translations/fr", french(slug))
    ).status_code == 403
    assert (await viewer.client.get("/admin/actions")).status_code == 200
    published = await pool.fetchval(
        "SELECT published FROM action_translations WHERE action_id = $1 AND locale = 'fr'",
        action_id,
    )
    assert published is False
