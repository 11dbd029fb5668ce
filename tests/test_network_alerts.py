"""Alerting the network through the front door: a campaigner publishes an action and every
member it matches hears of it once, in the first language they read that it has, as often as
they asked; the campaigner can delay the alert or skip it, sees whom it would reach and its
progress; a fan-out cut short resumes and alerts nobody twice; pausing the action's letters
holds its alerts. And the one-click act each alert carries: shown on GET, signed on POST,
once, for its member only, while the action is open."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import httpx
import pytest
import redis.asyncio

from campaign_engine import jobs
from campaign_engine.db.network.alerts import count_alert_outcomes
from campaign_engine.db.pool import Pool
from campaign_engine.dev.demo import load_demo
from campaign_engine.domain.network.alerts import (
    STALLED_AFTER,
    fan_out_alert,
    resume_stalled_alerts,
    start_due_alerts,
)
from campaign_engine.domain.network.weekly import (
    WEEK,
    make_weekly_emails,
    week_just_ended,
    week_name,
)
from campaign_engine.i18n import Catalogues
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from tests.clock import FakeClock
from tests.conftest import Drain
from tests.factories import link_path, make_action
from tests.smtp import RecordingHandler
from tests.staff import Campaigner
from tests.supporter_updates import add_event
from tests.test_network import join_form, member_path, member_state, new_address
from tests.twilio import TwilioRecord

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# make_action's case: in Mexico, about arbitrary detention.
EVERYWHERE: dict[str, str | list[str]] = {"country": [], "theme": [], "frequency": "every"}


async def join(
    client: httpx.AsyncClient,
    smtp: RecordingHandler,
    drain: Drain,
    **choices: str | list[str],
) -> str:
    """A member who joined through the form and said yes through the email; their address."""
    email = new_address()
    form = join_form(email, **{**EVERYWHERE, "language_2": "", **choices})
    assert (await client.post("/fr/network", data=form)).status_code == 200
    await drain()
    (mail,) = smtp.to(email)
    said_yes = await client.post(member_path(mail), data=form)
    assert said_yes.status_code == 200
    smtp.reset()
    return email


def alerts_to(smtp: RecordingHandler, email: str) -> list[EmailMessage]:
    return [m for m in smtp.to(email) if "/act/" in text_of(m)]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


def act_path(message: EmailMessage) -> str:
    return link_path(message, "/act/")


async def publish(campaigner: Campaigner, slug: str) -> None:
    answer = await campaigner.post(f"/admin/actions/{slug}/publish")
    assert answer.status_code == 303, answer.text


async def alert_row(pool: Pool, slug: str) -> dict[str, object]:
    row = await pool.fetchrow(
        "SELECT n.* FROM network_alerts n JOIN actions a ON a.id = n.action_id WHERE a.slug = $1",
        slug,
    )
    assert row is not None
    return dict(row)


async def test_publishing_alerts_each_matching_member_once_in_their_language(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
    settings: Settings,
) -> None:
    reads_arabic_then_french = await join(client, smtp, drain, language_1="ar", language_2="fr")
    reads_russian = await join(client, smtp, drain, language_1="ru")
    mexico_and_theme = await join(
        client, smtp, drain, language_1="es", country=["MX"], theme=["arbitrary_detention"]
    )
    only_mali = await join(client, smtp, drain, language_1="en", country=["ML"])
    only_death_penalty = await join(client, smtp, drain, language_1="en", theme=["death_penalty"])
    weekly = await join(client, smtp, drain, language_1="en", frequency="weekly")

    slug = await make_action(pool, status="draft", locales=("en", "fr", "es"))
    await publish(campaigner, slug)
    await drain()

    (arabic_reader,) = alerts_to(smtp, reads_arabic_then_french)
    assert arabic_reader["Content-Language"] == "fr", "the first of theirs the action has"
    assert "List-Unsubscribe=One-Click" in str(arabic_reader["List-Unsubscribe-Post"])
    assert "/network/" in str(arabic_reader["List-Unsubscribe"])
    (spanish_reader,) = alerts_to(smtp, mexico_and_theme)
    assert spanish_reader["Content-Language"] == "es"
    assert f"/es/actions/{slug}" in text_of(spanish_reader)
    assert f"/es/actions/{slug}/case-sheet.pdf" in text_of(spanish_reader), "to print and post"
    for nobody in (reads_russian, only_mali, only_death_penalty, weekly):
        assert alerts_to(smtp, nobody) == []

    # However often it is asked again, nobody hears of it twice.
    assert (await campaigner.post(f"/admin/actions/{slug}/publish")).status_code == 409
    action_id = await pool.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
    await pool.execute(
        "UPDATE network_alerts SET status = 'fanning_out', reached = NULL WHERE action_id = $1",
        action_id,
    )
    await fan_out_now(pool, settings, action_id)
    await drain()
    assert len(alerts_to(smtp, reads_arabic_then_french)) == 1
    assert (await alert_row(pool, slug))["status"] == "done"

    # The mail program's "Unsubscribe": a page with the button if it opens the link, out in
    # one click if it posts to it (RFC 8058).
    leave = (
        str(spanish_reader["List-Unsubscribe"]).strip("<>").removeprefix(settings.public_base_url)
    )
    page = await client.get(leave)
    assert page.status_code == 200
    assert 'lang="es"' in page.text
    assert f'action="{leave}"' in page.text
    one_click = await client.post(leave, content=b"List-Unsubscribe=One-Click", headers=FORM)
    assert one_click.status_code == 200
    assert (await member_state(pool, mexico_and_theme) or {})["status"] == "left"


async def fan_out_now(pool: Pool, settings: Settings, action_id: int) -> int:
    assert settings.redis_url is not None
    queue_pool = await jobs.connect(settings.redis_url)
    try:
        return await fan_out_alert(pool, jobs.JobQueue(queue_pool), FakeClock(), action_id)
    finally:
        await queue_pool.aclose()


async def test_a_weekly_cap_holds_back_alerts_past_it(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    once_a_week = await join(
        client, smtp, drain, language_1="en", frequency="capped", weekly_cap="1"
    )
    every = await join(client, smtp, drain, language_1="en")
    for _n in range(2):
        await publish(campaigner, await make_action(pool, status="draft", locales=("en",)))
        await drain()
    assert len(alerts_to(smtp, once_a_week)) == 1
    assert len(alerts_to(smtp, every)) == 2


async def test_the_campaigner_can_delay_the_alert_or_skip_it(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
    clock: FakeClock,
    settings: Settings,
) -> None:
    member = await join(client, smtp, drain, language_1="en")
    skipped = await make_action(pool, status="draft", locales=("en",))
    assert (
        await campaigner.post(f"/admin/actions/{skipped}/alert", {"when": "none"})
    ).status_code == 303
    await publish(campaigner, skipped)
    assert (await alert_row(pool, skipped))["status"] == "skipped"

    later = await make_action(pool, status="draft", locales=("en",))
    wrong = await campaigner.post(f"/admin/actions/{later}/alert", {"when": "later", "hours": "0"})
    assert wrong.status_code == 422
    assert "from 1 to 168" in wrong.text
    answer = await campaigner.post(f"/admin/actions/{later}/alert", {"when": "later", "hours": "2"})
    assert answer.status_code == 303
    page = await campaigner.client.get(f"/admin/actions/{later}/alert")
    assert 'id="when-later" name="when" value="later" checked' in page.text
    await publish(campaigner, later)
    assert (await alert_row(pool, later))["status"] == "due"
    too_late = await campaigner.post(f"/admin/actions/{later}/alert", {"when": "now"})
    assert too_late.status_code == 409
    opened_before = await make_action(pool)  # open, with no alert planned: none is made now
    refused = await campaigner.post(f"/admin/actions/{opened_before}/alert", {"when": "now"})
    assert refused.status_code == 409
    page = await campaigner.client.get(f"/admin/actions/{opened_before}/alert")
    assert "The action opened without alerting the network." in page.text

    await drain()
    assert alerts_to(smtp, member) == [], "neither the skipped one nor the delayed one yet"
    assert settings.redis_url is not None
    queue_pool = await jobs.connect(settings.redis_url)
    try:
        queue = jobs.JobQueue(queue_pool)
        assert await start_due_alerts(pool, queue, clock) == 0
        clock.advance(timedelta(hours=2, minutes=1))
        assert await start_due_alerts(pool, queue, clock) >= 1
    finally:
        await queue_pool.aclose()
    await drain()
    (alert,) = alerts_to(smtp, member)
    assert f"/en/actions/{later}" in text_of(alert)


async def test_a_fan_out_cut_short_resumes_and_alerts_nobody_twice(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
    settings: Settings,
    redis_client: redis.asyncio.Redis,
    clock: FakeClock,
) -> None:
    members = [await join(client, smtp, drain, language_1="en") for _n in range(3)]
    slug = await make_action(pool, status="draft", locales=("en",))
    await publish(campaigner, slug)
    await redis_client.flushdb()  # the fan-out's job is lost with Redis
    action_id = await pool.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
    assert settings.redis_url is not None
    queue_pool = await jobs.connect(settings.redis_url)
    queue = jobs.JobQueue(queue_pool)
    try:
        await fan_out_alert(pool, queue, clock, action_id, batch_size=1, max_batches=1)
        assert (await alert_row(pool, slug))["status"] == "fanning_out"
        clock.advance(STALLED_AFTER * 2)
        assert await resume_stalled_alerts(pool, queue, clock) >= 1
    finally:
        await queue_pool.aclose()
    await drain()
    assert [len(alerts_to(smtp, member)) for member in members] == [1, 1, 1]
    assert (await alert_row(pool, slug))["status"] == "done"


async def test_pausing_the_actions_letters_holds_its_alerts(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    member = await join(client, smtp, drain, language_1="en")
    slug = await make_action(pool, status="draft", locales=("en",))
    assert (await campaigner.post(f"/admin/actions/{slug}/letters/pause")).status_code == 303
    await publish(campaigner, slug)
    await drain()
    assert alerts_to(smtp, member) == []
    assert (await campaigner.post(f"/admin/actions/{slug}/letters/resume")).status_code == 303
    await pool.execute(
        "UPDATE deliveries SET next_attempt_at = now() - interval '1 hour'"
        " WHERE kind = 'network_alert' AND action_id = (SELECT id FROM actions WHERE slug = $1)",
        slug,
    )
    await drain()
    assert len(alerts_to(smtp, member)) == 1


async def test_the_alert_page_shows_whom_it_would_reach_and_its_progress(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    slug = await make_action(pool, status="draft", locales=("en", "ar"))
    before = await campaigner.client.get(f"/admin/actions/{slug}/alert")
    assert before.status_code == 200
    arabic_before = _members_in(before.text, "Arabic")
    reach_before = {why: _reach(before.text, why) for why in WHY}
    await join(client, smtp, drain, language_1="ar")
    await join(client, smtp, drain, language_1="en", country=["MX"])
    await join(client, smtp, drain, language_1="en", region=["013"])
    page = await campaigner.client.get(f"/admin/actions/{slug}/alert")
    assert _members_in(page.text, "Arabic") == arabic_before + 1
    assert {why: _reach(page.text, why) for why in WHY} == {
        why: count + 1 for why, count in reach_before.items()
    }, "one more following Mexico, its region, and anywhere"
    assert 'name="when"' in page.text

    await publish(campaigner, slug)
    await drain()
    network = await campaigner.client.get("/admin/network")
    assert 'id="figure-acted"' in network.text
    done = await campaigner.client.get(f"/admin/actions/{slug}/alert")
    assert "Progress of this alert" in done.text
    assert 'name="when"' not in done.text, "the plan is past changing"


# Why members match make_action's case: Mexico, Central America (UN M.49 013), or anywhere.
WHY = ("They follow Mexico", "They follow Central America", "They follow cases anywhere")


def _reach(page: str, why: str) -> int:
    found = re.search(rf"<td>{why}</td><td class=\"number\">([\d,]+)</td>", page)
    return int(found.group(1).replace(",", "")) if found else 0


def _members_in(page: str, language: str) -> int:
    found = re.search(rf"<td>{language}</td><td>Email</td><td class=\"number\">([\d,]+)</td>", page)
    return int(found.group(1).replace(",", "")) if found else 0


@pytest.fixture
async def alerted(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> tuple[str, str, str]:
    """(a member, the action they were alerted to, the alert's act link)."""
    member = await join(client, smtp, drain, language_1="fr")
    slug = await make_action(pool, status="draft", locales=("en", "fr"))
    await publish(campaigner, slug)
    await drain()
    (alert,) = alerts_to(smtp, member)
    return member, slug, act_path(alert)


async def confirmed_count(pool: Pool, slug: str) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM signatures s JOIN actions a ON a.id = s.action_id"
        " WHERE a.slug = $1 AND s.status = 'confirmed'",
        slug,
    )
    return count


