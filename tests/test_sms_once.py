"""A text to an official goes once, even when Twilio's answer is lost: before a text whose last
attempt may have gone is sent again, it is looked for in Twilio's Messages list (through the
real twilio client and the stand-in), and one found there is recorded, not resent.
"""

from __future__ import annotations

from collections import Counter
from uuid import UUID

import pytest

from campaign_engine.db.pool import Pool
from tests.conftest import Drain
from tests.factories import add_target, make_action, make_confirmed_signatures
from tests.twilio import ACCEPT, DROP, TAKE_AND_DROP, TwilioRecord

ANA = ("Ana Pérez", "MX", False)


async def texts_to_an_official(
    pool: Pool, signers: list[tuple[str, str, bool]]
) -> tuple[str, list[UUID]]:
    """One appeal by text per signer to one official, released and overdue (the drain's
    sweeper rings for them); returns the official's number and the deliveries."""
    slug = await make_action(pool)
    target_id, phone = await add_target(
        pool, slug, channel="sms", preferred_locale="fr", salutations={"fr": "Monsieur,"}
    )
    await make_confirmed_signatures(pool, slug, len(signers), signers=signers)
    rows = await pool.fetch(
        """UPDATE deliveries SET status = 'pending', released_at = now(),
                  next_attempt_at = now() - interval '1 minute'
           WHERE target_id = $1 AND status = 'scheduled' RETURNING id""",
        target_id,
    )
    return phone, [row["id"] for row in rows]


async def rows_of(pool: Pool, ids: list[UUID]) -> list[dict[str, object]]:
    rows = await pool.fetch(
        """SELECT id, status, attempts, provider_id, last_error FROM deliveries
           WHERE id = ANY($1::uuid[]) ORDER BY id""",
        ids,
    )
    return [dict(row) for row in rows]


@pytest.mark.parametrize("queued", [False, True], ids=["sent", "still-queued"])
async def test_a_text_whose_answer_was_lost_is_found_at_twilio_and_not_sent_again(
    pool: Pool, twilio: TwilioRecord, drain: Drain, queued: bool
) -> None:
    """Twilio keeps the text and the connection breaks before its answer. The retry finds
    it in the list (also while Twilio still holds it queued, with no date sent, which
    Twilio's DateSent filter would hide) and records it under its sid."""
    twilio.queue_texts = queued
    twilio.script.append(TAKE_AND_DROP)
    phone, [delivery] = await texts_to_an_official(pool, [ANA])
    await drain()
    [text] = twilio.to(phone)
    [row] = await rows_of(pool, [delivery])
    assert (row["status"], row["provider_id"], row["attempts"]) == ("sent", text.sid, 2)
    assert twilio.lists_read == 1


async def test_a_text_that_never_reached_twilio_is_sent_on_retry(
    pool: Pool, twilio: TwilioRecord, drain: Drain
) -> None:
    """The connection breaks and Twilio kept nothing: the look-up finds nothing, so the
    text goes, once."""
    twilio.script.append(DROP)
    phone, [delivery] = await texts_to_an_official(pool, [ANA])
    await drain()
    [text] = twilio.to(phone)
    [row] = await rows_of(pool, [delivery])
    assert (row["status"], row["provider_id"], row["attempts"]) == ("sent", text.sid, 2)
    assert twilio.lists_read == 1


async def test_a_look_up_that_fails_leaves_the_row_waiting_and_sends_nothing_blind(
    pool: Pool, twilio: TwilioRecord, drain: Drain
) -> None:
    """Twilio cannot say (its list answers 503 three times): each attempt waits, none sends;
    the fifth finds the text."""
    twilio.script.append(TAKE_AND_DROP)
    twilio.list_script.extend([503, 503, 503])
    phone, [delivery] = await texts_to_an_official(pool, [ANA])
    await drain()
    [text] = twilio.to(phone)
    [row] = await rows_of(pool, [delivery])
    assert (row["status"], row["provider_id"], row["attempts"]) == ("sent", text.sid, 5)
    assert twilio.lists_read == 4


async def test_a_look_up_that_keeps_failing_never_sends_blind(
    pool: Pool, twilio: TwilioRecord, drain: Drain
) -> None:
    twilio.script.append(TAKE_AND_DROP)
    twilio.list_script.extend([503] * 100)
    phone, [delivery] = await texts_to_an_official(pool, [ANA])
    await drain()
    assert len(twilio.to(phone)) == 1
    [row] = await rows_of(pool, [delivery])
    assert (row["status"], row["provider_id"]) == ("failed", None)
    assert row["last_error"] == "Twilio could not say whether it went"


async def test_texts_with_the_same_words_to_the_same_number_each_go_exactly_once(
    pool: Pool, twilio: TwilioRecord, drain: Drain
) -> None:
    """Three signers with the same name and country: three identical texts to one official.
    One is kept by Twilio with its answer lost, one goes normally, one is lost on the way.
    A look-up never takes a text another delivery holds, so each ends with a text of its own:
    three at Twilio, not two (one taken twice) nor four (one sent twice)."""
    twilio.script.extend([TAKE_AND_DROP, ACCEPT, DROP])
    phone, deliveries = await texts_to_an_official(pool, [ANA, ANA, ANA])
    await drain()
    texts = twilio.to(phone)
    assert len({text.body for text in texts}) == 1, "the same words"
    rows = await rows_of(pool, deliveries)
    assert [row["status"] for row in rows] == ["sent"] * 3
    assert sorted(str(row["provider_id"]) for row in rows) == sorted(text.sid for text in texts)
    assert len(texts) == 3


async def test_each_text_names_its_delivery_once_at_twilio(
    pool: Pool, twilio: TwilioRecord, drain: Drain
) -> None:
    """Many texts, every fourth answer lost: each delivery's status callback is at Twilio
    exactly once."""
    signers = [(f"Signer {n}", "MX", False) for n in range(40)]
    twilio.script.extend([TAKE_AND_DROP, ACCEPT, DROP, ACCEPT] * 10)
    phone, deliveries = await texts_to_an_official(pool, signers)
    await drain()
    callbacks = Counter(text.status_callback for text in twilio.to(phone))
    assert sorted(callbacks.values()) == [1] * 40
    assert {str(url).rpartition("d=")[2] for url in callbacks} == {str(d) for d in deliveries}
    rows = await rows_of(pool, deliveries)
    assert {row["status"] for row in rows} == {"sent"}
