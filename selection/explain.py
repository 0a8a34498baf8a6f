"""Why each eligible a-kasse is in or out of a proposal, in plain Danish (or English).

For a chosen fund: the best objective if it were forced out. For an eligible fund left out: the
best objective if it were forced in, or what makes that impossible. One model is reused: the
fund's selection variable is fixed, the model re-solved and the bound restored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from selection import text as t
from selection.diagnose import diagnose
from selection.engine import OPTIMALITY_GAP, forced, solve_model
from selection.errors import ProposalError
from selection.model import Model, build_model
from selection.problem import Problem
from selection.proposal import Proposal

EXPLAIN_TIME = 10.0


@dataclass(frozen=True)
class Explanation:
    fund: str
    chosen: bool
    status: str  # optimal | feasible | infeasible | locked | ineligible | error
    objective: float | None  # best objective with the fund switched (forced out or in)
    delta: float | None  # that objective minus the proposal's
    change: tuple[tuple[str, ...], tuple[str, ...]]  # (funds in, funds out) when switched
    da: str
    en: str

    def text(self, lang: str = "da") -> str:
        return t.pick(lang, self.da, self.en)

    def to_json(self) -> dict[str, Any]:
        return {
            "fund": self.fund,
            "chosen": self.chosen,
            "status": self.status,
            "objective_if_switched": self.objective,
            "delta": self.delta,
            "funds_in": list(self.change[0]),
            "funds_out": list(self.change[1]),
            "text": {"da": self.da, "en": self.en},
        }


def explain(
    problem: Problem,
    proposal: Proposal | Mapping[str, Any],
    fund: str | None = None,
    lang: str = "da",
    *,
    time_limit: float = EXPLAIN_TIME,
    solver: str = "highs",
    gap: float = OPTIMALITY_GAP,
    model: Model | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[Explanation]:
    """Explanations for every eligible fund (or only ``fund``), sorted by fund id.

    ``lang`` only checks the language here: each explanation carries both texts.
    """
    t.check_lang(lang)
    objective, chosen = _read_proposal(proposal)
    ids = [f.id for f in problem.funds if f.eligible] if fund is None else [fund]
    if fund is not None and fund not in problem.fund_ids:
        raise ProposalError(f"ukendt a-kasse '{fund}'", f"unknown fund '{fund}'")
    model = model or build_model(problem)
    context = _Context(problem, model, objective, chosen, (time_limit, gap), solver, clock)
    return [context.explain(fund_id) for fund_id in sorted(ids)]


def _read_proposal(proposal: Proposal | Mapping[str, Any]) -> tuple[float, frozenset[str]]:
    data = proposal.to_json() if isinstance(proposal, Proposal) else proposal
    objective = data.get("objective")
    selected = data.get("selected")
    if not isinstance(objective, int | float) or not isinstance(selected, list):
        raise ProposalError(
            "forslaget har ingen løsning at forklare (objective eller selected mangler)",
            "the proposal has no solution to explain (objective or selected is missing)",
        )
    return float(objective), frozenset(str(s.get("id")) for s in selected)


@dataclass
class _Context:
    problem: Problem
    model: Model
    objective: float
    chosen: frozenset[str]
    limits: tuple[float, float]  # time limit per solve, gap
    solver: str
    clock: Callable[[], float]

    def explain(self, fund_id: str) -> Explanation:
        fund = self.problem.fund(fund_id)
        is_chosen = fund_id in self.chosen
        if not fund.eligible:
            return _plain(fund_id, is_chosen, "ineligible", *_ineligible_text(fund_id))
        if fund_id in self.problem.locks_include | self.problem.locks_exclude:
            side = fund_id in self.problem.locks_include
            return _plain(fund_id, is_chosen, "locked", *_locked_text(fund_id, side))
        if not self.problem.extent(fund):
            return _plain(fund_id, is_chosen, "infeasible", *_no_extent_text(fund_id))
        with forced(self.model, fund_id, 0 if is_chosen else 1):
            outcome = solve_model(
                self.model,
                time_limit=self.limits[0],
                solver=self.solver,
                gap=self.limits[1],
                clock=self.clock,
            )
        if outcome.selection is None or outcome.objective is None:
            return self._impossible(fund_id, is_chosen, outcome.status)
        from selection.figures import compute_figures

        objective = compute_figures(self.problem, outcome.selection).objective
        now = set(outcome.selection)
        change = (tuple(sorted(now - self.chosen)), tuple(sorted(self.chosen - now)))
        da, en = _switched_text(fund_id, is_chosen, objective, self.objective, change)
        return Explanation(
            fund_id,
            is_chosen,
            outcome.status,
            objective,
            objective - self.objective,
            change,
            da,
            en,
        )

    def _impossible(self, fund_id: str, is_chosen: bool, status: str) -> Explanation:
        if status != "infeasible":
            return _plain(fund_id, is_chosen, "error", *_timeout_text(fund_id))
        if is_chosen:
            switched = replace(self.problem, locks_exclude=self.problem.locks_exclude | {fund_id})
        else:
            switched = replace(self.problem, locks_include=self.problem.locks_include | {fund_id})
        reason = diagnose(switched, time_limit=self.limits[0])
        first = reason.findings[0] if reason.findings else None
        why_da = first.da if first else ""
        why_en = first.en if first else ""
        if is_chosen:
            da = f"{fund_id} er med i forslaget og kan ikke undværes: uden {fund_id} kan målene "
            da += f"ikke nås. {why_da}"
            en = f"{fund_id} is in the proposal and cannot be left out: without {fund_id} the "
            en += f"targets cannot be met. {why_en}"
        else:
            da = f"{fund_id} kan ikke komme med: med {fund_id} valgt kan målene ikke nås. {why_da}"
            en = f"{fund_id} cannot be included: with {fund_id} chosen the targets cannot be met. "
            en += why_en
        return _plain(fund_id, is_chosen, "infeasible", da.strip(), en.strip())


def _plain(fund_id: str, chosen: bool, status: str, da: str, en: str) -> Explanation:
    return Explanation(fund_id, chosen, status, None, None, ((), ()), da, en)


def _ineligible_text(fund_id: str) -> tuple[str, str]:
    return (
        f"{fund_id} er ikke støtteberettiget efter Trin 2 og kan ikke vælges.",
        f"{fund_id} is not eligible after Trin 2 and cannot be chosen.",
    )


def _locked_text(fund_id: str, included: bool) -> tuple[str, str]:
    if included:
        return (f"{fund_id} er låst ind i forslaget.", f"{fund_id} is locked into the proposal.")
    return (f"{fund_id} er låst ude af forslaget.", f"{fund_id} is locked out of the proposal.")


def _no_extent_text(fund_id: str) -> tuple[str, str]:
    return (
        f"{fund_id} har ingen godkendt udstrækning uden for frikommunerne.",
        f"{fund_id} has no approved extent outside the excluded municipalities.",
    )


def _timeout_text(fund_id: str) -> tuple[str, str]:
    return (
        f"For {fund_id} blev der ikke fundet et svar inden for tidsgrænsen.",
        f"No answer was found for {fund_id} within the time limit.",
    )


def _switched_text(
    fund_id: str,
    chosen: bool,
    objective: float,
    current: float,
    change: tuple[tuple[str, ...], tuple[str, ...]],
) -> tuple[str, str]:
    worse = (objective - current) / current if current > 0 else 0.0
    others_in = [f for f in change[0] if f != fund_id]
    others_out = [f for f in change[1] if f != fund_id]
    swap_da, swap_en = _swap_words(others_in, others_out)
    value_da = f"{t.decimal(objective)} mod {t.decimal(current)} nu"
    value_en = f"{t.decimal(objective, 'en')} against {t.decimal(current, 'en')} now"
    if worse > 1e-9:
        value_da += f" ({t.percent(worse)} dårligere)"
        value_en += f" ({t.percent(worse, 'en')} worse)"
    if chosen:
        return (
            f"{fund_id} er med i forslaget. Uden {fund_id} bliver den bedste samlede afvigelse "
            f"{value_da}{swap_da}.",
            f"{fund_id} is in the proposal. Without {fund_id} the best total deviation is "
            f"{value_en}{swap_en}.",
        )
    return (
        f"{fund_id} er ikke med. Med {fund_id} bliver den bedste samlede afvigelse "
        f"{value_da}{swap_da}.",
        f"{fund_id} is not in the proposal. With {fund_id} the best total deviation is "
        f"{value_en}{swap_en}.",
    )


def _swap_words(added: list[str], removed: list[str]) -> tuple[str, str]:
    """ "; så kommer X med, og Y ryger ud" / "; instead X in, Y out"."""
    if not added and not removed:
        return "", ""
    if added and removed:
        da = f"; så kommer {t.join_words(added)} med, og {t.join_words(removed)} ryger ud"
    elif added:
        da = f"; så kommer {t.join_words(added)} med"
    else:
        da = f"; så ryger {t.join_words(removed)} ud"
    parts = [f"{f} in" for f in added] + [f"{f} out" for f in removed]
    return da, "; instead " + ", ".join(parts)