async def test_one_click_shows_on_get_and_signs_once_on_post(
    client: httpx.AsyncClient, pool: Pool, alerted: tuple[str, str, str]
) -> None:
    _member, slug, act = alerted
    shown = await client.get(act)
    assert shown.status_code == 200
    assert 'lang="fr"' in shown.text
    assert 'name="name"' in shown.text
    assert await confirmed_count(pool, slug) == 0, "a GET never signs"

    nameless = await client.post(act, data={"name": "", "country": "FR"})
    assert nameless.status_code == 422
    assert await confirmed_count(pool, slug) == 0

    signed = await client.post(act, data={"name": "Awa Traoré", "country": "FR"})
    assert signed.status_code == 303
    assert signed.headers["location"] == f"/fr/actions/{slug}/thanks"
    assert await confirmed_count(pool, slug) == 1
    counter = await client.get(f"/fr/actions/{slug}")
    assert "1" in counter.text

    again = await client.post(act, data={"name": "Awa Traoré", "country": "FR"})
    assert again.status_code == 200
    assert await confirmed_count(pool, slug) == 1, "single use"
    shown_again = await client.get(act)
    assert 'name="name"' not in shown_again.text, "the page says they signed"

    # The network's page counts it among what the alerts brought, from the signature itself.
    async with pool.acquire() as conn:
        outcomes = await count_alert_outcomes(conn, datetime.now(UTC) - timedelta(minutes=5))
    assert outcomes.acted >= 1
    assert outcomes.alerted >= outcomes.acted
    assert outcomes.median_to_act is not None


