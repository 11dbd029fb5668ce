"""The fault drill (`campaign-engine drill`) finds the failures it reports on: a text sent
twice, a row marked sent whose message never arrived, a 2xx with no row, a 500, a 503 where
none is due. Its counting is plain functions of what the sinks and the outbox hold; here they
are given each failure by hand."""

from __future__ import annotations

import uuid

from campaign_engine.bench.sink import Sunk
from campaign_engine.drill.load import Answer
from campaign_engine.drill.signing import Signed, backlog, signing_result
from campaign_engine.drill.tally import Count, Row, Text, count_emails, count_texts

OFFICIAL = "+33640000001"


def a_row(channel: str, status: str = "sent", provider_id: str | None = None) -> Row:
    return Row(str(uuid.uuid4()), channel, status, provider_id)


def email_of(row: Row, at: float = 0.0, to: str = "official@example.org") -> Sunk:
    return Sunk(at, f"<delivery-{row.id}@example.org>", (to,))


def test_texts_count_a_text_no_row_holds_as_a_duplicate_and_a_row_without_its_text_as_lost() -> (
    None
):
    once, twice, never_sent, sent_but_missing = (
        a_row("sms", provider_id="SM1"),
        a_row("sms", provider_id="SM2"),
        a_row("sms", status="ambiguous"),
        a_row("sms", provider_id="SM9"),
    )
    at_twilio = [Text(sid, OFFICIAL) for sid in ("SM1", "SM2", "SM3")]  # SM3: twice's twin
    counted = count_texts([once, twice, never_sent, sent_but_missing], at_twilio)
    assert counted == Count(sent=2, lost=2, duplicated=1)
    assert count_texts([once, twice], at_twilio[:2]) == Count(sent=2, lost=0, duplicated=0)


def test_emails_fold_a_resend_under_one_message_id_and_count_a_stranger_as_a_duplicate() -> None:
    sent, resent, missing = a_row("email"), a_row("email"), a_row("email")
    stranger = Sunk(0.0, f"<delivery-{uuid.uuid4()}@example.org>", ("official@example.org",))
    sunk = [email_of(sent), email_of(resent), email_of(resent), stranger]
    counted = count_emails([sent, resent, missing], sunk)
    assert counted == Count(sent=2, lost=1, duplicated=1, resends=1)


def signed(answers: list[Answer], kept: set[str], sunk: list[Sunk]) -> Signed:
    return Signed(answers, sunk, kept, confirmed=True, worker_log="")


def test_a_2xx_without_its_row_or_a_row_without_its_confirmation_is_lost() -> None:
    fine, no_row, no_email, doubled, refused = (f"signer{n}@example.org" for n in range(5))
    answers = [Answer(email, 1.0, 1.1, 202) for email in (fine, no_row, no_email, doubled)]
    answers.append(Answer(refused, 1.0, 1.1, 503, "60"))  # kept all the same, never confirmed
    sunk = [
        Sunk(2.0, "<delivery-a@example.org>", (fine,)),
        Sunk(2.5, "<delivery-a@example.org>", (fine,)),  # a raw resend: folded
        Sunk(3.0, "<delivery-b@example.org>", (doubled,)),
        Sunk(4.0, "<delivery-c@example.org>", (doubled,)),  # another message: a duplicate
        Sunk(2.0, "<delivery-d@example.org>", (no_row,)),  # its row is not in the database
    ]
    kept = {fine, no_email, doubled, refused}
    result = signing_result("test", signed(answers, kept, sunk), "-", outage_503=True).judge()
    assert (result.lost, result.duplicated, result.resends) == (3, 1, 1)
    assert result.failures == ["3 lost", "1 duplicated"]


def test_a_500_fails_and_a_503_fails_unless_the_database_is_away_and_retry_after_is_said() -> None:
    def answers(*statuses: tuple[int, str | None]) -> Signed:
        made = [
            Answer(f"s{n}@example.org", 1.0, 1.1, status, retry_after)
            for n, (status, retry_after) in enumerate(statuses)
        ]
        return signed(made, set(), [])

    server_error = signing_result("test", answers((500, None)), "-").judge()
    assert server_error.failures == ["1 answered 500"]
    assert server_error.status_500 == 1
    unavailable = answers((503, "60"))
    assert signing_result("test", unavailable, "-").failures == ["1 answered 503"]
    assert signing_result("test", unavailable, "-", outage_503=True).passed
    bare = signing_result("test", answers((503, None)), "-", outage_503=True)
    assert bare.failures == ["1 answered 503 without Retry-After"]
    unanswered = signed(
        [Answer("s@example.org", 1.0, 31.0, None, failure="TimeoutError")], set(), []
    )
    assert signing_result("test", unanswered, "-").judge().failures == ["1 never answered"]


def test_the_backlog_is_what_had_not_arrived_when_the_server_came_back() -> None:
    early, during, never = (f"signer{n}@example.org" for n in range(3))
    answers = [Answer(email, at, at + 0.1, 202) for email, at in ((early, 1.0), (during, 5.0))]
    sunk = [
        Sunk(2.0, "<delivery-a@example.org>", (early,)),
        Sunk(14.0, "<delivery-b@example.org>", (during,)),
    ]
    both = signed(answers, {early, during}, sunk)
    assert backlog(both, since=10.0) == (1, 4.0)
    missing = signed([*answers, Answer(never, 6.0, 6.1, 202)], {early, during, never}, sunk)
    assert backlog(missing, since=10.0) == (2, None)
