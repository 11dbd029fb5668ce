"""Following a case without signing, through the front door: the form on the case's page, the
email whose link says yes (shown on GET, done on POST), the case's news reaching the follower
in their language with the way to stop, and stopping in one click."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import httpx

from campaign_engine.db.pool import Pool
from tests.conftest import Drain
from tests.factories import link_path, make_action
from tests.smtp import RecordingHandler
from tests.staff import Campaigner
from tests.supporter_updates import add_event

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def address() -> str:
    return f"follower-{uuid.uuid4().hex[:10]}@example.org"


async def case_of(pool: Pool, slug: str) -> tuple[int, str]:
    row = await pool.fetchrow(
        "SELECT c.id, c.slug FROM cases c JOIN actions a ON a.case_id = c.id WHERE a.slug = $1",
        slug,
    )
    assert row is not None
    return row["id"], row["slug"]


async def follow_status(pool: Pool, case_id: int) -> list[str]:
    rows = await pool.fetch("SELECT status FROM case_followers WHERE case_id = $1", case_id)
    return [row["status"] for row in rows]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


async def test_a_follower_says_yes_from_their_mailbox_gets_the_news_and_stops_in_one_click(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    case_id, case_slug = await case_of(pool, await make_action(pool))
    page = await client.get(f"/es/cases/{case_slug}")
    assert f'action="/es/cases/{case_slug}/follow"' in page.text
    assert 'name="consent_follow"' in page.text

    email = address()
    asked = await client.post(
        f"/es/cases/{case_slug}/follow", data={"email": email, "consent_follow": "yes"}
    )
    stranger = await client.post(
        f"/es/cases/{case_slug}/follow", data={"email": address(), "consent_follow": "yes"}
    )
    assert asked.status_code == stranger.status_code == 200
    assert asked.text == stranger.text, "the same answer whoever asks"
    await drain()
    (mail,) = smtp.to(email)
    assert mail["Content-Language"] == "es"
    link = link_path(mail, "/follow/")
    shown = await client.get(link)
    assert shown.status_code == 200
    assert 'lang="es"' in shown.text
    assert await follow_status(pool, case_id) == ["pending", "pending"], "a GET changes nothing"
    assert (await client.post(link)).status_code == 200
    assert sorted(await follow_status(pool, case_id)) == ["active", "pending"]
    smtp.reset()

    news = {"en": ("Released", "She is free."), "es": ("Liberada", "Está libre.")}
    event_id = await add_event(pool, case_id, news)
    sent = await campaigner.post(
        f"/admin/cases/{case_id}/updates/{event_id}/send", {"confirm": "yes"}
    )
    assert sent.status_code == 303
    await drain()
    (update,) = smtp.to(email)
    assert "Liberada" in str(update["Subject"])
    stop = str(update["List-Unsubscribe"]).strip("<>").split("testserver", 1)[1]
    assert stop.startswith("/follow/")
    assert stop.endswith("/stop")
    assert (await client.get(stop)).status_code == 200
    stopped = await client.post(stop, content=b"List-Unsubscribe=One-Click", headers=FORM)
    assert stopped.status_code == 200
    assert sorted(await follow_status(pool, case_id)) == ["left", "pending"]
    consents = await pool.fetch(
        """SELECT r.granted FROM consent_records r JOIN supporters p ON p.id = r.supporter_id
           JOIN case_followers f ON f.supporter_id = p.id
           WHERE f.case_id = $1 AND r.scope = 'follow' ORDER BY r.id""",
        case_id,
    )
    assert [row["granted"] for row in consents] == [True, False]

    smtp.reset()
    later = await add_event(pool, case_id, {"en": ("Home", "She is home.")})
    await campaigner.post(f"/admin/cases/{case_id}/updates/{later}/send", {"confirm": "yes"})
    await drain()
    assert smtp.to(email) == [], "no more news once stopped"


async def test_the_form_says_what_is_wrong_and_a_forged_link_opens_nothing(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    _case_id, case_slug = await case_of(pool, await make_action(pool))
    unticked = await client.post(f"/fr/cases/{case_slug}/follow", data={"email": address()})
    assert unticked.status_code == 422
    assert 'lang="fr"' in unticked.text
    assert 'name="consent_follow"' in unticked.text
    broken = await client.post(
        f"/fr/cases/{case_slug}/follow", data={"email": "nobody@", "consent_follow": "yes"}
    )
    assert broken.status_code == 422
    assert (await client.get("/follow/not-a-token")).status_code == 404
    assert (await client.post("/follow/not-a-token/stop")).status_code == 404