async def test_one_click_refuses_a_forged_link_a_closed_action_and_a_departed_member(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
    alerted: tuple[str, str, str],
) -> None:
    member, slug, act = alerted
    forged = act[:-3] + ("AAA" if not act.endswith("AAA") else "BBB")
    assert (await client.get(forged)).status_code == 404
    assert (await client.post(forged, data={"name": "X", "country": "FR"})).status_code == 404

    assert (await campaigner.post(f"/admin/actions/{slug}/close")).status_code == 303
    closed = await client.post(act, data={"name": "Awa", "country": "FR"})
    assert closed.status_code == 410
    assert await confirmed_count(pool, slug) == 0

    other = await make_action(pool, status="draft", locales=("fr",), default_locale="fr")
    await publish(campaigner, other)
    await drain()
    alert = next(m for m in alerts_to(smtp, member) if other in text_of(m))
    page = await client.get(member_path(alert))
    leave = re.search(r'action="(/network/[^"]+/leave)"', page.text)
    assert leave is not None
    assert (await client.post(leave.group(1))).status_code == 200
    departed = await client.post(act_path(alert), data={"name": "Awa", "country": "FR"})
    assert departed.status_code == 410
    assert await confirmed_count(pool, other) == 0


async def test_the_demo_network_hears_of_the_demo_draft_in_its_languages(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
    settings: Settings,
    twilio: TwilioRecord,
) -> None:
    """`make dev`'s network: publishing the second demo action alerts each member in the first
    of their languages it has, and nobody who reads none of them or chose a weekly email."""
    catalogues = Catalogues(settings.locales_dir)
    await load_demo(pool, catalogues, Tokens(settings.secret_key))
    await load_demo(pool, catalogues, Tokens(settings.secret_key))
    await pool.execute("UPDATE actions SET status = 'draft' WHERE slug = 'demo-hearing'")
    await pool.execute(
        "UPDATE network_alerts SET status = 'planned', reached = NULL WHERE action_id ="
        " (SELECT id FROM actions WHERE slug = 'demo-hearing')"
    )
    await pool.execute(
        "DELETE FROM deliveries WHERE kind = 'network_alert' AND action_id ="
        " (SELECT id FROM actions WHERE slug = 'demo-hearing')"
    )
    await publish(campaigner, "demo-hearing")
    await drain()
    # Planned as urgent: Amina, whose number said YES, reads it in /dev/sms too, in Arabic.
    texted = twilio.to("+61491570156")
    assert len(texted) == 1
    assert "UA 118/26" in texted[0].body
    assert "/act/" in texted[0].body
    languages = {
        email: [
            m["Content-Language"] for m in alerts_to(smtp, email) if "demo-hearing" in text_of(m)
        ]
        for email in (
            "amina@example.org",
            "li.wei@example.org",
            "sofia@example.org",
            "camille@example.org",
            "oleg@example.org",
            "jo@example.org",
        )
    }
    assert languages == {
        "amina@example.org": ["ar"],
        "li.wei@example.org": ["zh-Hans"],
        "sofia@example.org": ["en"],
        "camille@example.org": ["fr"],
        "oleg@example.org": [],
        "jo@example.org": [],
    }


