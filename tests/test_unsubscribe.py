"""Unsubscribing from updates: the link in every update opens a page with one button, and a
mail program may post to it on the reader's behalf (RFC 8058), without cookies or form token.
Either way it works once, says so in the reader's language, and stops every later update."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage

import httpx
import pytest
from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from tests.clock import FakeClock
from tests.conftest import TEST_SECRET, Drain, http_client
from tests.smtp import RecordingHandler
from tests.staff import Campaigner
from tests.supporter_updates import (
    add_event,
    fan_out_now,
    make_case,
    make_signer,
    supporter_id_of,
    unique_phone,
    update_deliveries,
)
from tests.twilio import TwilioRecord

NEWS = {"en": ("A visit at last", "Her family could visit her.")}
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
async def stranger(asgi_app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no cookie at all, as a mail provider's one-click POST comes."""
    async with http_client(asgi_app) as client:
        yield client


def unsubscribe_path(message: EmailMessage) -> str:
    link = str(message["List-Unsubscribe"])
    assert link.startswith("<http://testserver/unsubscribe/")
    assert link.endswith(">")
    return link[len("<http://testserver") : -1]


async def receive_update(
    pool: Pool, smtp: RecordingHandler, drain: Drain, campaigner: Campaigner, **signer: object
) -> tuple[str, EmailMessage, int]:
    """A supporter of a fresh case and the update they received: (address, email, case)."""
    case = await make_case(pool)
    email = await make_signer(pool, case.action_slugs[0], **signer)  # type: ignore[arg-type]
    event_id = await add_event(pool, case.id, NEWS)
    sent = await campaigner.post(
        f"/admin/cases/{case.id}/updates/{event_id}/send", {"confirm": "yes"}
    )
    assert sent.status_code == 303
    await drain()
    [message] = smtp.to(email)
    return email, message, case.id


async def withdrawals(pool: Pool, email: str) -> list[tuple[str, str, str]]:
    """(scope, source, the wording withdrawn from) of each withdrawal, oldest first."""
    rows = await pool.fetch(
        """SELECT r.scope, r.source, t.text FROM consent_records r
           JOIN consent_texts t ON t.id = r.consent_text_id
           WHERE r.supporter_id = $1 AND NOT r.granted ORDER BY r.id""",
        await supporter_id_of(pool, email),
    )
    return [(row["scope"], row["source"], row["text"]) for row in rows]


async def test_every_update_carries_one_click_unsubscribe(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    _email, message, _case = await receive_update(pool, smtp, drain, campaigner)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = unsubscribe_path(message)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert f"http://testserver{path}" in body.get_content(), "a visible link too"


async def test_a_mail_programs_one_click_post_unsubscribes_once(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
    stranger: httpx.AsyncClient,
) -> None:
    email, message, _case = await receive_update(
        pool, smtp, drain, campaigner, locale="fr", sms=True, phone=unique_phone()
    )
    path = unsubscribe_path(message)
    first = await stranger.post(path, data=ONE_CLICK)
    assert first.status_code == 200
    assert first.headers["Content-Language"] == "fr", "in the language of the update"
    assert first.headers["Cache-Control"] == "no-store"
    again = await stranger.post(path, data=ONE_CLICK)
    assert again.status_code == 200
    assert await withdrawals(pool, email) == [
        ("updates", "one-click", "I agree to updates (fr)."),
        ("sms", "one-click", "I agree to sms (fr)."),
    ]


async def test_the_page_asks_first_and_its_button_unsubscribes(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
    stranger: httpx.AsyncClient,
) -> None:
    email, message, _case = await receive_update(pool, smtp, drain, campaigner, locale="ar")
    path = unsubscribe_path(message)
    page = await stranger.get(path)
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text
    assert f'<form method="post" action="{path}">' in page.text
    assert await withdrawals(pool, email) == [], "opening the link changes nothing"

    done = await stranger.post(path)
    assert done.status_code == 200
    assert await withdrawals(pool, email) == [
        ("updates", "unsubscribe-page", "I agree to updates (ar).")
    ]
    after = await stranger.get(path)
    assert f'action="{path}"' not in after.text, "no button once unsubscribed"


async def test_no_later_update_reaches_someone_who_unsubscribed(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    twilio: TwilioRecord,
    drain: Drain,
    campaigner: Campaigner,
    stranger: httpx.AsyncClient,
) -> None:
    phone = unique_phone()
    email, message, case_id = await receive_update(
        pool, smtp, drain, campaigner, sms=True, phone=phone
    )
    assert len(twilio.to(phone)) == 1
    assert (await stranger.post(unsubscribe_path(message), data=ONE_CLICK)).status_code == 200

    later = await add_event(pool, case_id, {"en": ("Released", "She is home.")})
    sent = await campaigner.post(f"/admin/cases/{case_id}/updates/{later}/send", {"confirm": "yes"})
    assert sent.status_code == 303
    await drain()
    assert len(smtp.to(email)) == 1, "only the first update"
    assert len(twilio.to(phone)) == 1, "texts stop too"
    assert await update_deliveries(pool, later) == []


async def test_an_update_waiting_to_go_is_not_sent_after_an_unsubscribe(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
    stranger: httpx.AsyncClient,
    settings: Settings,
    clock: FakeClock,
) -> None:
    case = await make_case(pool)
    email = await make_signer(pool, case.action_slugs[0])
    event_id = await add_event(pool, case.id, NEWS)
    sent = await campaigner.post(
        f"/admin/cases/{case.id}/updates/{event_id}/send", {"confirm": "yes"}
    )
    assert sent.status_code == 303
    await fan_out_now(pool, settings, clock, event_id)
    token = Tokens(TEST_SECRET).unsubscribe_token(
        await supporter_id_of(pool, email), "updates", "en"
    )
    assert (await stranger.post(f"/unsubscribe/{token}", data=ONE_CLICK)).status_code == 200

    await drain()
    assert smtp.to(email) == []
    [row] = await update_deliveries(pool, event_id)
    assert (row["status"], row["last_error"]) == ("failed", "the supporter unsubscribed")


async def test_a_link_that_is_not_ours_is_not_found_in_the_readers_language(
    stranger: httpx.AsyncClient,
) -> None:
    tampered = Tokens(TEST_SECRET).unsubscribe_token(uuid.uuid4(), "updates", "en")[:-2] + "xx"
    for path in ("/unsubscribe/not-a-token", f"/unsubscribe/{tampered}"):
        for method in ("GET", "POST"):
            answer = await stranger.request(
                method, path, headers={"Accept-Language": "es"}, data=ONE_CLICK
            )
            assert answer.status_code == 404
            assert '<html lang="es"' in answer.text
    other_purpose = Tokens(TEST_SECRET).confirmation_token(uuid.uuid4())
    assert (await stranger.post(f"/unsubscribe/{other_purpose}")).status_code == 404


async def test_a_link_for_someone_we_no_longer_hold_answers_unsubscribed(
    stranger: httpx.AsyncClient,
) -> None:
    token = Tokens(TEST_SECRET).unsubscribe_token(uuid.uuid4(), "updates", "ru")
    answer = await stranger.post(f"/unsubscribe/{token}", data=ONE_CLICK)
    assert answer.status_code == 200
    assert '<html lang="ru"' in answer.text
