"""What `bench letters` found, and how it prints it (bench/letters.py measures)."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

SHEET_TARGET_MS = 300
LETTERS_TARGET_S = 60
SHEET_LOCALES = ("en", "ar", "zh-Hans")


@dataclass
class Parts:
    """What a document's milliseconds went on: the database, the words (Python: the QR code,
    dates, labels, salutations), and the rest, Typst (the thread and the lock included)."""

    reading: list[float] = field(default_factory=list)
    wording: list[float] = field(default_factory=list)
    typst: list[float] = field(default_factory=list)

    def add(self, total: float, reading: float, wording: float) -> None:
        self.reading.append(reading)
        self.wording.append(wording)
        self.typst.append(total - reading - wording)

    def describe(self) -> str:
        parts = (("database", self.reading), ("words", self.wording), ("Typst", self.typst))
        return ", ".join(f"{name} {statistics.median(ms):.1f}" for name, ms in parts if ms)


@dataclass(frozen=True)
class Spread:
    """Milliseconds of several tries: their median and 95th percentile."""

    median: float
    p95: float

    @classmethod
    def of(cls, times: Sequence[float]) -> Spread:
        if len(times) < 2:
            return cls(times[0], times[0])
        return cls(statistics.median(times), statistics.quantiles(times, n=20)[-1])


@dataclass
class Found:
    renders: int
    first: dict[str, float] = field(default_factory=dict)
    same: dict[str, Spread] = field(default_factory=dict)
    other: dict[str, Spread] = field(default_factory=dict)
    http: dict[str, Spread] = field(default_factory=dict)
    floor: dict[str, Spread] = field(default_factory=dict)
    first_letters: float = 0.0
    letters_seconds: float = 0.0
    letters_each: Spread = Spread(0, 0)
    letters_count: int = 0
    supporters: int = 0
    different: int = 0
    letters_floor: Spread = Spread(0, 0)
    letters_new_action: Spread = Spread(0, 0)
    memory: tuple[float, float, float] = (0.0, 0.0, 0.0)  # this process, around the letters
    load: float = 0.0  # the 1-minute load average before the first PDF
    started_mib: float = 0.0  # this process before its first PDF
    web_mib: tuple[float, float, float] = (0.0, 0.0, 0.0)  # ready, after its sheets, peak
    sheet_parts: dict[str, Parts] = field(default_factory=dict)
    letter_parts: Parts = field(default_factory=Parts)


def report(found: Found, load: float, officials: list[str]) -> None:
    thousand = found.letters_seconds * 1000 / max(found.supporters, 1)  # seconds for 1,000
    slowest = max(SHEET_LOCALES, key=lambda locale: found.other[locale].p95)
    sheet_p95 = found.other[slowest].p95
    lines = [
        "campaign-engine bench letters: one process compiling one PDF at a time, as a web "
        f"process does (one Typst compiler per template, under a lock); {os.cpu_count()} CPUs, "
        f"load {found.load:.2f} before, {load:.2f} after (1-minute average)",
        f"  officials    {len(officials)}, writing in "
        + ", ".join(officials)
        + "; the demo's texts",
        *_sheet_lines(found),
        *_letter_lines(found),
        f"  {'target':<38}{'measured':<42}",
        _target_row(
            f"a case sheet under {SHEET_TARGET_MS} ms warm",
            f"another action's, {slowest} p95 {sheet_p95:.0f} ms",
            sheet_p95 < SHEET_TARGET_MS,
        ),
        _target_row(
            f"1,000 personal letters under {LETTERS_TARGET_S} s",
            f"1,000 supporters' PDFs in {thousand:.1f} s",
            thousand < LETTERS_TARGET_S,
        ),
    ]
    print("\n".join(lines), flush=True)


def _sheet_lines(found: Found) -> list[str]:
    ready, after, peak = found.web_mib
    lines = [
        "  first sheet  "
        + ", ".join(f"{locale} {found.first[locale]:.0f} ms" for locale in SHEET_LOCALES)
        + " (the compiler made, each script's font read on first use)",
        f"  case sheet, A4, {found.renders} of each{'':4}{'median':>8}{'p95':>8}"
        f"{'floor':>8}{'ratio':>8}   (ms)",
    ]
    for locale in SHEET_LOCALES:
        floor = found.floor[locale].median
        rows: list[tuple[str, Spread, float | None]] = [
            ("the same again", found.same[locale], None),
            ("another action's", found.other[locale], floor),
            ("another, over HTTP", found.http[locale], floor),
        ]
        for name, spread, beside in rows:
            figures = f"{spread.median:>8.1f}{spread.p95:>8.1f}"
            if beside:
                figures += f"{beside:>8.1f}{spread.median / beside:>7.1f}×"
            lines.append(f"    {locale:<8}{name:<24}{figures}")
    lines += [
        "  another's    medians, ms: "
        + "; ".join(f"{locale} {found.sheet_parts[locale].describe()}" for locale in SHEET_LOCALES),
        f"  memory       this process {found.started_mib:.0f} MiB before its first PDF; "
        f"the web process {ready:.0f} MiB ready, {after:.0f} after its sheets (peak {peak:.0f})",
    ]
    return lines


def _letter_lines(found: Found) -> list[str]:
    each = found.letters_seconds * 1000 / max(found.supporters, 1)
    per_letter = found.letters_seconds * 1000 / max(found.letters_count, 1)
    floor = found.letters_floor.median
    before, after, peak = found.memory
    return [
        f"  letters      {found.supporters:,} supporters' PDFs ({found.different:,} different), "
        f"{found.letters_count:,} letters, in {found.letters_seconds:.1f} s: {each:.1f} ms a PDF "
        f"(median {found.letters_each.median:.1f}, p95 {found.letters_each.p95:.1f}), "
        f"{per_letter:.1f} ms a letter",
        f"               floor {floor:.1f} ms (a page, a line in each of the PDF's languages); "
        f"a PDF {found.letters_each.median / floor:.1f}× that",
        f"               a PDF's medians, ms: {found.letter_parts.describe()}",
        f"               the first of the process {found.first_letters:.0f} ms; the first of "
        f"an action not printed before, median {found.letters_new_action.median:.1f}, "
        f"p95 {found.letters_new_action.p95:.1f} ms",
        f"               memory of this process {before:.0f} MiB before, {after:.0f} after "
        f"(peak {peak:.0f})",
    ]


def _target_row(target: str, measured: str, met: bool) -> str:
    return f"  {target:<38}{measured:<42}{'met' if met else 'short'}"
