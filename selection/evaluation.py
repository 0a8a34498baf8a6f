"""The evaluation design of a proposal: where each chosen a-kasse's comparison group is, and how
small an effect the trial can detect.

Comparison group of a chosen fund f: its members' inflow that is not treated, i.e. everything
outside the covered municipalities (uncovered parts of its extent, outside its extent, and the
frikommuner) plus the untreated share 1 − φ inside covered ones. It is reported per region and
split into frikommuner / other municipalities, with a warning when it lies mostly (over half) in
frikommuner or in one region, or is empty: the 2019 lesson, where the national a-kasser had only
their members in the frikommuner to compare with, and nothing could be concluded for them.

Minimum detectable effect (MDE) on the 52-week employment rate, two-sample test of proportions
with equal baseline p in both groups, two-sided α = 0.05 and power 0.8:

    MDE = (z_{1−α/2} + z_{power}) · sqrt(p · (1 − p) · (1/n_T + 1/n_C))

with n_T = treated volume · years and n_C = comparison inflow · years (people over the trial
period), z from the standard normal distribution (1.960 and 0.842). Per fund, and overall with
n_T = V · years and n_C = the chosen funds' comparison inflow · years. An approximation: it
ignores clustering by municipality and the difference-in-differences design, so the real MDE is
larger; it is meant for comparing proposals, not for a power calculation of the evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from selection import text as t
from selection.figures import Selection
from selection.problem import Problem

ALPHA = 0.05
POWER = 0.8
MOSTLY = 0.5


@dataclass(frozen=True)
class FundDesign:
    fund: str
    treated: float
    comparison: float
    comparison_by_region: Mapping[str, float]
    comparison_in_excluded: float
    mde: float | None  # in proportion points (0.012 = 1.2 percentage points)
    warnings: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def text(self, lang: str = "da") -> str:
        excluded = self.comparison_in_excluded / self.comparison if self.comparison > 0 else 0.0
        mde_da = (
            f"{t.number(100 * self.mde, 'da', 1)} procentpoint" if self.mde else "kan ikke beregnes"
        )
        mde_en = (
            f"{t.number(100 * self.mde, 'en', 1)} percentage points"
            if self.mde
            else "cannot be computed"
        )
        return t.pick(
            lang,
            f"{self.fund}: {t.number(self.treated)} behandlede om året; sammenligningsgruppe "
            f"{t.number(self.comparison)} om året ({t.percent(excluded, 'da', 0)} i frikommuner); "
            f"mindste påviselige effekt {mde_da}.",
            f"{self.fund}: {t.number(self.treated, 'en')} treated a year; comparison group "
            f"{t.number(self.comparison, 'en')} a year ({t.percent(excluded, 'en', 0)} in excluded "
            f"municipalities); minimum detectable effect {mde_en}.",
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "fund": self.fund,
            "treated_volume": self.treated,
            "comparison_inflow": self.comparison,
            "comparison_by_region": dict(self.comparison_by_region),
            "comparison_in_excluded": self.comparison_in_excluded,
            "comparison_outside_excluded": self.comparison - self.comparison_in_excluded,
            "mde": self.mde,
            "warnings": [{"da": da, "en": en} for da, en in self.warnings],
            "text": {"da": self.text("da"), "en": self.text("en")},
        }


@dataclass(frozen=True)
class EvaluationDesign:
    baseline_rate: float
    years: float
    funds: tuple[FundDesign, ...]
    treated: float
    comparison: float
    mde: float | None

    def lines(self, lang: str = "da") -> list[str]:
        mde = "–" if self.mde is None else t.number(100 * self.mde, lang, 2)
        head = t.pick(
            lang,
            f"Samlet: {t.number(self.treated)} behandlede og {t.number(self.comparison)} i "
            f"sammenligningsgrupperne om året; over {t.number(self.years)} år kan en effekt på "
            f"{mde} procentpoint på beskæftigelsen efter 52 uger påvises "
            f"(grundniveau {t.percent(self.baseline_rate, 'da', 0)}).",
            f"Overall: {t.number(self.treated, 'en')} treated and "
            f"{t.number(self.comparison, 'en')} in the comparison groups a year; over "
            f"{t.number(self.years, 'en')} years an effect of {mde} percentage points on the "
            f"52-week employment rate can be detected (baseline "
            f"{t.percent(self.baseline_rate, 'en', 0)}).",
        )
        lines = [head]
        for design in self.funds:
            lines.append(design.text(lang))
            lines += [f"  ! {t.pick(lang, da, en)}" for da, en in design.warnings]
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "method": "two-sample proportions, alpha 0.05 two-sided, power 0.8",
            "alpha": ALPHA,
            "power": POWER,
            "baseline_rate": self.baseline_rate,
            "years": self.years,
            "treated_volume": self.treated,
            "comparison_inflow": self.comparison,
            "mde": self.mde,
            "funds": [f.to_json() for f in self.funds],
            "text": {"da": self.lines("da"), "en": self.lines("en")},
        }


def minimum_detectable_effect(
    treated: float, comparison: float, baseline: float, alpha: float = ALPHA, power: float = POWER
) -> float | None:
    """MDE of a two-sample proportions test (sizes in people); None if a group is empty."""
    if treated <= 0 or comparison <= 0 or not 0 < baseline < 1:
        return None
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return z * math.sqrt(baseline * (1 - baseline) * (1 / treated + 1 / comparison))


def design(
    problem: Problem, selection: Selection, baseline: float | None = None
) -> EvaluationDesign:
    """The evaluation design of ``selection``; ``baseline`` overrides the problem's rate."""
    p = problem.baseline_rate if baseline is None else baseline
    funds = tuple(_fund_design(problem, f, selection[f], p) for f in sorted(selection))
    treated = sum(f.treated for f in funds)
    comparison = sum(f.comparison for f in funds)
    years = problem.years
    return EvaluationDesign(
        baseline_rate=p,
        years=years,
        funds=funds,
        treated=treated,
        comparison=comparison,
        mde=minimum_detectable_effect(treated * years, comparison * years, p),
    )


