"""Joining the Urgent Action Network through the front door: the form in every language, the
double opt-in, a member's own page (say yes, change what one hears about, leave in one click),
and what the form must never do: tell who is a member, let a stranger rewrite a member's
choices, or flood an address with joining emails."""

from __future__ import annotations

import re
import uuid
from email.message import EmailMessage

import httpx
import pytest

from campaign_engine.db.pool import Pool, sealer_of
from campaign_engine.db.signing.consent import get_latest_consent
from campaign_engine.i18n import LOCALES
from campaign_engine.models.signing import ConsentScope
from campaign_engine.web.public.network import JOINS_PER_CLIENT
from tests.conftest import Drain
from tests.factories import confirmation_path, link_path, make_action
from tests.smtp import RecordingHandler
from tests.staff import Campaigner

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def new_address() -> str:
    return f"member-{uuid.uuid4().hex[:10]}@example.org"


def join_form(address: str, **choices: str | list[str]) -> dict[str, str | list[str]]:
    return {
        "email": address,
        "language_1": "fr",
        "language_2": "en",
        "country": ["ML", "MX"],
        "theme": ["death_penalty"],
        "frequency": "capped",
        "weekly_cap": "5",
        "consent_network": "yes",
        **choices,
    }


def member_path(message: EmailMessage) -> str:
    return link_path(message, "/network/")


async def member_state(pool: Pool, email: str) -> dict[str, object] | None:
    """The member row of the address (found through its lookup key), as stored."""
    async with pool.acquire() as conn:
        key = sealer_of(conn).lookup_key(email.lower())
        row = await conn.fetchrow(
            "SELECT m.* FROM members m JOIN supporters p ON p.id = m.supporter_id"
            " WHERE p.email_key = $1",
            key,
        )
    return None if row is None else dict(row)


async def network_consent(pool: Pool, email: str) -> tuple[bool, int] | None:
    state = await member_state(pool, email)
    assert state is not None
    async with pool.acquire() as conn:
        return await get_latest_consent(conn, state["supporter_id"], ConsentScope.NETWORK)  # type: ignore[arg-type]


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_joining_form_speaks_every_language_and_every_page_links_to_it(
    client: httpx.AsyncClient, locale: str
) -> None:
    page = await client.get(f"/{locale}/network")
    assert page.status_code == 200
    assert f'lang="{locale}"' in page.text
    assert f'action="/{locale}/network"' in page.text
    assert 'name="consent_network"' in page.text
    home = await client.get(f"/{locale}/")
    assert f'href="/{locale}/network"' in home.text


async def test_joining_takes_a_yes_from_the_mailbox_and_leaving_one_click(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    email = new_address()
    asked = await client.post("/fr/network", data=join_form(email))
    stranger = await client.post("/fr/network", data=join_form(new_address()))
    assert asked.status_code == stranger.status_code == 200
    assert asked.text == stranger.text, "the page says the same to everyone"
    await drain()

    (mail,) = smtp.to(email)
    assert mail["Content-Language"] == "fr"
    assert "Urgent Action Network" not in str(mail["Subject"]), "in French"
    state = await member_state(pool, email)
    assert state is not None
    assert state["status"] == "pending"
    assert await network_consent(pool, email) is None, "no consent before the mailbox says yes"

    path = member_path(mail)
    page = await client.get(path)
    assert page.status_code == 200
    assert 'lang="fr"' in page.text
    assert 'value="ML" selected' in page.text
    assert 'value="MX" selected' in page.text
    assert (await member_state(pool, email))["status"] == "pending", "a GET changes nothing"  # type: ignore[index]

    said_yes = await client.post(path, data=join_form(email, language_1="ar", language_2="fr"))
    assert said_yes.status_code == 200
    state = await member_state(pool, email)
    assert state is not None
    assert state["status"] == "active"
    assert state["languages"] == ["ar", "fr"]
    assert state["countries"] == ["ML", "MX"]
    assert state["themes"] == ["death_penalty"]
    assert (state["frequency"], state["weekly_cap"]) == ("capped", 5)
    consent = await network_consent(pool, email)
    assert consent is not None
    assert consent[0] is True

    changed = await client.post(path, data={"language_1": "es", "frequency": "weekly"})
    assert changed.status_code == 200
    state = await member_state(pool, email)
    assert state is not None
    assert (state["languages"], state["countries"], state["frequency"]) == (["es"], [], "weekly")

    left = await client.post(f"{path}/leave", data=ONE_CLICK)
    assert left.status_code == 200
    assert (await member_state(pool, email))["status"] == "left"  # type: ignore[index]
    consent = await network_consent(pool, email)
    assert consent is not None
    assert consent[0] is False, "the withdrawal is on the record"
    again = await client.post(f"{path}/leave", data=ONE_CLICK)
    assert again.status_code == 200
    gone = await client.get(path)
    assert gone.status_code == 200
    assert 'href="/fr/network"' in gone.text, "an invitation back"
    assert 'action="' + path not in gone.text


async def test_a_stranger_cannot_rewrite_a_members_choices_nor_flood_their_mailbox(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    email = new_address()
    await client.post("/en/network", data=join_form(email))
    await drain()
    path = member_path(smtp.to(email)[0])
    await client.post(path, data=join_form(email))
    before = await member_state(pool, email)

    for _again in range(4):
        answer = await client.post("/en/network", data=join_form(email, language_1="ru"))
        assert answer.status_code == 200
    await drain()
    assert await member_state(pool, email) == before, "a member's choices change only by link"
    mails = smtp.to(email)
    assert len(mails) == 3, "three joining emails a day at most"
    assert "already" in str(mails[1]["Subject"])
    assert member_path(mails[1]) == path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent_network": ""}, "consent_network"),
        ({"email": "not-an-address"}, "email"),
        ({"language_1": "", "language_2": ""}, "language_1"),
        ({"language_1": "xx"}, "language_1"),
        ({"language_2": "fr"}, "language_1"),
        ({"country": ["ML", "ZZ"]}, "country"),
        ({"theme": ["chess"]}, "theme"),
        ({"weekly_cap": "0"}, "weekly_cap"),
        ({"weekly_cap": "many"}, "weekly_cap"),
        ({"frequency": "hourly"}, "frequency"),
    ],
)
async def test_a_bad_choice_is_said_in_the_readers_language_and_nothing_is_kept(
    client: httpx.AsyncClient, pool: Pool, change: dict[str, str | list[str]], field: str
) -> None:
    email = new_address()
    answer = await client.post("/es/network", data=join_form(email, **change))
    assert answer.status_code == 422
    assert f'href="#{field}"' in answer.text
    assert 'lang="es"' in answer.text
    assert await member_state(pool, email) is None