def test_the_weekly_email_tells_of_the_week_that_ended_on_monday_morning() -> None:
    sunday_night = datetime(2026, 12, 13, 23, 0, tzinfo=UTC)
    monday_early = datetime(2026, 12, 14, 7, 59, tzinfo=UTC)
    monday_sent = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)
    last_monday = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert week_just_ended(sunday_night) == (last_monday - WEEK, last_monday)
    assert week_just_ended(monday_early) == (last_monday - WEEK, last_monday)
    assert week_just_ended(monday_sent) == (last_monday, monday_sent)
    assert week_name(last_monday) == "2026-W50"


async def test_a_member_who_chose_a_weekly_email_gets_the_weeks_actions_once(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
    settings: Settings,
    clock: FakeClock,
) -> None:
    weekly = await join(client, smtp, drain, language_1="ar", language_2="en", frequency="weekly")
    slug = await make_action(pool, status="draft", locales=("en", "fr"))
    await publish(campaigner, slug)
    await drain()
    assert alerts_to(smtp, weekly) == [], "no alert of its own"

    _start, end = week_just_ended(clock.now() + WEEK)
    clock.advance_to(end + timedelta(minutes=1))
    assert settings.redis_url is not None
    queue_pool = await jobs.connect(settings.redis_url)
    try:
        queue = jobs.JobQueue(queue_pool)
        assert await make_weekly_emails(pool, queue, clock) >= 1
        assert await make_weekly_emails(pool, queue, clock) == 0, "once a week"
    finally:
        await queue_pool.aclose()
    await drain()
    (email,) = alerts_to(smtp, weekly)
    assert email["Content-Language"] == "ar", "the words around: their first language"
    assert f"/en/actions/{slug}" in text_of(email), "the action: the first of theirs it has"
    assert "This week" not in str(email["Subject"]), "in Arabic"
    act = next(link_path(email, "/act/") for _ in [0] if f"/en/actions/{slug}" in text_of(email))
    assert (await client.get(act)).status_code == 200


