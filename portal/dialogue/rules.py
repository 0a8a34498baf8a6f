"""Pure rules of the dialogue meeting: the distribution of consolidated scores per criterion
and which interpretation versions the scores relied on.

No Flask and no database: plain values in, frozen dataclasses out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One value of the scale (`score` None: "kan ikke vurderes") and how many consolidated
    scores had it; `funds` names them only when names may be shown."""

    score: int | None
    count: int
    funds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Distribution:
    bars: tuple[Bar, ...]
    threshold: int

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)

    @property
    def meeting(self) -> int:
        """How many scores reach the criterion's threshold."""
        return sum(
            bar.count for bar in self.bars if bar.score is not None and bar.score >= self.threshold
        )


def distribution(
    scale_min: int,
    scale_max: int,
    threshold: int,
    scores: Iterable[tuple[int | None, str | None]],
) -> Distribution:
    """Counts per scale value from `scale_min` to `scale_max` (every value, zero or not), then
    "cannot be assessed" (None). `scores` are (score, fund name or None); a bar lists the
    names given, sorted, so a caller that passes None keeps every fund anonymous. A score off
    the scale (a criterion whose scale changed) gets a bar of its own rather than vanishing."""
    counts: Counter[int | None] = Counter()
    names: dict[int | None, list[str]] = {}
    for score, fund in scores:
        counts[score] += 1
        if fund:
            names.setdefault(score, []).append(fund)
    on_scale = set(range(scale_min, scale_max + 1)) | {s for s in counts if s is not None}
    values: list[int | None] = [*sorted(on_scale), None]
    bars = tuple(Bar(value, counts[value], tuple(sorted(names.get(value, [])))) for value in values)
    return Distribution(bars, threshold)


@dataclass(frozen=True)
class Reliance:
    """How many consolidated scores relied on each published version (by version number), and
    how many were signed off before any interpretation of the criterion was published."""

    by_version: tuple[tuple[int, int], ...]
    unlinked: int


def reliance(versions: Sequence[int | None]) -> Reliance:
    """From the version number each score relied on (None: none)."""
    counts = Counter(v for v in versions if v is not None)
    return Reliance(tuple(sorted(counts.items())), sum(1 for v in versions if v is None))