async def test_a_link_we_did_not_make_opens_nothing(client: httpx.AsyncClient) -> None:
    for method in ("GET", "POST"):
        answer = await client.request(method, "/network/forged.token")
        assert answer.status_code == 404
    assert (await client.post("/network/forged.token/leave", data=ONE_CLICK)).status_code == 404


async def test_a_members_data_is_in_their_export_and_goes_with_their_erasure(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    email = new_address()
    await client.post("/en/network", data=join_form(email))
    await drain()
    await client.post(member_path(smtp.to(email)[0]), data=join_form(email))
    await client.post("/en/privacy", data={"email": email})
    await drain()
    privacy = link_path(smtp.to(email)[-1], "/privacy/")
    data = (await client.get(f"{privacy}/data.json")).json()
    assert data["network"]["status"] == "active"
    assert data["network"]["countries"] == ["ML", "MX"]
    assert [c["scope"] for c in data["consents"]] == ["network"]
    assert "network_join" in [m["kind"] for m in data["messages"]]

    assert (await client.post(f"{privacy}/erase")).status_code == 200
    assert await member_state(pool, email) is None


async def test_a_signer_who_ticks_the_box_joins_when_their_signature_is_confirmed(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    page = await client.get(f"/ru/actions/{slug}")
    assert 'name="consent_network"' in page.text
    joining, not_joining = new_address(), new_address()
    for email, box in ((joining, "yes"), (not_joining, "")):
        signed = await client.post(
            f"/ru/actions/{slug}/sign",
            data={"name": "Анна", "email": email, "country": "RU", "consent_network": box},
        )
        assert signed.status_code == 303
    await drain()
    assert await member_state(pool, joining) is None, "not before the address is proven"

    for email in (joining, not_joining):
        (mail,) = smtp.to(email)
        confirmed = await client.get(confirmation_path(mail))
        assert confirmed.status_code == 303
    state = await member_state(pool, joining)
    assert state is not None
    assert (state["status"], state["languages"], state["countries"]) == ("active", ["ru"], [])
    consent = await network_consent(pool, joining)
    assert consent is not None
    assert consent[0] is True
    assert await member_state(pool, not_joining) is None
    await drain()
    assert len(smtp.to(joining)) == 1, "no joining email: the confirmation proved the address"


async def test_the_workspace_counts_the_network_and_names_nobody(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    viewer: Campaigner,
) -> None:
    before = await viewer.client.get("/admin/network")
    assert before.status_code == 200
    active_before = figure(before.text, "active")
    email = new_address()
    await client.post("/en/network", data=join_form(email, language_1="ar", country=["SY"]))
    await drain()
    await client.post(member_path(smtp.to(email)[0]), data=join_form(email, language_1="ar"))

    page = await viewer.client.get("/admin/network")
    assert figure(page.text, "active") == active_before + 1
    assert "العربية" in page.text
    assert email not in page.text, "counts only"
    assert 'href="/admin/network" aria-current="page"' in page.text


def figure(page: str, name: str) -> int:
    found = re.search(rf'id="figure-{name}">([\d,\s]+)<', page)
    assert found, f"the {name} figure"
    return int(re.sub(r"\D", "", found.group(1)))


async def test_the_form_is_no_mail_cannon(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    robot = new_address()
    filled = await client.post("/fr/network", data=join_form(robot, website="http://x.example"))
    assert filled.status_code == 200, "the usual answer"
    await drain()
    assert smtp.to(robot) == []
    assert await member_state(pool, robot) is None

    answers = [
        (await client.post("/fr/network", data=join_form(new_address()))).status_code
        for _request in range(JOINS_PER_CLIENT)
    ]
    assert answers == [200] * (JOINS_PER_CLIENT - 1) + [429], "ten a minute from one client"
    refused = await client.post("/fr/network", data=join_form(new_address()))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert 'lang="fr"' in refused.text