def _fund_design(problem: Problem, fund_id: str, covered: tuple[str, ...], p: float) -> FundDesign:
    fund, phi = problem.fund(fund_id), problem.targets.treated_fraction
    cover = set(covered)
    by_region: dict[str, float] = {}
    excluded = 0.0
    treated = 0.0
    for code, amount in sorted(fund.inflow.items()):
        untreated = amount * (1 - phi) if code in cover else amount
        treated += amount - untreated
        region = problem.region_of(code)
        by_region[region] = by_region.get(region, 0.0) + untreated
        if code in problem.excluded:
            excluded += untreated
    comparison = sum(by_region.values())
    years = problem.years
    return FundDesign(
        fund=fund_id,
        treated=treated,
        comparison=comparison,
        comparison_by_region={r: v for r, v in sorted(by_region.items()) if v > 0},
        comparison_in_excluded=excluded,
        mde=minimum_detectable_effect(treated * years, comparison * years, p),
        warnings=_warnings(fund_id, comparison, excluded, by_region),
    )


def _warnings(
    fund_id: str, comparison: float, excluded: float, by_region: Mapping[str, float]
) -> tuple[tuple[str, str], ...]:
    if comparison <= 0:
        return (
            (
                f"{fund_id} har ingen sammenligningsgruppe: effekten kan ikke evalueres.",
                f"{fund_id} has no comparison group: its effect cannot be evaluated.",
            ),
        )
    found = []
    if excluded / comparison > MOSTLY:
        found.append(
            (
                f"{fund_id}'s sammenligningsgruppe bor mest i frikommuner "
                f"({t.percent(excluded / comparison, 'da', 0)}), som i 2019.",
                f"{fund_id}'s comparison group lives mostly in excluded municipalities "
                f"({t.percent(excluded / comparison, 'en', 0)}), as in 2019.",
            )
        )
    region, amount = max(sorted(by_region.items()), key=lambda item: item[1])
    if len(by_region) > 1 and amount / comparison > MOSTLY or len(by_region) == 1:
        found.append(
            (
                f"{fund_id}'s sammenligningsgruppe bor mest i {t.region_name(region)} "
                f"({t.percent(amount / comparison, 'da', 0)}).",
                f"{fund_id}'s comparison group lives mostly in {t.region_name(region, 'en')} "
                f"({t.percent(amount / comparison, 'en', 0)}).",
            )
        )
    return tuple(found)
