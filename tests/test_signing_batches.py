"""Signatures that arrive together are written together (domain/signing/batches.py): one
transaction for many, each signer answered only once it is stored. What batching must not
change: an address signing many times at once is one supporter with one signature and one
email; a client over its limit is held to it exactly, however many of its signatures share a
moment; a signature that cannot be written fails alone."""

from __future__ import annotations

import asyncio

import asyncpg
from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.domain.errors import ActionClosed
from campaign_engine.domain.signing.abuse import NO_CLIENT_LIMITS
from campaign_engine.domain.signing.batches import Batches
from campaign_engine.domain.signing.consent import consent_wording
from campaign_engine.domain.signing.signatures import SignatureBatches, sign_action
from campaign_engine.i18n import Catalogues
from campaign_engine.models.signing import ConsentScope
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import SOURCE_HOME, Settings
from tests.conftest import TEST_SECRET, Drain, http_client
from tests.factories import make_action, signature_request, unique_email
from tests.smtp import RecordingHandler


async def signatures_on(pool: Pool, slug: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT s.supporter_id, s.suspicion FROM signatures s
           JOIN actions a ON a.id = s.action_id WHERE a.slug = $1""",
        slug,
    )


async def test_a_crowd_signing_at_once_is_stored_whole_and_each_mailed_once(
    asgi_app: ASGIApp, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    # Within the process's in-flight budget (web/shedding.py): past it, 503s.
    emails = [unique_email(f"crowd{n}") for n in range(90)]

    async def sign(n: int, email: str) -> int:
        async with http_client(asgi_app, f"198.51.100.{n}") as client:
            response = await client.post(
                f"/api/v1/actions/{slug}/signatures",
                json={"name": "Ana Signer", "email": email, "country": "MX", "locale": "en"},
            )
            return response.status_code

    statuses = await asyncio.gather(*(sign(n, e) for n, e in enumerate(emails)))
    assert set(statuses) == {202}
    rows = await signatures_on(pool, slug)
    assert len(rows) == len(emails) == len({row["supporter_id"] for row in rows})
    await drain()
    assert all(len(smtp.to(email)) == 1 for email in emails)


async def test_one_address_sent_many_times_at_once_is_one_signer_and_one_email(
    asgi_app: ASGIApp, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await make_action(pool)
    email = unique_email("eager")

    async def sign(n: int) -> int:
        async with http_client(asgi_app, f"192.0.2.{n}") as client:
            response = await client.post(
                f"/en/actions/{slug}/sign",
                data={"name": "Ana Signer", "email": email, "country": "MX"},
            )
            return response.status_code

    assert set(await asyncio.gather(*(sign(n) for n in range(20)))) == {303}
    assert len(await signatures_on(pool, slug)) == 1
    await drain()
    assert len(smtp.to(email)) == 1, "the repeats fall within the hour: no second email"


async def test_a_client_flooding_at_once_is_held_to_its_limit_exactly(
    asgi_app: ASGIApp, pool: Pool, settings: Settings
) -> None:
    """The sequential flood (test_abuse.py) with every request in flight together: the
    client's signatures go into successive batches, each counting the last."""
    slug = await make_action(pool)
    async with http_client(asgi_app, "203.0.113.70") as flooder:
        statuses = await asyncio.gather(
            *(
                flooder.post(
                    f"/en/actions/{slug}/sign",
                    data={"name": "Ana Signer", "email": unique_email(), "country": "MX"},
                )
                for _ in range(60)
            )
        )
    assert {response.status_code for response in statuses} == {303}
    rows = await signatures_on(pool, slug)
    believed = [row for row in rows if row["suspicion"] is None]
    assert len(rows) == 60
    assert len(believed) == settings.client_burst_per_action


async def test_a_signature_that_cannot_be_written_fails_alone(pool: Pool) -> None:
    """The web's forms never hand the domain a lower-case country, but something someday will
    hand it what PostgreSQL refuses: the signers who shared its batch are kept."""
    slug = await make_action(pool)
    batches = SignatureBatches(pool, None)
    tokens = Tokens(TEST_SECRET)
    good = [unique_email(f"kept{n}") for n in range(8)]
    requests = [signature_request(email, consent_updates=True) for email in good] + [
        signature_request(unique_email(), country="mx")
    ]
    outcomes = await asyncio.gather(
        *(sign_action(batches, tokens, slug, r, limits=NO_CLIENT_LIMITS) for r in requests),
        return_exceptions=True,
    )
    assert outcomes[:-1] == [None] * len(good)
    assert isinstance(outcomes[-1], asyncpg.CheckViolationError)
    assert len(await signatures_on(pool, slug)) == len(good)
    consents = await pool.fetchval(
        """SELECT count(*) FROM consent_records r JOIN signatures s ON s.id = r.signature_id
           JOIN actions a ON a.id = s.action_id WHERE a.slug = $1""",
        slug,
    )
    assert consents == len(good), "each kept signature keeps its consent"


async def settle() -> None:
    """Let every task that can run, run (each join, then each batch it started)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_what_arrives_while_a_batch_is_written_goes_into_the_next_together() -> None:
    written: list[list[str]] = []
    release = asyncio.Event()

    async def write(batch: list[str]) -> list[BaseException | None]:
        written.append(batch)
        await release.wait()
        return [ValueError(thing) if thing.startswith("bad") else None for thing in batch]

    batches = Batches(write, keys=lambda thing: [thing.split(":")[0]])
    first = asyncio.ensure_future(batches.join("a"))
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(batches.join(t)) for t in ("b", "c:1", "c:2", "bad", "d")]
    await asyncio.sleep(0)
    assert written == [["a"]], "the first is written at once, alone"
    release.set()
    outcomes = await asyncio.gather(first, *later, return_exceptions=True)
    assert written == [["a"], ["b", "c:1", "bad", "d"], ["c:2"]], "c:2 shares a key with c:1"
    assert [type(o).__name__ for o in outcomes] == [
        "NoneType",
        "NoneType",
        "NoneType",
        "NoneType",
        "ValueError",
        "NoneType",
    ]


async def test_a_failing_batch_is_written_again_one_by_one() -> None:
    written: list[list[int]] = []

    async def write(batch: list[int]) -> list[BaseException | None]:
        written.append(batch)
        if 3 in batch:
            raise RuntimeError("cannot write 3")
        return [None] * len(batch)

    batches = Batches(write, keys=lambda n: [n])
    blocker = asyncio.ensure_future(batches.join(0))
    rest = [asyncio.ensure_future(batches.join(n)) for n in (1, 2, 3, 4)]
    outcomes = await asyncio.gather(blocker, *rest, return_exceptions=True)
    assert outcomes[:3] == [None, None, None]
    assert outcomes[4] is None
    assert isinstance(outcomes[3], RuntimeError)
    assert written == [[0], [1, 2, 3, 4], [1], [2], [3], [4]]


async def test_a_second_batch_is_written_beside_the_first_only_once_a_full_one_waits() -> None:
    written: list[list[int]] = []
    release = asyncio.Event()

    async def write(batch: list[int]) -> list[BaseException | None]:
        written.append(batch)
        await release.wait()
        return [None] * len(batch)

    batches = Batches(write, keys=lambda n: [n], most=3, at_once=2)
    joined = [asyncio.ensure_future(batches.join(0))]
    await settle()
    joined += [asyncio.ensure_future(batches.join(n)) for n in (1, 2)]
    await settle()
    assert written == [[0]], "two waiting are not yet a full batch"
    joined.append(asyncio.ensure_future(batches.join(3)))
    await settle()
    assert written == [[0], [1, 2, 3]]
    joined += [asyncio.ensure_future(batches.join(n)) for n in (4, 5, 6)]
    await settle()
    assert written == [[0], [1, 2, 3]], "never more than two at once"
    release.set()
    await asyncio.gather(*joined)
    assert written == [[0], [1, 2, 3], [4, 5, 6]]


async def test_signers_sharing_a_batch_keep_their_own_words_and_their_own_answers(
    pool: Pool,
) -> None:
    """A batch is written in the context of whichever request started it: each signer's
    consent must still be kept in the words their own page showed, and a signer of a closed
    action must hear that it is closed without costing the others their signatures."""
    catalogues = Catalogues(SOURCE_HOME / "locales")
    open_slug, closed_slug = await make_action(pool), await make_action(pool, status="closed")
    batches = SignatureBatches(pool, None)
    tokens = Tokens(TEST_SECRET)
    french, arab, late = unique_email("fr"), unique_email("ar"), unique_email("late")

    async def sign_in(tag: str, slug: str, email: str) -> None:
        with catalogues.activate(tag):
            request = signature_request(email, locale=tag, consent_updates=True)
            await sign_action(batches, tokens, slug, request, limits=NO_CLIENT_LIMITS)

    # The first goes alone; the next two wait for it and share the second batch, which the
    # first one's (French) task starts.
    outcomes = await asyncio.gather(
        sign_in("fr", open_slug, french),
        sign_in("ar", open_slug, arab),
        sign_in("en", closed_slug, late),
        return_exceptions=True,
    )
    assert list(outcomes[:2]) == [None, None]
    assert isinstance(outcomes[2], ActionClosed)
    kept = await pool.fetch(
        """SELECT s.locale AS signed_in, t.locale AS worded_in, t.text
           FROM consent_records r JOIN consent_texts t ON t.id = r.consent_text_id
           JOIN signatures s ON s.id = r.signature_id JOIN actions a ON a.id = s.action_id
           WHERE a.slug = $1""",
        open_slug,
    )
    assert sorted((row["signed_in"], row["worded_in"]) for row in kept) == [
        ("ar", "ar"),
        ("fr", "fr"),
    ]
    with catalogues.activate("ar"):
        assert next(r["text"] for r in kept if r["signed_in"] == "ar") == consent_wording(
            ConsentScope.UPDATES
        )
    assert await signatures_on(pool, closed_slug) == []
