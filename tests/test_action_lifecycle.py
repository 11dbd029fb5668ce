"""An action's lifecycle: each change from the statuses it may start from and no other, the
schedule that opens and closes actions on time, the deadline that stops signatures before the
cron notices it, the closed page with the case's news, and the takedown (410 everywhere)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from campaign_engine.clock import SystemClock
from campaign_engine.db.campaigns import authoring
from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.action_lifecycle import apply_schedules
from campaign_engine.domain.campaigns.action_pages import make_preview_link
from campaign_engine.security.tokens import Tokens
from tests.clock import FakeClock
from tests.conftest import TEST_SECRET
from tests.editor import WORDS, audit_of, create_action, one_row, open_action
from tests.factories import content, make_action, unique_email
from tests.staff import Campaigner


def minute(moment: datetime) -> datetime:
    """A moment as a datetime-local field keeps it: to the minute."""
    return moment.replace(second=0, microsecond=0)


def typed(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


async def status_of(pool: Pool, slug: str) -> str:
    status: str = await pool.fetchval("SELECT status FROM actions WHERE slug = $1", slug)
    return status


async def test_each_change_starts_only_from_the_statuses_it_knows(
    campaigner: Campaigner, pool: Pool
) -> None:
    slug, code, action_id = await create_action(campaigner, pool)

    too_early = await campaigner.post(f"/admin/actions/{slug}/close")
    assert too_early.status_code == 409
    assert "status is “draft”" in too_early.text
    unpublished = await campaigner.post(f"/admin/actions/{slug}/publish")
    assert unpublished.status_code == 409
    assert "Publish the action&#39;s own language first" in unpublished.text
    no_time = await campaigner.post(f"/admin/actions/{slug}/schedule")
    assert no_time.status_code == 409

    await open_action(campaigner, slug)
    assert await status_of(pool, slug) == "open"
    assert (await campaigner.post(f"/admin/actions/{slug}/schedule")).status_code == 409
    assert (await campaigner.post(f"/admin/actions/{slug}/archive")).status_code == 409
    assert (await campaigner.post(f"/admin/actions/{slug}/restore")).status_code == 409

    closed = await campaigner.post(f"/admin/actions/{slug}/close")
    assert closed.headers["location"] == f"/admin/actions/{slug}/edit?done=closed"
    assert await status_of(pool, slug) == "closed"
    assert (await campaigner.post(f"/admin/actions/{slug}/reopen")).status_code == 303
    assert await status_of(pool, slug) == "open"
    await campaigner.post(f"/admin/actions/{slug}/close")
    assert (await campaigner.post(f"/admin/actions/{slug}/archive")).status_code == 303
    assert await status_of(pool, slug) == "archived"
    assert (await campaigner.post(f"/admin/actions/{slug}/reopen")).status_code == 409

    wrong = await campaigner.post(
        f"/admin/actions/{slug}/remove", {"confirm_code": "UA 1/00", "reason": "A court order"}
    )
    assert wrong.status_code == 422
    assert "This is not the action&#39;s code" in wrong.text
    no_reason = await campaigner.post(f"/admin/actions/{slug}/remove", {"confirm_code": code})
    assert no_reason.status_code == 422
    assert await status_of(pool, slug) == "archived"
    removed = await campaigner.post(
        f"/admin/actions/{slug}/remove", {"confirm_code": code, "reason": "A court order"}
    )
    assert removed.status_code == 303
    assert await status_of(pool, slug) == "removed"
    assert (await campaigner.post(f"/admin/actions/{slug}/follow-up")).status_code == 409
    assert (await campaigner.post(f"/admin/actions/{slug}/restore")).status_code == 303
    assert await status_of(pool, slug) == "closed"

    entries = await audit_of(pool, action_id)
    assert [verb for verb, _, _ in entries] == [
        "action.created",
        "action.locale_published",
        "action.published",
        "action.closed",
        "action.reopened",
        "action.closed",
        "action.archived",
        "action.removed",
        "action.restored",
    ]
    assert all(who == campaigner.staff.id for _, who, _ in entries)
    [removal] = [detail for verb, _, detail in entries if verb == "action.removed"]
    assert removal == {"previous": "archived", "reason": "A court order"}


async def test_settings_refuse_times_already_past(campaigner: Campaigner, pool: Pool) -> None:
    slug, _, action_id = await create_action(campaigner, pool)
    past = typed(datetime.now(UTC) - timedelta(days=1))
    refused = await campaigner.post(
        f"/admin/actions/{slug}/edit", {"deadline": past, "time_zone": "UTC"}
    )
    assert refused.status_code == 422
    assert "The deadline has passed" in refused.text
    assert 'id="deadline" name="deadline" type="datetime-local"' in refused.text
    later = typed(datetime.now(UTC) + timedelta(days=2))
    sooner = typed(datetime.now(UTC) + timedelta(days=1))
    backwards = await campaigner.post(
        f"/admin/actions/{slug}/edit",
        {"deadline": sooner, "publish_at": later, "time_zone": "UTC"},
    )
    assert backwards.status_code == 422
    assert "The deadline must come after the publication time" in backwards.text
    saved = await campaigner.post(
        f"/admin/actions/{slug}/edit",
        {"deadline": later, "goal": "2500", "reply_to": "supporter", "time_zone": "Asia/Tokyo"},
    )
    assert saved.status_code == 303
    row = await one_row(
        pool, "SELECT goal, reply_to, time_zone FROM actions WHERE id = $1", action_id
    )
    assert dict(row) == {"goal": 2500, "reply_to": "supporter", "time_zone": "Asia/Tokyo"}
    [(_, _, detail)] = [e for e in await audit_of(pool, action_id) if e[0] == "action.updated"]
    assert set(detail) == {"deadline", "goal", "reply_to", "time_zone"}


async def test_schedules_open_and_close_actions_on_time(campaigner: Campaigner, pool: Pool) -> None:
    now = minute(datetime.now(UTC))
    publish_at, deadline = now + timedelta(hours=1), now + timedelta(hours=2)
    slug, code, action_id = await create_action(campaigner, pool)
    await campaigner.post(f"/admin/actions/{slug}/translations/en/publish")
    await campaigner.post(
        f"/admin/actions/{slug}/edit",
        {"publish_at": typed(publish_at), "deadline": typed(deadline), "time_zone": "UTC"},
    )
    scheduled = await campaigner.post(f"/admin/actions/{slug}/schedule")
    assert scheduled.status_code == 303
    assert await status_of(pool, slug) == "scheduled"
    editor = await campaigner.client.get(f"/admin/actions/{slug}/edit")
    assert "Scheduled: it opens by itself" in editor.text

    clock = FakeClock(publish_at - timedelta(seconds=1))
    assert code not in (await apply_schedules(pool, clock)).opened
    assert await status_of(pool, slug) == "scheduled"
    clock.advance(timedelta(seconds=1))
    run = await apply_schedules(pool, clock)
    assert code in run.opened
    assert await status_of(pool, slug) == "open"
    assert code not in (await apply_schedules(pool, clock)).opened, "once"

    clock.advance_to(deadline - timedelta(seconds=1))
    assert code not in (await apply_schedules(pool, clock)).closed
    clock.advance_to(deadline)
    assert code in (await apply_schedules(pool, clock)).closed
    assert await status_of(pool, slug) == "closed"

    system = [(verb, detail) for verb, who, detail in await audit_of(pool, action_id) if not who]
    assert system == [
        ("action.published", {"scheduled": True}),
        ("action.closed", {"deadline": True}),
    ]


async def test_nobody_signs_after_the_deadline_even_before_the_cron(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool, deadline=datetime.now(UTC) - timedelta(minutes=1))
    form = {"name": "Li Wei", "email": unique_email(), "country": "CN"}
    signed = await client.post(f"/en/actions/{slug}/sign", data=form)
    assert signed.status_code == 410
    assert "This urgent action has closed" in signed.text
    api = await client.post(
        f"/api/v1/actions/{slug}/signatures",
        json={"name": "Li Wei", "email": unique_email(), "country": "CN"},
    )
    assert api.status_code == 410
    assert api.json()["error"]["code"] == "action_closed"
    page = await client.get(f"/en/actions/{slug}")
    assert page.status_code == 200
    assert f"/actions/{slug}/sign" not in page.text
    assert (await client.get(f"/api/v1/actions/{slug}")).json()["status"] == "closed"
    assert slug not in (await client.get("/en/")).text
    assert await status_of(pool, slug) == "open", "the cron has not run: the deadline decided"
    count = await pool.fetchval(
        "SELECT count(*) FROM signatures s JOIN actions a ON a.id = s.action_id WHERE a.slug = $1",
        slug,
    )
    assert count == 0


async def test_a_closed_action_shows_the_case_news_instead_of_the_form(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool, status="closed")
    case_id = await pool.fetchval("SELECT case_id FROM actions WHERE slug = $1", slug)
    now = datetime.now(UTC)
    events = [
        ("outcome", "released", now - timedelta(days=1), True, "Ana is free", "Released on bail."),
        ("update", None, now - timedelta(days=5), True, "A court hearing", "It was postponed."),
        ("note", None, now - timedelta(days=2), False, "Lawyer's number", "Internal only."),
        ("update", None, now - timedelta(days=3), False, "Draft update", "Not yet published."),
    ]
    for kind, outcome, occurred_at, published, title, body in events:
        event_id = await pool.fetchval(
            """INSERT INTO case_events (case_id, kind, outcome, occurred_at, published)
               VALUES ($1, $2, $3, $4, $5) RETURNING id""",
            case_id,
            kind,
            outcome,
            occurred_at,
            published,
        )
        await pool.execute(
            """INSERT INTO case_event_translations (event_id, locale, title, body)
               VALUES ($1, 'en', $2, $3)""",
            event_id,
            title,
            body,
        )

    page = await client.get(f"/en/actions/{slug}")
    assert page.status_code == 200
    assert "This urgent action has closed" in page.text
    assert f"/actions/{slug}/sign" not in page.text
    assert 'name="email"' not in page.text
    assert page.text.index("Ana is free") < page.text.index("A court hearing"), "newest first"
    assert "Released" in page.text
    assert "Lawyer's number" not in page.text
    assert "Draft update" not in page.text
    assert f'href="/en/cases/case-{slug}"' in page.text


async def test_a_removed_action_is_gone_from_every_public_route(
    client: httpx.AsyncClient, campaigner: Campaigner, pool: Pool
) -> None:
    slug, code, action_id = await create_action(campaigner, pool)
    await open_action(campaigner, slug)
    case_id = await pool.fetchval("SELECT case_id FROM actions WHERE id = $1", action_id)
    # Another action of the same case keeps the case page public.
    async with pool.acquire() as conn:
        sibling = await authoring.upsert_action(
            conn,
            case_id=case_id,
            slug=f"{slug}-sibling",
            code=f"{code} sibling",
            status="open",
            deadline=None,
            goal=0,
            default_locale="en",
        )
        await authoring.upsert_action_translation(
            conn, sibling, "en", content("en", f"{slug}-sibling"), published=True
        )
    signed = await client.post(
        f"/en/actions/{slug}/sign", data={"name": "Li", "email": unique_email(), "country": "CN"}
    )
    assert signed.status_code == 303
    signature_id = await pool.fetchval("SELECT id FROM signatures WHERE action_id = $1", action_id)
    preview = await make_preview_link(
        pool, SystemClock(), Tokens(TEST_SECRET), campaigner.staff, slug, "en"
    )
    case_slug = await pool.fetchval("SELECT slug FROM cases WHERE id = $1", case_id)
    assert f'/en/actions/{slug}"' in (await client.get(f"/en/cases/{case_slug}")).text

    removed = await campaigner.post(
        f"/admin/actions/{slug}/remove", {"confirm_code": code, "reason": "Safety of the family"}
    )
    assert removed.status_code == 303

    person = {"name": "Li", "email": unique_email(), "country": "CN"}
    answers = {
        "action page": await client.get(f"/en/actions/{slug}"),
        "action page in Arabic": await client.get(f"/ar/actions/{slug}"),
        "sign": await client.post(f"/en/actions/{slug}/sign", data=person),
        "sign with errors": await client.post(f"/en/actions/{slug}/sign", data={}),
        "check email": await client.get(f"/en/actions/{slug}/check-email"),
        "thanks": await client.get(f"/en/actions/{slug}/thanks"),
        "API action": await client.get(f"/api/v1/actions/{slug}"),
        "API count": await client.get(f"/api/v1/actions/{slug}/count"),
        "API signature": await client.post(f"/api/v1/actions/{slug}/signatures", json=person),
        "API signature with errors": await client.post(
            f"/api/v1/actions/{slug}/signatures", json={}
        ),
        "preview link": await client.get(f"/preview/{preview.token}"),
        "confirmation link": await client.get(
            f"/confirm/{Tokens(TEST_SECRET).confirmation_token(signature_id)}"
        ),
    }
    for route, answer in answers.items():
        assert answer.status_code == 410, route
        if route.startswith("API"):
            assert answer.json()["error"]["code"] == "action_removed", route
        elif "Arabic" not in route:
            assert "This urgent action has been removed" in answer.text, route
    assert 'lang="ar"' in answers["action page in Arabic"].text
    assert WORDS["title"] not in answers["preview link"].text

    case_page = await client.get(f"/en/cases/{case_slug}")
    assert case_page.status_code == 200
    assert f'/en/actions/{slug}"' not in case_page.text
    assert f"/en/actions/{slug}-sibling" in case_page.text
    assert slug + '"' not in (await client.get("/en/")).text
    listed = (await client.get("/api/v1/actions")).json()["actions"]
    assert slug not in [card["slug"] for card in listed]


async def test_a_draft_taken_down_is_gone_too(
    client: httpx.AsyncClient, campaigner: Campaigner, pool: Pool
) -> None:
    """Never published, so no language of it is public: still 410, not 404."""
    slug, code, _ = await create_action(campaigner, pool)
    await campaigner.post(
        f"/admin/actions/{slug}/remove", {"confirm_code": code.lower(), "reason": "Duplicate"}
    )
    assert (await client.get(f"/en/actions/{slug}")).status_code == 410
    assert (await client.get(f"/api/v1/actions/{slug}")).status_code == 410
