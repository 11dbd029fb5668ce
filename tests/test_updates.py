"""Updates to supporters: a campaigner sends a case's update or outcome once; everyone who
confirmed a signature on one of its actions and agreed to hear from us receives it once, in
their language, by email (and by text where they agreed), whatever fails and is retried."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import httpx
import redis.asyncio
from starlette.types import ASGIApp

from campaign_engine import jobs
from campaign_engine.db.personal import recipients
from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.updates import message_locale
from campaign_engine.domain.delivery.mailings import (
    STALLED_AFTER,
    fan_out_mailing,
    resume_stalled_mailings,
)
from campaign_engine.models.workspace import Role
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from tests.clock import FakeClock
from tests.conftest import TEST_SECRET, Drain
from tests.smtp import RecordingHandler
from tests.staff import Campaigner, signed_in
from tests.supporter_updates import (
    Case,
    add_event,
    fan_out_now,
    make_case,
    make_signer,
    unique_phone,
    update_deliveries,
)
from tests.twilio import TwilioRecord

EN_FR = {
    "en": ("Ana is free", "Ana walked out of prison today."),
    "fr": ("Ana est libre", "Ana est sortie de prison aujourd'hui."),
}


async def send(campaigner: Campaigner, case: Case, event_id: int, confirm: bool = True) -> int:
    answer = await campaigner.post(
        f"/admin/cases/{case.id}/updates/{event_id}/send", {"confirm": "yes"} if confirm else {}
    )
    return answer.status_code


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content.replace("\r\n", "\n")


async def test_each_signer_receives_the_update_once_in_their_language(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    case = await make_case(pool, actions=2)
    french = await make_signer(pool, case.action_slugs[0], locale="fr")
    arabic = await make_signer(pool, case.action_slugs[0], locale="ar")
    twice = await make_signer(pool, case.action_slugs[0], locale="fr")
    await make_signer(pool, case.action_slugs[1], email=twice, locale="es")  # latest: Spanish
    event_id = await add_event(pool, case.id, EN_FR)

    assert await send(campaigner, case, event_id) == 303
    await drain()

    [to_french] = smtp.to(french)
    assert to_french["Subject"].endswith("Ana est libre")
    assert to_french["Content-Language"] == "fr"
    assert "Ana est sortie de prison aujourd'hui." in text_of(to_french)
    assert f"/fr/cases/{case.slug}" in text_of(to_french)

    # No Arabic text: the case's own language, the words around it in Arabic.
    [to_arabic] = smtp.to(arabic)
    assert to_arabic["Subject"].endswith("Ana is free")
    assert to_arabic["Content-Language"] == "ar"
    assert "Ana walked out of prison today." in text_of(to_arabic)
    html = to_arabic.get_body(preferencelist=("html",))
    assert html is not None
    assert 'lang="en" dir="ltr"' in html.get_content()
    assert '<html lang="ar" dir="rtl">' in html.get_content()

    # Signed two of the case's actions: one message, in the language of the latest signature.
    [to_twice] = smtp.to(twice)
    assert to_twice["Subject"].endswith("Ana is free"), "no Spanish text: the case's English"
    assert to_twice["Content-Language"] == "es"

    rows = await update_deliveries(pool, event_id)
    assert [row["status"] for row in rows] == ["sent"] * 3
    assert to_french["Message-ID"] in {f"<delivery-{row['id']}@example.org>" for row in rows}, (
        "a deterministic Message-ID per delivery"
    )


def test_the_language_chain_ends_in_any_language_the_update_has() -> None:
    assert message_locale("fr", {"fr", "en"}, "en") == "fr"
    assert message_locale("es-MX", {"es", "en"}, "en") == "es"
    assert message_locale("ar", {"fr", "en"}, "en") == "en"
    assert message_locale("ar", {"ru", "fr"}, "en") == "fr", "the first in our languages' order"
    assert message_locale("ar", set(), "en") is None


async def test_an_update_written_only_in_another_language_still_goes(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    case = await make_case(pool)
    reader = await make_signer(pool, case.action_slugs[0], locale="en")
    event_id = await add_event(pool, case.id, {"ru": ("Ана на свободе", "Ана вышла.")})
    assert await send(campaigner, case, event_id) == 303
    await drain()
    [message] = smtp.to(reader)
    assert "Ана вышла." in text_of(message)
    assert "not yet available in your language" in text_of(message)


async def test_only_confirmed_signers_who_want_updates_receive_them(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    case = await make_case(pool)
    wanted = await make_signer(pool, case.action_slugs[0])
    declined = await make_signer(pool, case.action_slugs[0], updates=False)
    unconfirmed = await make_signer(pool, case.action_slugs[0], confirmed=False)
    other_case = await make_case(pool)
    elsewhere = await make_signer(pool, other_case.action_slugs[0])
    event_id = await add_event(pool, case.id, EN_FR)

    assert await send(campaigner, case, event_id) == 303
    await drain()
    assert len(smtp.to(wanted)) == 1
    assert smtp.to(declined) == []
    assert smtp.to(unconfirmed) == []
    assert smtp.to(elsewhere) == []
    assert len(await update_deliveries(pool, event_id)) == 1


async def test_an_update_is_sent_once_however_often_it_is_asked(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    case = await make_case(pool)
    readers = [await make_signer(pool, case.action_slugs[0]) for _n in range(3)]
    event_id = await add_event(pool, case.id, EN_FR)

    assert await send(campaigner, case, event_id) == 303
    again = await campaigner.post(
        f"/admin/cases/{case.id}/updates/{event_id}/send", {"confirm": "yes"}
    )
    assert again.status_code == 409
    assert "sent already" in again.text
    await drain()
    assert await send(campaigner, case, event_id) == 409
    await drain()

    assert [len(smtp.to(reader)) for reader in readers] == [1, 1, 1]
    assert len(await update_deliveries(pool, event_id)) == 3
    audit = await pool.fetch(
        "SELECT detail FROM audit_log WHERE verb = 'update.sent' AND object_id = $1",
        str(event_id),
    )
    assert [row["detail"] for row in audit] == [{"case": case.id, "emails": 3, "texts": 0}]


async def test_a_fan_out_cut_short_resumes_and_writes_nobody_twice(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
    settings: Settings,
    redis_client: redis.asyncio.Redis,
    clock: FakeClock,
) -> None:
    case = await make_case(pool)
    readers = [await make_signer(pool, case.action_slugs[0]) for _n in range(5)]
    event_id = await add_event(pool, case.id, EN_FR)
    assert await send(campaigner, case, event_id) == 303
    await redis_client.flushdb()  # the fan-out's job is lost with Redis
    mailing_id = await pool.fetchval("SELECT id FROM update_mailings WHERE event_id = $1", event_id)

    assert settings.redis_url is not None
    queue_pool = await jobs.connect(settings.redis_url)
    queue, tokens = jobs.JobQueue(queue_pool), Tokens(TEST_SECRET)
    try:
        # A fan-out that dies after its first batch of two ...
        written = await fan_out_mailing(
            pool, queue, tokens, clock, mailing_id, batch_size=2, max_batches=1
        )
        assert written == 2
        # ... and one started again from the very beginning, beside it: nothing twice.
        await pool.execute("UPDATE update_mailings SET reached = NULL WHERE id = $1", mailing_id)
        assert (
            await fan_out_mailing(
                pool, queue, tokens, clock, mailing_id, batch_size=2, max_batches=1
            )
            == 0
        )
        # The sweeper finds the stalled fan-out once it has been silent a while.
        assert await resume_stalled_mailings(pool, queue, clock) == 0
        clock.advance(STALLED_AFTER * 2)
        assert await resume_stalled_mailings(pool, queue, clock) == 1
    finally:
        await queue_pool.aclose()

    await drain()
    assert [len(smtp.to(reader)) for reader in readers] == [1] * 5
    assert len(await update_deliveries(pool, event_id)) == 5
    mailing = await pool.fetchrow(
        "SELECT status, emails FROM update_mailings WHERE id = $1", mailing_id
    )
    assert mailing is not None
    assert dict(mailing) == {"status": "done", "emails": 5}


async def test_a_temporary_refusal_is_retried_and_the_update_arrives_once(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    case = await make_case(pool)
    reader = await make_signer(pool, case.action_slugs[0])
    event_id = await add_event(pool, case.id, EN_FR)
    smtp.script.append("451 4.3.0 Mailbox busy, try again later")

    assert await send(campaigner, case, event_id) == 303
    await drain()
    assert len(smtp.to(reader)) == 1
    [row] = await update_deliveries(pool, event_id)
    assert (row["status"], row["attempts"]) == ("sent", 2)


async def test_texts_go_only_to_numbers_that_agreed_and_did_not_stop(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    twilio: TwilioRecord,
    drain: Drain,
    campaigner: Campaigner,
    settings: Settings,
    clock: FakeClock,
) -> None:
    case = await make_case(pool)
    agreed, stopped, stops_later, no_consent = (unique_phone() for _n in range(4))
    await make_signer(pool, case.action_slugs[0], locale="fr", sms=True, phone=agreed)
    await make_signer(pool, case.action_slugs[0], sms=True, phone=stopped)
    await make_signer(pool, case.action_slugs[0], sms=True, phone=stops_later)
    await make_signer(pool, case.action_slugs[0], phone=no_consent)
    tokens = Tokens(TEST_SECRET)
    async with pool.acquire() as conn:
        await recipients.opt_out_phone(conn, tokens.phone_key(stopped), datetime.now(UTC))
    event_id = await add_event(pool, case.id, EN_FR)

    page = await campaigner.client.get(f"/admin/cases/{case.id}/updates")
    assert "This will email 4 supporters." in page.text
    assert "It will also text 2 supporters." in page.text

    assert await send(campaigner, case, event_id) == 303
    await fan_out_now(pool, settings, clock, event_id)
    # STOP arrives after the fan-out, before the text goes: it is not sent.
    async with pool.acquire() as conn:
        await recipients.opt_out_phone(conn, tokens.phone_key(stops_later), datetime.now(UTC))
    await drain()

    [text] = twilio.to(agreed)
    assert "Ana est libre" in text.body
    assert f"/fr/cases/{case.slug}" in text.body
    assert text.status_callback is not None
    assert twilio.to(stopped) == []
    assert twilio.to(stops_later) == []
    assert twilio.to(no_consent) == []
    texts = [row for row in await update_deliveries(pool, event_id) if row["channel"] == "sms"]
    assert sorted((row["status"], row["last_error"]) for row in texts) == [
        ("failed", "the number texted STOP"),
        ("sent", None),
    ]


async def test_the_page_shows_languages_counts_and_progress(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    case = await make_case(pool)
    for locale in ("fr", "fr", "ar"):
        await make_signer(pool, case.action_slugs[0], locale=locale)
    event_id = await add_event(pool, case.id, EN_FR)
    path = f"/admin/cases/{case.id}/updates"

    page = await campaigner.client.get(path)
    assert page.status_code == 200
    assert "Ana is free" in page.text
    assert "Translated" in page.text
    assert "Not translated: they will receive it in English" in page.text
    assert "This will email 3 supporters." in page.text
    assert "Refresh" not in page.headers

    assert await send(campaigner, case, event_id) == 303
    sending = await campaigner.client.get(path)
    assert sending.headers["Refresh"] == f"5; url={path}"
    assert "Send to supporters" not in sending.text

    await drain()
    done = await campaigner.client.get(path)
    assert "Refresh" not in done.headers
    assert "Progress of this send" in done.text
    assert "100%" in done.text


async def test_an_unticked_box_is_an_error_tied_to_it(
    client: httpx.AsyncClient, pool: Pool, campaigner: Campaigner
) -> None:
    case = await make_case(pool)
    await make_signer(pool, case.action_slugs[0])
    event_id = await add_event(pool, case.id, EN_FR)
    answer = await campaigner.post(f"/admin/cases/{case.id}/updates/{event_id}/send")
    assert answer.status_code == 422
    assert f'aria-invalid="true" aria-describedby="confirm-{event_id}-error"' in answer.text
    assert (
        await pool.fetchval("SELECT count(*) FROM update_mailings WHERE event_id = $1", event_id)
        == 0
    )


async def test_unpublished_events_notes_and_replies_are_not_sent(
    client: httpx.AsyncClient, pool: Pool, campaigner: Campaigner
) -> None:
    case = await make_case(pool)
    await make_signer(pool, case.action_slugs[0])
    draft = await add_event(pool, case.id, EN_FR, published=False)
    note = await add_event(pool, case.id, EN_FR, kind="note")
    assert await send(campaigner, case, draft) == 409
    assert await send(campaigner, case, note) == 409
    assert await send(campaigner, case, 999999999) == 404
    other = await make_case(pool)
    elsewhere = await add_event(pool, other.id, EN_FR)
    assert await send(campaigner, case, elsewhere) == 404, "another case's event"
    page = await campaigner.client.get(f"/admin/cases/{case.id}/updates")
    assert "Publish this update on the case&#39;s timeline before sending it." in page.text


async def test_a_viewer_sees_the_page_but_no_button(
    client: httpx.AsyncClient, asgi_app: ASGIApp, pool: Pool
) -> None:
    case = await make_case(pool)
    await add_event(pool, case.id, EN_FR)
    viewer = await signed_in(asgi_app, pool, Role.VIEWER)
    try:
        page = await viewer.client.get(f"/admin/cases/{case.id}/updates")
    finally:
        await viewer.client.aclose()
    assert page.status_code == 200
    assert "Ana is free" in page.text
    assert "Send to supporters" not in page.text


async def test_an_outcome_names_itself_in_the_readers_language(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    case = await make_case(pool)
    reader = await make_signer(pool, case.action_slugs[0])
    event_id = await add_event(
        pool, case.id, {"en": ("", "She was released on bail.")}, kind="outcome", outcome="released"
    )
    assert await send(campaigner, case, event_id) == 303
    await drain()
    [message] = smtp.to(reader)
    assert message["Subject"].endswith(": Released")
    assert "Outcome: Released" in text_of(message)
