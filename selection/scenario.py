"""What-if scenarios: "if unemployment rises markedly" and changed targets.

A scenario is a set of changes, written ``key=value``:

* ``inflow=1.3``: every fund's inflow in every municipality and the national inflow × 1.3
* ``capacity=0.9``: every capacity × 0.9
* ``volume=45000`` or any other scalar target (``min_share=0.2``, ``funds_max=12``, ...)

``compare`` keeps the base selection fixed and shows its volume, share and broken constraints in
the scenario, then re-optimises and shows the new selection with a diff against the base.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from selection import text as t
from selection.check import check
from selection.errors import ProblemError
from selection.figures import compute_figures
from selection.problem import Fund, Problem
from selection.proposal import Proposal, proposal_from_selection

FACTORS = ("inflow", "capacity")
TARGETS = (
    "volume",
    "volume_tolerance",
    "min_share",
    "max_share",
    "funds_min",
    "funds_max",
    "treated_fraction",
    "min_comparison_share",
    "max_fund_share",
)


def parse_scenario(specs: Sequence[str]) -> dict[str, float]:
    """``["inflow=1.3", "volume=45000"]`` (or ``"inflow=1.3,volume=45000"``) -> changes."""
    changes: dict[str, float] = {}
    for spec in specs:
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, _, value = part.partition("=")
            key = key.strip()
            if key not in FACTORS + TARGETS:
                raise ProblemError(
                    f"scenario.{key}",
                    f"ukendt scenarie-nøgle '{key}'; brug {', '.join(FACTORS + TARGETS)}",
                    f"unknown scenario key '{key}'; use {', '.join(FACTORS + TARGETS)}",
                )
            try:
                number = float(value)
            except ValueError as error:
                raise ProblemError(
                    f"scenario.{key}",
                    f"{key} skal være et tal, fik '{value}'",
                    f"{key} must be a number, got '{value}'",
                ) from error
            if number < 0 or (key in FACTORS and number <= 0):
                raise ProblemError(
                    f"scenario.{key}",
                    f"{key} skal være positiv, fik {value}",
                    f"{key} must be positive, got {value}",
                )
            changes[key] = number
    return changes


def apply_scenario(problem: Problem, changes: Mapping[str, float]) -> Problem:
    """The problem under the scenario (population shares are unchanged)."""
    inflow = changes.get("inflow", 1.0)
    capacity = changes.get("capacity", 1.0)
    funds = tuple(_scaled(f, inflow, capacity) for f in problem.funds)
    targets: dict[str, Any] = {k: v for k, v in changes.items() if k in TARGETS}
    for key in ("funds_min", "funds_max"):
        if key in targets:
            targets[key] = int(targets[key])
    return replace(
        problem,
        funds=funds,
        national_inflow=problem.national_inflow * inflow,
        targets=replace(problem.targets, **targets),
    )


def _scaled(fund: Fund, inflow: float, capacity: float) -> Fund:
    return replace(
        fund,
        inflow={code: amount * inflow for code, amount in fund.inflow.items()},
        capacity=None if fund.capacity is None else fund.capacity * capacity,
    )


@dataclass(frozen=True)
class ScenarioReport:
    changes: Mapping[str, float]
    base: Proposal
    kept_volume: float  # the base selection's volume under the scenario
    kept_share: float
    kept_violations: tuple[str, ...]  # what the base selection breaks under the scenario
    proposal: Proposal  # re-optimised under the scenario
    added: tuple[str, ...]
    removed: tuple[str, ...]
    national_inflow: float

    def lines(self, lang: str = "da") -> list[str]:
        lines = [_changes_text(self.changes, lang)]
        lines.append(self._base_line(lang))
        lines.append(self._kept_line(lang))
        lines += [f"  – {v}" for v in self.kept_violations]
        lines.append(self._new_line(lang))
        return lines

    def _base_line(self, lang: str) -> str:
        b = self.base
        return t.pick(
            lang,
            f"Udgangspunkt: {len(b.selected)} a-kasser, {t.number(b.volume or 0)} forløb om året "
            f"({t.percent(b.share_of_national_inflow or 0)} af tilgangen).",
            f"Base: {len(b.selected)} funds, {t.number(b.volume or 0, 'en')} courses a year "
            f"({t.percent(b.share_of_national_inflow or 0, 'en')} of the inflow).",
        )

    def _kept_line(self, lang: str) -> str:
        ok_da = "holder alle krav" if not self.kept_violations else "bryder disse krav:"
        ok_en = "meets every requirement" if not self.kept_violations else "breaks these:"
        return t.pick(
            lang,
            f"Samme valg i scenariet: {t.number(self.kept_volume)} forløb om året "
            f"({t.percent(self.kept_share)} af en national tilgang på "
            f"{t.number(self.national_inflow)}); {ok_da}",
            f"Same selection in the scenario: {t.number(self.kept_volume, 'en')} courses a year "
            f"({t.percent(self.kept_share, 'en')} of a national inflow of "
            f"{t.number(self.national_inflow, 'en')}); {ok_en}",
        )

    def _new_line(self, lang: str) -> str:
        p = self.proposal
        if p.status not in ("optimal", "feasible"):
            return t.pick(
                lang,
                "Genoptimeret: ingen udvælgelse kan opfylde målene i scenariet (se diagnosen).",
                "Re-optimised: no selection meets the targets in the scenario (see the diagnosis).",
            )
        diff = ", ".join(
            [f"{f} {t.pick(lang, 'ud', 'out')}" for f in self.removed]
            + [f"{f} {t.pick(lang, 'ind', 'in')}" for f in self.added]
        ) or t.pick(lang, "samme a-kasser", "same funds")
        return t.pick(
            lang,
            f"Genoptimeret: {len(p.selected)} a-kasser, {t.number(p.volume or 0)} forløb om året "
            f"({t.percent(p.share_of_national_inflow or 0)} af tilgangen); {diff}.",
            f"Re-optimised: {len(p.selected)} funds, {t.number(p.volume or 0, 'en')} courses a "
            f"year ({t.percent(p.share_of_national_inflow or 0, 'en')} of the inflow); {diff}.",
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": dict(self.changes),
            "base": {
                "selected": list(self.base.selected_ids),
                "volume": self.base.volume,
                "share_of_national_inflow": self.base.share_of_national_inflow,
            },
            "kept": {
                "volume": self.kept_volume,
                "share_of_national_inflow": self.kept_share,
                "violations": list(self.kept_violations),
            },
            "national_inflow": self.national_inflow,
            "added": list(self.added),
            "removed": list(self.removed),
            "text": {"da": self.lines("da"), "en": self.lines("en")},
        }


def _changes_text(changes: Mapping[str, float], lang: str) -> str:
    parts = []
    for key, value in sorted(changes.items()):
        if key in FACTORS:
            word = {"inflow": ("tilgangen", "the inflow"), "capacity": ("kapaciteten", "capacity")}
            parts.append(f"{t.pick(lang, *word[key])} × {t.number(value, lang, 2)}")
        else:
            parts.append(f"{key} = {t.number(value, lang, 0 if value >= 100 else 3)}")
    return t.pick(lang, "Scenarie: ", "Scenario: ") + ", ".join(parts)


def compare(
    problem: Problem,
    changes: Mapping[str, float],
    *,
    base: Proposal,
    propose: Callable[[Problem], Proposal],
    lang: str = "da",
    clock: Callable[[], float] = time.perf_counter,
) -> ScenarioReport:
    """The base selection kept under the scenario, and the scenario re-optimised."""
    del clock
    scenario = apply_scenario(problem, changes)
    kept = base.selection
    figures = compute_figures(scenario, kept)
    kept_json = proposal_from_selection(
        scenario, kept, status="feasible", bound=None, seconds=0.0, solver=base.solver
    ).to_json()
    violations = tuple(check(scenario, kept_json, lang)) if kept else ()
    proposal = propose(scenario)
    now, before = set(proposal.selected_ids), set(base.selected_ids)
    return ScenarioReport(
        changes=dict(changes),
        base=base,
        kept_volume=figures.volume,
        kept_share=figures.share_of_national_inflow,
        kept_violations=violations,
        proposal=proposal,
        added=tuple(sorted(now - before)),
        removed=tuple(sorted(before - now)),
        national_inflow=scenario.national_inflow,
    )