async def test_news_of_the_case_reaches_the_members_alerted_to_it(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
    settings: Settings,
) -> None:
    """An update or an outcome goes to the members who were alerted to one of the case's
    actions, signers or not, in their language, with the way out of the network; not to a
    member the alert did not reach, nor to one who left since."""
    alerted = await join(client, smtp, drain, language_1="fr")
    left_since = await join(client, smtp, drain, language_1="fr")
    not_alerted = await join(client, smtp, drain, language_1="fr", country=["ML"])
    slug = await make_action(pool, status="draft", locales=("en", "fr"))
    await publish(campaigner, slug)
    await drain()
    (alert,) = alerts_to(smtp, left_since)
    leave = str(alert["List-Unsubscribe"]).strip("<>").removeprefix(settings.public_base_url)
    assert (await client.post(leave)).status_code == 200
    smtp.reset()

    case_id = await pool.fetchval("SELECT case_id FROM actions WHERE slug = $1", slug)
    event_id = await add_event(
        pool, case_id, {"en": ("Released", "She is free."), "fr": ("Libérée", "Elle est libre.")}
    )
    sent = await campaigner.post(
        f"/admin/cases/{case_id}/updates/{event_id}/send", {"confirm": "yes"}
    )
    assert sent.status_code == 303
    await drain()
    (news,) = smtp.to(alerted)
    assert news["Content-Language"] == "fr"
    assert "Libérée" in str(news["Subject"])
    assert "/network/" in str(news["List-Unsubscribe"]), "a member's way out: the network's"
    assert smtp.to(left_since) == []
    assert smtp.to(not_alerted) == []


