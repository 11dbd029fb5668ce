"""A model letter in versions, so that officials do not receive the same letter again and
again: each appeal takes one version of the subject and of each paragraph, chosen by its
signature and never the same as the official's last; beyond a number a day of alike appeals
without a personal message, the rest go in one message at the day's end."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage

import httpx
import redis.asyncio

from campaign_engine.db.campaigns import authoring
from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.dashboard import read_dashboard
from campaign_engine.domain.delivery.appeals import create_appeals, wake_pacers
from campaign_engine.domain.delivery.digests import create_due_repeats
from campaign_engine.formats.versions import (
    combination_for,
    model_letter,
    signature_seed,
    versioned,
)
from campaign_engine.settings import Settings
from tests.clock import FakeClock
from tests.conftest import Drain, drain_with
from tests.editor import create_action
from tests.factories import add_target, content, make_action, make_confirmed_signatures, signed
from tests.smtp import RecordingHandler
from tests.staff import Campaigner
from tests.test_admin_actions import field_error
from tests.test_digests import tomorrow

SUBJECT = "Release Ana García || Ana García must go free || Free Ana García now"
BODY = """Ana García was arrested on 3 March for her reporting.
||
On 3 March the police took Ana García from her home.
||
Ana García, a journalist, has been held since 3 March.

I urge you to release her at once.

