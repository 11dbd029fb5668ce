"""Test data, made with the same authoring queries the product uses; every call makes its own
action (a fresh slug), so tests never see each other's signatures."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from campaign_engine.db import authoring
from campaign_engine.db.pool import Pool


def content(locale: str, slug: str) -> dict[str, str]:
    return {
        "title": f"Free the defender ({locale}) {slug}",
        "summary": f"Summary in {locale}.",
        "body": f"First paragraph in {locale}.\n\nSecond paragraph in {locale}.",
        "letter_subject": f"Letter subject in {locale}",
        "letter_body": f"Letter in {locale}.",
        "share_text": f"Share text in {locale}.",
        "person": f"Person ({locale})",
    }


async def make_action(
    pool: Pool,
    *,
    status: str = "open",
    locales: tuple[str, ...] = ("en", "fr", "es", "ar", "zh-Hans", "ru"),
    default_locale: str = "en",
    goal: int = 100,
    deadline: datetime | None = None,
) -> str:
    """An action with a case, published in `locales`; returns its slug."""
    slug = f"t-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn, conn.transaction():
        case_id = await authoring.upsert_case(
            conn,
            slug=f"case-{slug}",
            country="MX",
            risk_category="arbitrary_detention",
            status="open",
            default_locale=default_locale,
        )
        for locale in locales:
            await authoring.upsert_case_translation(conn, case_id, locale, content(locale, slug))
        action_id = await authoring.upsert_action(
            conn,
            case_id=case_id,
            slug=slug,
            code=f"UA {slug}",
            status=status,
            deadline=deadline or datetime.now(UTC) + timedelta(days=30),
            goal=goal,
            default_locale=default_locale,
        )
        for locale in locales:
            await authoring.upsert_action_translation(
                conn, action_id, locale, content(locale, slug), published=True
            )
    return slug


def unique_email(name: str = "supporter") -> str:
    return f"{name}.{uuid.uuid4().hex[:10]}@example.org"


def confirmation_path(message: EmailMessage) -> str:
    """The path of the confirmation link in an email's text."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(r"http://testserver(/confirm/\S+)", body.get_content())
    assert match is not None, "no confirmation link in the email"
    return match.group(1)
