"""Alerts by text, through the front door: a member gives a number on their page; nothing but
one text asking for a YES goes to it, and only its YES makes it theirs to text (double opt-in
by text, its consent recorded); the campaigner's urgent alerts then go to it too, and a YES
(in French, Arabic, Chinese…) signs the alert's action with the member's last name and
country; STOP stops it; leaving forgets the number."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from campaign_engine.db.pool import Pool
from tests.conftest import Drain
from tests.factories import make_action
from tests.smtp import RecordingHandler
from tests.staff import Campaigner
from tests.test_network import member_path, member_state
from tests.test_network_alerts import act_path, alerts_to, join, publish
from tests.test_replies import text_us
from tests.twilio import TwilioRecord

# A fixed line in Paris: a valid number, but never texted.
PARIS_OFFICE = "+33142685300"


def new_number() -> str:
    return f"+3366{uuid.uuid4().int % 10**7:07d}"


async def member_with_texts(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    twilio: TwilioRecord,
    language: str,
    yes: str,
) -> tuple[str, str, str]:
    """(address, number, their page) of a member reading `language`, whose number answered
    `yes`."""
    email, page = await member_and_page(client, smtp, drain, language)
    number = new_number()
    saved = await client.post(page, data=preferences(language, texts="yes", phone=number))
    assert saved.status_code == 200, saved.text
    await drain()
    (asked,) = twilio.to(number)
    assert "OUI" in asked.body, "in the language of their page (they joined in French)"
    # Any of our languages' YES will do.
    answered = await text_us(client, number, yes.lower() + "!", f"SM-{uuid.uuid4().hex}")
    assert answered.status_code == 200
    assert (await member_state(pool, email) or {})["texts"] == "active"
    return email, number, page


async def member_and_page(
    client: httpx.AsyncClient, smtp: RecordingHandler, drain: Drain, language: str
) -> tuple[str, str]:
    """(address, their own page) of a new member: asking to join again, an active member is
    sent the link to their page."""
    email = await join(client, smtp, drain, language_1=language)
    form = {"email": email, "language_1": "en", "consent_network": "yes", "frequency": "every"}
    assert (await client.post("/en/network", data=form)).status_code == 200
    await drain()
    (mail,) = smtp.to(email)
    return email, member_path(mail)


def preferences(language: str, **more: str) -> dict[str, str | list[str]]:
    return {"language_1": language, "frequency": "every", **more}


async def plan_by_text(campaigner: Campaigner, slug: str) -> None:
    answer = await campaigner.post(
        f"/admin/actions/{slug}/alert", data={"when": "now", "by_text": "yes"}
    )
    assert answer.status_code == 303, answer.text


async def signature_of(pool: Pool, slug: str, email: str) -> dict[str, object] | None:
    state = await member_state(pool, email)
    assert state is not None
    row = await pool.fetchrow(
        "SELECT s.status, s.source, s.country, s.locale FROM signatures s"
        " JOIN actions a ON a.id = s.action_id WHERE a.slug = $1 AND s.supporter_id = $2",
        slug,
        state["supporter_id"],
    )
    return None if row is None else dict(row)


async def test_a_number_is_texted_once_and_is_theirs_only_after_its_yes(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    twilio: TwilioRecord,
) -> None:
    email, page = await member_and_page(client, smtp, drain, "fr")
    number = new_number()
    nothing_typed = await client.post(page, data=preferences("fr", texts="yes"))
    assert nothing_typed.status_code == 422
    assert 'lang="fr"' in nothing_typed.text
    not_a_number = await client.post(page, data=preferences("fr", texts="yes", phone="12"))
    assert not_a_number.status_code == 422
    landline = await client.post(page, data=preferences("fr", texts="yes", phone=PARIS_OFFICE))
    assert landline.status_code == 422, "a number the sender would never text"

    saved = await client.post(page, data=preferences("fr", texts="yes", phone=number))
    assert saved.status_code == 200
    assert number[-2:] in saved.text
    assert number not in saved.text, "the page shows the last digits only"
    await drain()
    (asked,) = twilio.to(number)
    assert "OUI" in asked.body
    state = await member_state(pool, email)
    assert state is not None
    assert state["texts"] == "pending"
    sealed = state["phone_sealed"]
    assert isinstance(sealed, bytes)
    assert number.encode() not in sealed, "sealed at rest"

    # Another number's YES changes nothing; the number's own makes it theirs, once.
    stranger = await text_us(client, new_number(), "OUI", "SM-stranger")
    assert stranger.status_code == 200
    assert (await member_state(pool, email) or {})["texts"] == "pending"
    said_yes = await text_us(client, number, " Oui. ", "SM-oui")
    assert "<Message>" in said_yes.text
    assert "merci" in said_yes.text.lower()
    assert (await member_state(pool, email) or {})["texts"] == "active"
    await drain()
    told = smtp.to(email)[-1]
    assert number[-2:] in str(told.get_body(preferencelist=("plain",)))
    assert told["Content-Language"] == "fr", "the email says texts now go to the number"
    consents = await pool.fetch(
        "SELECT r.granted, r.source, t.locale FROM consent_records r"
        " JOIN consent_texts t ON t.id = r.consent_text_id"
        " WHERE r.supporter_id = $1 AND r.scope = 'network_texts'",
        state["supporter_id"],
    )
    assert [(c["granted"], c["source"], c["locale"]) for c in consents] == [
        (True, "network_text", "fr")
    ]
    page_now = await client.get(page)
    assert number[-2:] in page_now.text

    # However often a member types numbers, a stranger's phone hears from us at most thrice
    # a day.
    for _ in range(3):
        await client.post(page, data=preferences("fr", texts="yes", phone=new_number()))
    too_many = await client.post(page, data=preferences("fr", texts="yes", phone=new_number()))
    assert too_many.status_code == 200
    assert "demain" in too_many.text
    await drain()
    asked_today = await pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE kind = 'network_texts' AND supporter_id = $1",
        state["supporter_id"],
    )
    assert asked_today == 3

    # Stopping texts forgets the number and withdraws the consent on the record.
    stopped = await client.post(page, data=preferences("fr"))
    assert stopped.status_code == 200
    after = await member_state(pool, email)
    assert after is not None
    assert (after["texts"], after["phone_sealed"], after["phone_key"]) == ("none", None, None)


@pytest.mark.parametrize(
    ("language", "yes", "thanks"),
    [("fr", "OUI", "merci"), ("ar", "نعم", "شكر"), ("zh-Hans", "是", "谢谢")],
)
async def test_an_urgent_alert_is_texted_and_a_yes_signs_it_in_the_members_language(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    twilio: TwilioRecord,
    campaigner: Campaigner,
    language: str,
    yes: str,
    thanks: str,
) -> None:
    email, number, _page = await member_with_texts(client, pool, smtp, drain, twilio, language, yes)
    # A first alert, by email only, signed through its link: the name a YES signs with.
    first = await make_action(pool, status="draft", locales=("en", language))
    await publish(campaigner, first)
    await drain()
    assert len(twilio.to(number)) == 1, "an alert not chosen as urgent goes by email only"
    (alert,) = alerts_to(smtp, email)
    signed = await client.post(act_path(alert), data={"name": "Awa Traoré", "country": "SN"})
    assert signed.status_code == 303

    urgent = await make_action(pool, status="draft", locales=("en", language))
    await plan_by_text(campaigner, urgent)
    await publish(campaigner, urgent)
    await drain()
    texted = twilio.to(number)[-1]
    assert yes in texted.body
    assert "/act/" in texted.body
    assert len(alerts_to(smtp, email)) == 2, "by email too"

    answered = await text_us(client, number, yes, f"SM-{uuid.uuid4().hex}")
    assert thanks in answered.text.lower()
    signature = await signature_of(pool, urgent, email)
    assert signature == {
        "status": "confirmed",
        "source": "network_text",
        "country": "SN",
        "locale": language,
    }
    again = await text_us(client, number, yes, f"SM-{uuid.uuid4().hex}")
    assert again.status_code == 200
    confirmed = await pool.fetchval(
        "SELECT count(*) FROM signatures s JOIN actions a ON a.id = s.action_id"
        " WHERE a.slug = $1 AND s.status = 'confirmed'",
        urgent,
    )
    assert confirmed == 1, "a second YES signs nothing more"


async def test_stop_a_member_who_never_signed_and_leaving(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    twilio: TwilioRecord,
    campaigner: Campaigner,
) -> None:
    email, number, page = await member_with_texts(client, pool, smtp, drain, twilio, "en", "YES")
    smtp.reset()

    # Never signed: the text carries the link only, and a YES says the link asks a name once.
    urgent = await make_action(pool, status="draft", locales=("en",))
    await plan_by_text(campaigner, urgent)
    shown = await campaigner.client.get(f"/admin/actions/{urgent}/alert")
    assert "gave a mobile number" in shown.text
    await publish(campaigner, urgent)
    await drain()
    texted = twilio.to(number)[-1]
    assert "Reply YES" not in texted.body
    act = re.search(r"https?://\S+(/act/\S+)", texted.body)
    assert act is not None
    assert (await client.get(act.group(1))).status_code == 200
    nameless = await text_us(client, number, "yes", f"SM-{uuid.uuid4().hex}")
    assert "asks your name once" in nameless.text
    assert await signature_of(pool, urgent, email) is None
    progress = await campaigner.client.get(f"/admin/actions/{urgent}/alert")
    assert "Text message" in progress.text

    # STOP: the number is forgotten (the texts' consent withdrawn), no alert by text goes to
    # it, and giving it again sends it nothing while it stays stopped.
    assert (await text_us(client, number, "STOP", f"SM-{uuid.uuid4().hex}")).status_code == 200
    stopped = await member_state(pool, email)
    assert stopped is not None
    assert (stopped["texts"], stopped["phone_sealed"]) == ("none", None)
    withdrawn = await pool.fetchval(
        "SELECT count(*) FROM consent_records WHERE supporter_id = $1"
        " AND scope = 'network_texts' AND NOT granted",
        stopped["supporter_id"],
    )
    assert withdrawn == 1
    before = len(twilio.to(number))
    later = await make_action(pool, status="draft", locales=("en",))
    await plan_by_text(campaigner, later)
    await publish(campaigner, later)
    await client.post(page, data=preferences("en", texts="yes", phone=number))
    await drain()
    assert len(twilio.to(number)) == before

    # Leaving forgets the number.
    leave = re.search(r'action="(/network/[^"]+/leave)"', (await client.get(page)).text)
    assert leave is not None
    assert (await client.post(leave.group(1))).status_code == 200
    state = await member_state(pool, email)
    assert state is not None
    assert (state["status"], state["texts"], state["phone_sealed"]) == ("left", "none", None)


async def test_a_yes_never_hands_a_number_to_someone_who_typed_it(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    twilio: TwilioRecord,
) -> None:
    # A number texting for one member: another who types it gets no text sent to it, and
    # its YES does not move it.
    owner, number, _page = await member_with_texts(client, pool, smtp, drain, twilio, "en", "YES")
    _stranger, stranger_page = await member_and_page(client, smtp, drain, "en")
    texts_before = len(twilio.to(number))
    typed = await client.post(stranger_page, data=preferences("en", texts="yes", phone=number))
    assert typed.status_code == 200
    assert "Si votre numéro se terminant par" in typed.text, "the same as for anyone"
    await drain()
    assert len(twilio.to(number)) == texts_before, "nothing is sent to it"
    await text_us(client, number, "YES", f"SM-{uuid.uuid4().hex}")
    assert (await member_state(pool, owner) or {})["texts"] == "active"
    assert (await member_state(pool, _stranger) or {})["texts"] == "pending"

    # A number waiting for its YES from two members goes to neither.
    first, first_page = await member_and_page(client, smtp, drain, "en")
    second, second_page = await member_and_page(client, smtp, drain, "en")
    shared = new_number()
    for page in (first_page, second_page):
        await client.post(page, data=preferences("en", texts="yes", phone=shared))
    await drain()
    answered = await text_us(client, shared, "yes", f"SM-{uuid.uuid4().hex}")
    assert "plusieurs personnes ont donné ce numéro" in answered.text
    for member in (first, second):
        state = await member_state(pool, member)
        assert state is not None
        assert (state["texts"], state["phone_sealed"]) == ("none", None)
