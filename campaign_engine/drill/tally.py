"""Counting what a fault cost, from what the recipients' side holds (the SMTP sink's record,
the Twilio stand-in's texts) against what the outbox says: plain functions of plain data, so
what they call lost or doubled can be checked by hand.

The words, as each row of the drill's table uses them:

- **lost**: a delivery the outbox has not sent, or says it sent while its message never
  arrived; a signature answered 2xx with no row behind it; a signature kept (whatever its
  answer) whose confirmation email never arrived.
- **duplicated**: one more message than there were deliveries, as its reader sees it: a text
  at Twilio that no delivery holds (the official got one text too many), a second email with
  a Message-ID of its own to the same signer, or an email no delivery accounts for.
- **raw resends**: an email that arrived again under the same Message-ID. A mailbox folds
  them into one message (emails are sent again under their Message-ID when their fate is
  unknown, by design), so they are counted apart and fail nothing.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from campaign_engine.bench.sink import Sunk, delivery_of

DONE = frozenset({"sent", "delivered"})


@dataclass(frozen=True)
class Row:
    """An outbox row as the drill reads it."""

    id: str
    channel: str
    status: str
    provider_id: str | None


@dataclass(frozen=True)
class Text:
    """A text as the Twilio stand-in holds it."""

    sid: str
    to: str


@dataclass(frozen=True)
class Count:
    sent: int
    lost: int
    duplicated: int
    resends: int = 0


def count_emails(rows: Iterable[Row], sunk: Iterable[Sunk]) -> Count:
    """Email rows against the sink's record, by Message-ID."""
    copies = Counter(message.message_id for message in sunk)
    ours = {row.id: row for row in rows if row.channel == "email"}
    arrived = {delivery_of(message_id) for message_id in copies}
    sent = sum(1 for row in ours.values() if row.status in DONE and row.id in arrived)
    strangers = sum(1 for message_id in copies if delivery_of(message_id) not in ours)
    resends = sum(n - 1 for message_id, n in copies.items() if delivery_of(message_id) in ours)
    return Count(sent, len(ours) - sent, strangers, resends)


def count_texts(rows: Iterable[Row], texts: Iterable[Text]) -> Count:
    """Text rows against the texts Twilio holds, by sid: each sent row must hold a text of
    its own (provider_id is unique), and every text must be held by a row."""
    ours = [row for row in rows if row.channel == "sms"]
    sids = {text.sid for text in texts}
    held = {row.provider_id for row in ours if row.status in DONE and row.provider_id}
    sent = sum(1 for row in ours if row.status in DONE and row.provider_id in sids)
    return Count(sent, len(ours) - sent, len(sids - held))


def count_confirmations(
    accepted: Iterable[str], kept: set[str], sunk: Iterable[Sunk]
) -> tuple[Count, dict[str, float]]:
    """Signatures answered 2xx (their addresses) and those kept (whatever their answer)
    against the confirmation emails that reached the sink: a 2xx with no row is lost, and so
    is a row whose confirmation never came. Also when each signer's first one arrived."""
    accepted = set(accepted)
    by_signer: dict[str, Counter[str]] = defaultdict(Counter)
    first: dict[str, float] = {}
    for message in sunk:
        for recipient in message.recipients:
            by_signer[recipient][message.message_id] += 1
            first[recipient] = min(first.get(recipient, message.at), message.at)
    ours = [copies for signer, copies in by_signer.items() if signer in accepted or signer in kept]
    sent = sum(len(copies) for copies in ours)
    duplicated = sum(len(copies) - 1 for copies in ours)
    resends = sum(n - 1 for copies in ours for n in copies.values())
    lost = len(accepted - kept) + len(kept - by_signer.keys())
    return Count(sent, lost, duplicated, resends), first


def seconds(values: list[float]) -> str:
    if not values:
        return "-"
    return f"max {max(values):.1f} s, median {statistics.median(values):.1f} s"


@dataclass
class FaultResult:
    """One row of the drill's table, and what to read beside it."""

    fault: str
    tried: int
    sent: int
    lost: int
    duplicated: int
    resends: int
    recovery: str
    status_500: int | None = None  # None: the fault puts no load on the API
    status_503: int | None = None
    no_answer: int | None = None
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def judge(self) -> FaultResult:
        """What fails the drill whatever the fault (each fault adds its own reasons)."""
        counted = ((self.lost, "lost"), (self.duplicated, "duplicated"))
        self.failures[:0] = [f"{count} {what}" for count, what in counted if count]
        if self.status_500:
            self.failures.append(f"{self.status_500} answered 500")
        if self.no_answer:
            self.failures.append(f"{self.no_answer} never answered")
        return self


COLUMNS = (
    "fault",
    "tried",
    "sent",
    "lost",
    "duplicated",
    "raw resends",
    "500",
    "503",
    "no answer",
    "recovery",
)


def table(results: list[FaultResult]) -> str:
    def cell(value: int | None) -> str:
        return "-" if value is None else str(value)

    rows = [
        [
            r.fault,
            str(r.tried),
            str(r.sent),
            str(r.lost),
            str(r.duplicated),
            str(r.resends),
            cell(r.status_500),
            cell(r.status_503),
            cell(r.no_answer),
            r.recovery,
        ]
        for r in results
    ]
    widths = [max(len(row[i]) for row in [list(COLUMNS), *rows]) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        for row in [list(COLUMNS), *rows]
    ]
    failed = [f"{r.fault}: {', '.join(r.failures)}" for r in results if r.failures]
    verdict = "FAIL\n  " + "\n  ".join(failed) if failed else "PASS: nothing lost or duplicated"
    return "\n".join([*lines, f"verdict: {verdict}"])