She must see a lawyer and her family.
||
Let her see a lawyer and her family without delay."""
PARTS = (
    ("Release Ana García", "Ana García must go free", "Free Ana García now"),
    (
        "Ana García was arrested on 3 March for her reporting.",
        "On 3 March the police took Ana García from her home.",
        "Ana García, a journalist, has been held since 3 March.",
    ),
    ("I urge you to release her at once.",),
    (
        "She must see a lawyer and her family.",
        "Let her see a lawyer and her family without delay.",
    ),
)


def test_versions_are_read_as_typed() -> None:
    letter = versioned(SUBJECT, BODY)
    assert letter.parts == PARTS
    assert letter.combinations == 3 * 3 * 1 * 2
    assert letter.model.subject == "Release Ana García"
    assert letter.model.paragraphs == tuple(versions[0] for versions in PARTS[1:])
    every = {letter.written(n) for n in range(letter.combinations)}
    assert len(every) == letter.combinations, "each combination is a letter of its own"

    plain = versioned("Release her", "Dear Minister,\n\nRelease her now.\n")
    assert plain.combinations == 1
    assert not plain.varied
    assert plain.model.body == "Dear Minister,\n\nRelease her now."
    # Spaces around the separator, Windows line endings, blank lines around `||`.
    loose = versioned(" A ||B|| ", "One.\r\n\r\n  ||  \r\n\r\nUn.\r\n\r\nTwo.")
    assert loose.parts == (("A", "B"), ("One.", "Un."), ("Two.",))
    assert model_letter("A || B", "One.\n||\nUn.").body == "One."


def test_each_version_is_chosen_as_often_over_10000_signatures() -> None:
    letter = versioned(SUBJECT, BODY)
    chosen = Counter[tuple[int, str]]()
    for _n in range(10_000):
        signature_id = uuid.uuid4()
        combination = combination_for(letter, signature_id, previous=None)
        assert combination == combination_for(letter, signature_id, None), "deterministic"
        written = letter.written(combination)
        for part, text in enumerate((written.subject, *written.paragraphs)):
            chosen[part, text] += 1
    for part, versions in enumerate(PARTS):
        expected = 10_000 / len(versions)
        for text in versions:
            # Three and a half standard deviations of a fair draw, at most.
            assert abs(chosen[part, text] - expected) < 0.05 * expected, (part, text)


def test_no_two_appeals_in_a_row_read_the_same() -> None:
    letter = versioned(SUBJECT, BODY)
    previous = None
    repeats_avoided = 0
    for _n in range(2_000):
        signature_id = uuid.uuid4()
        combination = combination_for(letter, signature_id, previous)
        assert combination != previous
        repeats_avoided += combination != signature_seed(signature_id) % letter.combinations
        previous = combination
    assert repeats_avoided > 0, "a signature that would repeat the last letter takes the next"


async def test_the_editor_takes_at_most_four_versions(campaigner: Campaigner, pool: Pool) -> None:
    slug, _code, _id = await create_action(campaigner, pool, letter_subject=SUBJECT)
    page = await campaigner.client.get(f"/admin/actions/{slug}/translations/en")
    assert "||" in page.text, "the form says how to write versions"
    five = "\n||\n".join(f"Version {n}." for n in range(5))
    refused = await campaigner.post(
        f"/admin/actions/{slug}/translations/en",
        {"title": "Free Ana García", "letter_subject": SUBJECT, "letter_body": five},
    )
    assert refused.status_code == 422
    assert "at most 4 versions" in field_error(refused.text, "letter_body")
    too_long = await campaigner.post(
        f"/admin/actions/{slug}/translations/en",
        {"title": "Free Ana García", "letter_subject": "A" * 201 + " || B", "letter_body": BODY},
    )
    assert too_long.status_code == 422
    assert "200 characters" in field_error(too_long.text, "letter_subject")


async def _versioned_action(pool: Pool) -> str:
    slug = await make_action(pool, locales=("en",))
    async with pool.acquire() as conn:
        action_id = await conn.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
        words = content("en", slug) | {"letter_subject": SUBJECT, "letter_body": BODY}
        await authoring.upsert_action_translation(conn, action_id, "en", words, published=True)
    return slug


async def _one_by_one(drain: Drain, clock: FakeClock, times: int) -> None:
    """Let the pacer release one appeal a minute (its floor), sending each."""
    for _n in range(times):
        await drain()
        clock.advance(timedelta(minutes=1, seconds=1))


def _letter_of(message: EmailMessage) -> tuple[str, tuple[str, ...]]:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    paragraphs = tuple(
        next(v for v in versions if v in text)
        for versions in PARTS[1:]
        if any(v in text for v in versions)
    )
    return str(message["Subject"]), paragraphs


async def test_appeals_to_an_official_take_versions_in_turn(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    clock: FakeClock,
    settings: Settings,
) -> None:
    slug = await _versioned_action(pool)
    _target, official = await add_target(pool, slug, preferred_locale="en", salutations={})
    await make_confirmed_signatures(pool, slug, 8)
    await _one_by_one(drain, clock, 10)
    appeals = smtp.to(official)
    assert len(appeals) == 8
    letters = [_letter_of(message) for message in appeals]
    for subject, paragraphs in letters:
        assert subject in PARTS[0]
        assert len(paragraphs) == 3, "one version of every paragraph, and only one"
        assert "||" not in str(appeals[0].get_body(preferencelist=("plain",)))
    for before, after in itertools.pairwise(letters):
        assert before != after, "no two appeals in a row read the same"

    dashboard = await read_dashboard(pool, clock, slug, "en")
    assert dashboard.variety.written == 8
    assert dashboard.variety.possible == 18
    assert dashboard.variety.combinations == len(set(letters))
    assert dashboard.variety.personal == 0
    assert dashboard.variety.folded == 0


async def test_alike_appeals_beyond_the_days_number_go_in_one_message(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    redis_client: redis.asyncio.Redis,
    clock: FakeClock,
    settings: Settings,
) -> None:
    drain = drain_with(dataclasses.replace(settings, same_appeals_per_day=2), pool, clock)
    slug = await make_action(pool, locales=("en",))
    _target, official = await add_target(pool, slug, preferred_locale="en", salutations={})
    signers = [(f"Alike {n}", "MX", False) for n in range(4)] + [("Quiet One", "FR", True)]
    await make_confirmed_signatures(pool, slug, 5, signers=signers)
    async with pool.acquire() as conn:  # one more, with a sentence of their own
        action_id = await conn.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
        _supporter, personal = await signed(
            conn, action_id, "own@example.org", name="Own Words", comment="I taught Ana."
        )
        await conn.execute(
            "UPDATE signatures SET status = 'confirmed', confirmed_at = now() WHERE id = $1",
            personal,
        )
        await wake_pacers(pool, await create_appeals(conn, personal, action_id))
    await _one_by_one(drain, clock, 8)

    alone = smtp.to(official)
    assert len(alone) == 3, "two alike, then the one with a message of its own"
    assert any("I taught Ana." in str(message) for message in alone)
    statuses = Counter(
        row["status"]
        for row in await pool.fetch(
            "SELECT status FROM deliveries WHERE action_id = $1 AND kind = 'appeal'", action_id
        )
    )
    assert statuses == {"sent": 3, "folded": 3}

    assert await create_due_repeats(pool, clock) == 0, "the day is not over"
    tomorrow(clock)
    assert await create_due_repeats(pool, clock) == 1
    assert await create_due_repeats(pool, clock) == 0, "one message for the day"
    await _one_by_one(drain, clock, 2)
    [*_alone, repeats] = smtp.to(official)
    assert repeats["Subject"] == f"3 people signed the urgent action UA {slug}"
    text = str(repeats.get_body(preferencelist=("plain",)))
    assert "read the same as others you received that day" in text
    named = [name for name, _c, _a in signers if f"{name} (Mexico)" in text]
    assert len(named) == 2
    assert "Quiet One" not in text, "the unnamed stays unnamed"
    assert "France: 1" in text

    dashboard = await read_dashboard(pool, clock, slug, "en")
    assert (dashboard.variety.written, dashboard.variety.folded) == (3, 3)
    assert dashboard.variety.personal == 1
    assert dashboard.deliveries.totals["folded"] == 3
