"""Helpers for the action editor's tests: a case to attach actions to, codes nobody has used,
an action made through the workspace's own form, and what the audit log says of it."""

from __future__ import annotations

import uuid

import asyncpg

from campaign_engine.db.campaigns import authoring
from campaign_engine.db.pool import Pool
from tests.factories import content
from tests.staff import Campaigner

WORDS = {
    "title": "Free Ana García",
    "summary": "Ana García, a journalist, was detained for her reporting.",
    "body": "Ana was arrested on 3 March.\n\nShe has not seen a lawyer.",
    "letter_subject": "Release Ana García",
    "letter_body": "Dear Minister,\n\nRelease Ana García now.",
    "share_text": "Act now for Ana García.",
}


async def make_case(pool: Pool, locales: tuple[str, ...] = ("en",)) -> tuple[int, str]:
    """A case with its text in `locales` (the first is its own); returns (id, slug)."""
    slug = f"case-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn, conn.transaction():
        case_id = await authoring.upsert_case(
            conn,
            slug=slug,
            country="MX",
            risk_category="arbitrary_detention",
            status="open",
            default_locale=locales[0],
        )
        for locale in locales:
            await authoring.upsert_case_translation(conn, case_id, locale, content(locale, slug))
    return case_id, slug


def unique_code() -> str:
    """A `UA n/yy` code no other test will pick (in all likelihood: a million of them)."""
    n = uuid.uuid4().int
    return f"UA {n % 9999 + 1}/{n // 9999 % 100:02d}"


def unique_slug(label: str = "ua") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


async def create_action(campaigner: Campaigner, pool: Pool, **fields: str) -> tuple[str, str, int]:
    """A draft made through the form, in English; returns (slug, code, action id)."""
    case_id, _case_slug = await make_case(pool)
    form = {
        "case": str(case_id),
        "code": unique_code(),
        "slug": unique_slug(),
        "default_locale": "en",
        "time_zone": "UTC",
        "goal": "500",
        **WORDS,
        **fields,
    }
    created = await campaigner.post("/admin/actions", form)
    assert created.status_code == 303, created.text
    action_id = await pool.fetchval("SELECT id FROM actions WHERE slug = $1", form["slug"])
    return form["slug"], form["code"], action_id


async def open_action(campaigner: Campaigner, slug: str) -> None:
    """Publish the action's own language, then the action."""
    published = await campaigner.post(f"/admin/actions/{slug}/translations/en/publish")
    assert published.status_code == 303
    opened = await campaigner.post(f"/admin/actions/{slug}/publish")
    assert opened.status_code == 303, opened.text


async def audit_of(pool: Pool, action_id: int) -> list[tuple[str, int | None, dict[str, object]]]:
    """(verb, who, detail) of every entry about the action, oldest first."""
    rows = await pool.fetch(
        """SELECT verb, staff_id, detail FROM audit_log
           WHERE object_type = 'action' AND object_id = $1 ORDER BY id""",
        str(action_id),
    )
    return [(row["verb"], row["staff_id"], row["detail"]) for row in rows]


async def one_row(pool: Pool, query: str, *arguments: object) -> asyncpg.Record:
    """The row a query must find."""
    row = await pool.fetchrow(query, *arguments)
    assert row is not None, "no such row"
    return row
