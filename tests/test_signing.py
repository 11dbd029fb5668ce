"""A supporter signs, gets an email, confirms, and is counted: through HTTP, a real worker, a
real SMTP server and a real database."""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

import httpx
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from starlette.types import ASGIApp

from campaign_engine.db.personal import sealed
from campaign_engine.db.pool import Pool
from campaign_engine.security.tokens import Tokens
from tests.conftest import TEST_SEALER, TEST_SECRET, Drain, http_client
from tests.factories import confirmation_path, count, counted, make_action, unique_email
from tests.smtp import RecordingHandler


async def sign(
    client: httpx.AsyncClient, slug: str, locale: str = "en", **fields: str
) -> httpx.Response:
    form = {"name": "Li Wei", "email": unique_email(), "country": "CN", **fields}
    return await client.post(f"/{locale}/actions/{slug}/sign", data=form)


async def test_sign_confirm_and_be_counted(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    email = unique_email("li.wei")

    response = await sign(client, slug, "zh-Hans", name="李伟", email=email)
    assert response.status_code == 303
    assert response.headers["location"] == f"/zh-Hans/actions/{slug}/check-email"
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert 'lang="zh-Hans"' in page.text
    assert await count(client, slug) == 0, "a pending signature is not counted"

    await drain()
    [mail] = smtp.to(email)
    assert mail["Content-Language"] == "zh-Hans"
    assert "李伟" in str(mail["To"])
    assert mail["Message-ID"].startswith("<delivery-")
    assert mail["Message-ID"].endswith("@example.org>")

    confirmed = await client.get(confirmation_path(mail))
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"/zh-Hans/actions/{slug}/thanks"
    thanks = await client.get(confirmed.headers["location"])
    assert thanks.status_code == 200
    assert await counted(client, slug, 1) == 1

    again = await client.get(confirmation_path(mail))
    assert again.status_code == 303
    assert await count(client, slug) == 1, "a second click changes nothing"

    status = await pool.fetchval(
        "SELECT s.status FROM signatures s JOIN actions a ON a.id = s.action_id WHERE a.slug = $1",
        slug,
    )
    assert status == "confirmed"


async def test_a_repeat_signature_is_answered_like_a_first_one(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    email = unique_email()
    first = await sign(client, slug, email=email)
    # The same person, the address spelled differently: still one supporter.
    repeat = await sign(client, slug, email=email.upper(), name="Someone Else")
    stranger = await sign(client, slug)
    for response in (first, repeat, stranger):
        assert response.status_code == 303
        assert response.headers["location"] == first.headers["location"]
        assert response.content == first.content

    rows = await pool.fetchval(
        "SELECT count(*) FROM signatures s JOIN actions a ON a.id = s.action_id WHERE a.slug = $1",
        slug,
    )
    assert rows == 2
    await drain()
    # One confirmation email, not two: a repeat within the hour adds nothing to the mailbox.
    [mail] = smtp.to(email)
    await client.get(confirmation_path(mail))

    await sign(client, slug, email=email)
    await drain()
    already = smtp.to(email)[-1]
    assert already["Subject"].startswith("You have already signed")
    assert await count(client, slug) == 1


async def test_gmail_addresses_are_one_mailbox(
    client: httpx.AsyncClient, pool: Pool, drain: Drain
) -> None:
    slug = await make_action(pool)
    local = unique_email("jane.doe").split("@")[0]
    for spelling in (f"{local}@gmail.com", f"{local.replace('.', '')}+ua@googlemail.com"):
        assert (await sign(client, slug, email=spelling)).status_code == 303
    rows = await pool.fetchval(
        "SELECT count(*) FROM signatures s JOIN actions a ON a.id = s.action_id WHERE a.slug = $1",
        slug,
    )
    assert rows == 1


async def test_consent_is_kept_with_the_words_shown(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    await sign(client, slug, "fr", consent_updates="yes", source="newsletter")
    await sign(client, slug, "fr")  # a second signer who did not tick the box
    rows = await pool.fetch(
        """
        SELECT r.scope, r.granted, r.source, t.locale, t.text
        FROM consent_records r
        JOIN consent_texts t ON t.id = r.consent_text_id
        JOIN signatures s ON s.id = r.signature_id
        JOIN actions a ON a.id = s.action_id
        WHERE a.slug = $1
        """,
        slug,
    )
    assert len(rows) == 1
    [row] = rows
    assert (row["scope"], row["granted"], row["source"], row["locale"]) == (
        "updates",
        True,
        "newsletter",
        "fr",
    )
    page = await client.get(f"/fr/actions/{slug}")
    assert row["text"] in page.text, "the record holds exactly the sentence the form shows"


async def test_only_confirmed_signatures_count_and_many_clicks_count_once(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    emails = [unique_email() for _ in range(5)]
    for email in emails:
        await sign(client, slug, email=email)
    await drain()
    links = [confirmation_path(smtp.to(email)[0]) for email in emails[:3]]
    answers = await asyncio.gather(*(client.get(link) for link in links for _ in range(10)))
    assert {answer.status_code for answer in answers} == {303}
    assert await count(client, slug) == 3
    stored = await pool.fetchval(
        """SELECT coalesce(sum(c.confirmed), 0) FROM action_counts c
           JOIN actions a ON a.id = c.action_id WHERE a.slug = $1""",
        slug,
    )
    assert stored == 3


async def test_closed_and_unknown_actions(client: httpx.AsyncClient, pool: Pool) -> None:
    closed = await make_action(pool, status="closed")
    response = await sign(client, closed)
    assert response.status_code == 410
    page = await client.get(f"/en/actions/{closed}")
    assert page.status_code == 200
    assert "This urgent action has closed" in page.text
    assert 'method="post"' not in page.text

    invalid_on_closed = await sign(client, closed, email="not an email")
    assert invalid_on_closed.status_code == 410, "a closed action says so first"

    assert (await sign(client, "no-such-action")).status_code == 404
    draft = await make_action(pool, status="draft")
    assert (await client.get(f"/en/actions/{draft}")).status_code == 404
    removed = await make_action(pool, status="removed")
    assert (await client.get(f"/en/actions/{removed}")).status_code == 410
    assert (await sign(client, removed)).status_code == 410


async def test_a_confirmation_link_that_was_altered_or_has_expired(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    email = unique_email()
    await sign(client, slug, email=email)
    await drain()
    link = confirmation_path(smtp.to(email)[0])
    tampered = await client.get(link[:-3] + "abc")
    assert tampered.status_code == 404
    assert await count(client, slug) == 0
    assert (await client.get("/confirm/nonsense")).status_code == 404

    signature_id = await pool.fetchval(
        "SELECT s.id FROM signatures s JOIN actions a ON a.id = s.action_id WHERE a.slug = $1",
        slug,
    )
    expired = await client.get(
        f"/confirm/{link_signed_days_ago(signature_id, 31)}", headers={"Accept-Language": "es"}
    )
    assert expired.status_code == 410
    assert '<html lang="es"' in expired.text
    assert await count(client, slug) == 0
    still_valid = await client.get(f"/confirm/{link_signed_days_ago(signature_id, 29)}")
    assert still_valid.status_code == 303
    assert await counted(client, slug, 1) == 1


def link_signed_days_ago(signature_id: UUID, days: int) -> str:
    """A confirmation token as the app makes them, but made `days` ago."""

    class BackdatedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - days * 86400

    serializer = URLSafeTimedSerializer(
        TEST_SECRET, salt="confirm-signature", signer=BackdatedSigner
    )
    return serializer.dumps(signature_id.hex)


async def test_an_enormous_form_is_refused(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    response = await sign(client, slug, comment="x" * 100_000)
    assert response.status_code == 413


async def test_the_client_address_is_believed_from_a_trusted_proxy_only(
    asgi_app: ASGIApp, client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    forwarded = {"X-Forwarded-For": "198.51.100.1"}
    behind_proxy, outsider = unique_email(), unique_email()
    await client.post(  # from loopback, the default trusted proxy
        f"/en/actions/{slug}/sign",
        data={"name": "A", "email": behind_proxy, "country": "FR"},
        headers=forwarded,
    )
    async with http_client(asgi_app, "203.0.113.7") as direct:
        await direct.post(
            f"/en/actions/{slug}/sign",
            data={"name": "B", "email": outsider, "country": "FR"},
            headers=forwarded,
        )
    keys = {
        TEST_SEALER.open(row["email_sealed"], sealed.EMAIL): bytes(row["client_key"])
        for row in await pool.fetch(
            """SELECT p.email_sealed, s.client_key FROM signatures s
               JOIN supporters p ON p.id = s.supporter_id
               JOIN actions a ON a.id = s.action_id WHERE a.slug = $1""",
            slug,
        )
    }
    tokens = Tokens(TEST_SECRET)
    assert keys[behind_proxy] == tokens.client_key("198.51.100.1")
    assert keys[outsider] == tokens.client_key("203.0.113.7"), "a forged header is ignored"


async def test_a_repeat_an_hour_later_gets_a_fresh_link(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    email = unique_email()
    await sign(client, slug, email=email)
    await sign(client, slug, email=email)
    await drain()
    assert len(smtp.to(email)) == 1, "a repeat within the hour adds no email"

    await pool.execute(  # an hour and a minute pass
        """UPDATE deliveries d SET created_at = d.created_at - interval '61 minutes'
           FROM signatures s JOIN actions a ON a.id = s.action_id
           WHERE d.signature_id = s.id AND a.slug = $1""",
        slug,
    )
    await sign(client, slug, email=email)
    await drain()
    first, second = smtp.to(email)
    assert first["Message-ID"] != second["Message-ID"]
    assert confirmation_path(second).startswith("/confirm/")