async def test_a_member_may_follow_regions_of_the_world_beside_countries(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    """Mexico lies in Central America (UN M.49's 013): a member of that region hears of its
    cases; one of Southern Europe does not; one who chose Mali and Central America does."""
    central_america = await join(client, smtp, drain, language_1="en", region=["013"])
    southern_europe = await join(client, smtp, drain, language_1="en", region=["039"])
    either = await join(client, smtp, drain, language_1="en", country=["ML"], region=["013"])
    state = await member_state(pool, either)
    assert state is not None
    assert (state["countries"], state["regions"]) == (["ML"], ["013"])
    slug = await make_action(pool, status="draft", locales=("en",))
    await publish(campaigner, slug)
    await drain()
    assert [len(alerts_to(smtp, m)) for m in (central_america, southern_europe, either)] == [
        1,
        0,
        1,
    ]
    wrong = await client.post(
        "/en/network", data=join_form(new_address(), region=["999"], language_2="")
    )
    assert wrong.status_code == 422


async def test_one_click_over_a_signature_someone_else_typed_signs_with_the_members_words(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    """Someone signs the action with the member's address (a robot: the hidden field filled,
    a phone and every box ticked). The member's one-click act does not confirm those words:
    it replaces them with its own, drops the boxes, then counts."""
    member = await join(client, smtp, drain, language_1="en")
    slug = await make_action(pool, status="draft", locales=("en",))
    await publish(campaigner, slug)
    await drain()
    (alert,) = alerts_to(smtp, member)
    typed = {
        "name": "Mallory Bot",
        "email": member,
        "country": "RU",
        "phone": "+33612345678",
        "comment": "Not my words.",
        "consent_sms": "yes",
        "consent_updates": "yes",
        "website": "filled",
    }
    assert (await client.post(f"/en/actions/{slug}/sign", data=typed)).status_code == 303
    signed = await client.post(act_path(alert), data={"name": "Ana Member", "country": "FR"})
    assert signed.status_code == 303
    row = await pool.fetchrow(
        """SELECT s.id, s.status, s.country, s.suspicion, d.phone_sealed IS NULL AS no_phone,
                  d.comment_sealed IS NULL AS no_comment
           FROM signatures s JOIN actions a ON a.id = s.action_id
           JOIN signer_details d ON d.signature_id = s.id WHERE a.slug = $1""",
        slug,
    )
    assert row is not None
    assert (row["status"], row["country"], row["suspicion"]) == ("confirmed", "FR", None)
    assert row["no_phone"]
    assert row["no_comment"]
    ticked = await pool.fetchval(
        "SELECT count(*) FROM consent_records WHERE signature_id = $1", row["id"]
    )
    assert ticked == 0, "the boxes someone else ticked count for nothing"
    assert await confirmed_count(pool, slug) == 1


async def test_a_member_who_unsubscribed_from_updates_hears_no_more_of_the_case(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    """Alerted to a case and signed it with the updates box ticked, a member unsubscribes from
    an update in one click: the next one does not reach them through the network instead."""
    member = await join(client, smtp, drain, language_1="en")
    slug = await make_action(pool, status="draft", locales=("en",))
    await publish(campaigner, slug)
    await drain()
    (alert,) = alerts_to(smtp, member)
    signed = await client.post(act_path(alert), data={"name": "Ana", "country": "FR"})
    assert signed.status_code == 303
    supporter_id = (await member_state(pool, member) or {})["supporter_id"]
    # Their updates box, as the signing form keeps it with a signature.
    await pool.execute(
        """WITH text AS (
               INSERT INTO consent_texts (scope, locale, digest, text)
               VALUES ('updates', 'en', md5(random()::text), 'Keep me informed.') RETURNING id
           )
           INSERT INTO consent_records (supporter_id, signature_id, scope, granted,
                                        consent_text_id, source)
           SELECT $1, s.id, 'updates', true, text.id, 'form' FROM signatures s, text
           WHERE s.supporter_id = $1""",
        supporter_id,
    )
    smtp.reset()
    case_id = await pool.fetchval("SELECT case_id FROM actions WHERE slug = $1", slug)
    first = await add_event(pool, case_id, {"en": ("News", "Some news.")})
    await campaigner.post(f"/admin/cases/{case_id}/updates/{first}/send", {"confirm": "yes"})
    await drain()
    (news,) = smtp.to(member)
    out = str(news["List-Unsubscribe"]).strip("<>").split("testserver", 1)[1]
    assert out.startswith("/unsubscribe/"), "a signer who asked for updates: the updates' way out"
    assert (
        await client.post(out, content=b"List-Unsubscribe=One-Click", headers=FORM)
    ).status_code == 200
    smtp.reset()
    second = await add_event(pool, case_id, {"en": ("More", "More news.")})
    await campaigner.post(f"/admin/cases/{case_id}/updates/{second}/send", {"confirm": "yes"})
    await drain()
    assert smtp.to(member) == []
