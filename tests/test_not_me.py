""" "This wasn't me": every email about a signature carries a link with which the owner of the
address takes that signature back. The link's page changes nothing; its button erases the
signature (what was typed, its consents, anything unsent), uncounts it if it counted, and
forgets the address if nothing else of theirs is held."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import httpx

from campaign_engine.db.pool import Pool
from tests.conftest import Drain
from tests.factories import confirmation_path, counted, email_key, link_path, make_action
from tests.smtp import RecordingHandler


def not_me_path(message: EmailMessage) -> str:
    return link_path(message, "/not-me/")


def signer(email: str) -> dict[str, str]:
    return {
        "name": "Someone Else",
        "email": email,
        "country": "FR",
        "comment": "Typed by a stranger",
        "consent_updates": "yes",
    }


async def held(pool: Pool, email: str) -> tuple[int, int, int]:
    """(supporters, signer details, consent records) held for the address."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """
            SELECT count(DISTINCT p.id) AS supporters, count(DISTINCT d.signature_id) AS details,
                   count(DISTINCT r.id) AS consents
            FROM supporters p
            LEFT JOIN signatures s ON s.supporter_id = p.id
            LEFT JOIN signer_details d ON d.signature_id = s.id
            LEFT JOIN consent_records r ON r.supporter_id = p.id
            WHERE p.email_key = $1
            """,
            email_key(email),
        )
    assert row is not None
    return row["supporters"], row["details"], row["consents"]


async def test_a_signature_made_with_someone_elses_address_is_taken_back(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    email = f"victim-{uuid.uuid4().hex[:8]}@example.org"
    assert (await client.post(f"/fr/actions/{slug}/sign", data=signer(email))).status_code == 303
    await drain()
    (mail,) = smtp.to(email)
    path = not_me_path(mail)

    page = await client.get(path)
    assert page.status_code == 200
    assert 'lang="fr"' in page.text
    assert await held(pool, email) == (1, 1, 1), "a GET changes nothing"

    taken = await client.post(path)
    assert taken.status_code == 200
    assert await held(pool, email) == (0, 0, 0), "nothing of the address is left"
    assert (await client.get(confirmation_path(mail))).status_code == 404
    again = await client.post(path)
    assert again.status_code == 200, "a second click changes nothing"


async def test_a_counted_signature_taken_back_stops_counting_and_the_rest_stays(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    first, second = await make_action(pool), await make_action(pool)
    email = f"signer-{uuid.uuid4().hex[:8]}@example.org"
    for slug in (first, second):
        await client.post(f"/en/actions/{slug}/sign", data=signer(email))
        await drain()
        await client.get(confirmation_path(smtp.to(email)[-1]))
    assert await counted(client, first, 1) == 1

    confirmation_of_first = smtp.to(email)[0]
    assert (await client.post(not_me_path(confirmation_of_first))).status_code == 200
    assert await counted(client, first, 0) == 0
    assert await counted(client, second, 1) == 1
    assert await held(pool, email) == (1, 1, 1), "the other signature and its consent stay"


async def test_a_link_we_did_not_make_takes_nothing_back(client: httpx.AsyncClient) -> None:
    assert (await client.get("/not-me/forged.token")).status_code == 404
    assert (await client.post("/not-me/forged.token")).status_code == 404
