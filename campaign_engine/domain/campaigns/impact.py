"""What urgent actions achieved, across cases (docs/impact.md): how many cases were acted on,
how many saw an improvement (released, charges dropped, sentence commuted, a fair trial, access
to a lawyer, family or care), how many an outcome that was not one, how many wait for news, and
how long it took from a case's first action to its first outcome; overall, and by year, region
of the world, risk category and country.

A case counts once one of its actions has opened; its year is the year of its first action. It
is improved when any of its published outcomes is an improvement, as Amnesty counts
"improvements in more than a third of cases": a release after a worsening is still a release.
Only published outcomes count, so the public page and the workspace say the same.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from campaign_engine.db.campaigns import impact
from campaign_engine.db.campaigns.impact import CaseResult
from campaign_engine.db.pool import Pool
from campaign_engine.models.campaigns import Outcome

IMPROVEMENTS = frozenset(
    {
        Outcome.RELEASED,
        Outcome.CHARGES_DROPPED,
        Outcome.SENTENCE_COMMUTED,
        Outcome.FAIR_TRIAL_GRANTED,
        Outcome.ACCESS_GRANTED,
    }
)
# Countries shown one by one, the most acted on first; the rest are in their regions.
MOST_COUNTRIES = 20


@dataclass(frozen=True)
class ImpactGroup:
    """The cases of one year, region, risk category or country ("" for all of them)."""

    key: str
    cases: int
    improved: int
    other_outcome: int  # an outcome was published, none of them an improvement
    # From the first action to the first outcome, the middle case's; None: no outcome yet.
    median_to_outcome: timedelta | None

    @property
    def waiting(self) -> int:
        """No outcome published yet."""
        return self.cases - self.improved - self.other_outcome

    @property
    def improved_share(self) -> float:
        return self.improved / self.cases if self.cases else 0.0


@dataclass(frozen=True)
class Impact:
    overall: ImpactGroup
    by_year: tuple[ImpactGroup, ...]  # oldest first
    by_region: tuple[ImpactGroup, ...]  # most cases first
    by_theme: tuple[ImpactGroup, ...]
    by_country: tuple[ImpactGroup, ...]  # the MOST_COUNTRIES most acted on


async def read_impact(pool: Pool) -> Impact:
    """As of now: every outcome published so far counts."""
    async with pool.acquire() as conn:
        results = await impact.list_case_results(conn, sorted(IMPROVEMENTS))
    by_year = _grouped(results, lambda case: str(case.first_action_at.year))
    return Impact(
        overall=_group("", results),
        by_year=tuple(sorted(by_year, key=lambda group: group.key)),
        by_region=_largest_first(_grouped(results, lambda case: case.region)),
        by_theme=_largest_first(_grouped(results, lambda case: case.risk_category)),
        by_country=_largest_first(_grouped(results, lambda case: case.country))[:MOST_COUNTRIES],
    )


def _grouped(results: Iterable[CaseResult], key: Callable[[CaseResult], str]) -> list[ImpactGroup]:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for case in results:
        groups[key(case)].append(case)
    return [_group(name, cases) for name, cases in groups.items()]


def _largest_first(groups: list[ImpactGroup]) -> tuple[ImpactGroup, ...]:
    return tuple(sorted(groups, key=lambda group: (-group.cases, group.key)))


def _group(key: str, cases: list[CaseResult]) -> ImpactGroup:
    with_outcome = [case for case in cases if case.first_outcome_at is not None]
    # An outcome recorded as happening before the action (news that crossed it) took no time.
    seconds = [
        max((case.first_outcome_at - case.first_action_at).total_seconds(), 0)
        for case in with_outcome
        if case.first_outcome_at is not None
    ]
    improved = sum(1 for case in with_outcome if case.improved)
    return ImpactGroup(
        key=key,
        cases=len(cases),
        improved=improved,
        other_outcome=len(with_outcome) - improved,
        median_to_outcome=timedelta(seconds=statistics.median(seconds)) if seconds else None,
    )
