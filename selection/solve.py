"""``propose``: from a problem to a ``selection-proposal/1`` (the package's main entry point).

The proposal carries the contract's keys and, as extensions, ``evaluation`` (always, when there
is a selection), ``explanations`` and ``alternatives`` (when asked), ``diagnosis`` (when
infeasible) and ``scenario`` (from ``propose_scenario``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from selection import text
from selection.alternatives import find_alternatives
from selection.diagnose import diagnose
from selection.engine import OPTIMALITY_GAP, ProgressCallback, solve_problem
from selection.evaluation import design
from selection.explain import explain
from selection.model import Model
from selection.problem import Problem
from selection.proposal import Proposal, empty_proposal, proposal_from_selection
from selection.scenario import compare

DIAGNOSIS_TIME = 10.0


def propose(
    problem: Problem,
    *,
    time_limit: float = 30.0,
    solver: str = "highs",
    alternatives: int = 0,
    explanations: bool = False,
    gap: float = OPTIMALITY_GAP,
    baseline: float | None = None,
    lang: str = "da",
    progress: ProgressCallback | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Proposal:
    """The best selection for ``problem``, or a diagnosis when there is none.

    ``time_limit`` (seconds) applies to each solver run: the main solve, each alternative, each
    explanation. ``gap``: stop once the relative gap is this small (status ``optimal`` needs
    ≤ 1e-6). ``alternatives``: that many next-best distinct sets of funds; ``explanations``: one
    per eligible fund; ``baseline``: the 52-week employment rate for the evaluation design
    (default: the problem's, 0.5). ``infeasibility`` texts are in ``lang``.

    ``progress`` (optional) follows the main solve: it gets a ``selection.engine.Progress``
    (objective of the best selection so far, proven bound, gap) whenever the solver improves
    either (HiGHS only), the last one with the main solve's final figures when it found a
    selection; alternatives, explanations and a diagnosis, solved after that, report nothing. It
    runs inside the solver and should return quickly; an exception from it ends the solve and is
    raised here.
    """
    text.check_lang(lang)
    model, outcome = solve_problem(
        problem, time_limit=time_limit, solver=solver, gap=gap, progress=progress, clock=clock
    )
    if outcome.status == "infeasible":
        found = diagnose(problem, lang, time_limit=min(time_limit, DIAGNOSIS_TIME))
        return empty_proposal(
            "infeasible", outcome.seconds, solver, infeasibility=found.lines(lang)
        ).with_extensions(diagnosis=found)
    if outcome.selection is None:
        message = outcome.message or "the solver gave no selection"
        return empty_proposal("error", outcome.seconds, solver, message=message)
    proposal = proposal_from_selection(
        problem,
        outcome.selection,
        status=outcome.status,
        bound=outcome.bound,
        seconds=outcome.seconds,
        solver=solver,
    )
    proposal = proposal.with_extensions(evaluation=design(problem, outcome.selection, baseline))
    extras = _Extras(model, time_limit, solver, gap, clock)
    if explanations:
        proposal = proposal.with_extensions(explanations=extras.explanations(proposal))
    if alternatives > 0:
        proposal = proposal.with_extensions(
            alternatives=extras.alternatives(proposal, alternatives)
        )
    return proposal


class _Extras:
    """Explanations and alternatives on the model of the main solve (explanations first: the
    alternatives add no-good cuts to it)."""

    def __init__(
        self,
        model: Model,
        time_limit: float,
        solver: str,
        gap: float,
        clock: Callable[[], float],
    ) -> None:
        self.model, self.time_limit, self.solver = model, time_limit, solver
        self.gap, self.clock = gap, clock

    def explanations(self, proposal: Proposal) -> list[object]:
        found = explain(
            self.model.problem,
            proposal,
            time_limit=self.time_limit,
            solver=self.solver,
            gap=self.gap,
            model=self.model,
            clock=self.clock,
        )
        return list(found)

    def alternatives(self, proposal: Proposal, count: int) -> list[object]:
        found = find_alternatives(
            self.model,
            proposal,
            count,
            time_limit=self.time_limit,
            solver=self.solver,
            gap=self.gap,
            clock=self.clock,
        )
        return list(found)


def propose_scenario(
    problem: Problem,
    changes: Mapping[str, float],
    *,
    base: Proposal | None = None,
    lang: str = "da",
    **options: object,
) -> Proposal:
    """The proposal for ``problem`` under ``changes`` (see ``selection.scenario``), with a
    ``scenario`` extension comparing it with ``base`` (solved here when not given)."""

    def solve(candidate: Problem) -> Proposal:
        return propose(candidate, lang=lang, **options)  # type: ignore[arg-type]

    base = base if base is not None else solve(problem)
    report = compare(problem, changes, base=base, propose=solve, lang=lang)
    return report.proposal.with_extensions(scenario=report)
