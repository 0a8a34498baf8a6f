"""Running a solver on the model, with an honest status.

Solvers: HiGHS through its Python API (``pulp.HiGHS``, the default) or CBC (``pulp.PULP_CBC_CMD``),
always with an explicit time limit. The status is honest: ``optimal`` only when the solver proved
optimality (relative gap ≤ 1e-6); a solution cut off by the time limit is ``feasible`` with the
solver's bound and gap. PuLP maps a HiGHS time limit to ``LpStatusOptimal``, so ``sol_status`` is
read as well.
"""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pulp

from selection.errors import SolverError
from selection.figures import Selection
from selection.model import Model, build_model
from selection.problem import Problem

PROPOSAL_SCHEMA = "selection-proposal/1"
SOLVERS = ("highs", "cbc")
OPTIMALITY_GAP = 1e-6
# Ask the solver for a little more than we promise, so rounding cannot push a proven optimum
# over the reported tolerance.
SOLVER_GAP = 5e-7
SOLVER_ABS_GAP = 1e-10


@dataclass(frozen=True)
class SolveOutcome:
    """What one solver run gave."""

    status: str  # optimal | feasible | infeasible | error
    selection: Selection | None
    objective: float | None  # the solver's objective value
    bound: float | None
    seconds: float
    message: str | None = None


# --- solver runs -----------------------------------------------------------------------------


_BANNER_SHOWN = False


def _silence_highs_banner() -> None:
    """HiGHS prints a banner on standard output once per process, before any option can turn
    it off; a proposal written to standard output must not start with it. Create the first
    instance with file descriptor 1 pointed at the null device."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    _BANNER_SHOWN = True


class _WarmHiGHS(pulp.HiGHS):  # type: ignore[misc]
    """``pulp.HiGHS`` that hands a known feasible selection to HiGHS as a starting point."""

    def __init__(self, start: Mapping[str, float] | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.start = dict(start or {})

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        if self.start:
            columns = [
                (v.index, self.start[v.name]) for v in lp.variables() if v.name in self.start
            ]
            index = np.array([c[0] for c in columns], dtype=np.int32)
            value = np.array([c[1] for c in columns], dtype=np.float64)
            lp.solverModel.setSolution(len(columns), index, value)
        super().callSolver(lp)


def run(
    model: Model,
    *,
    time_limit: float,
    solver: str = "highs",
    start: Mapping[str, float] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> SolveOutcome:
    """Solve ``model`` once; ``start`` optionally maps variable names to a feasible start."""
    if solver not in SOLVERS:
        raise SolverError(
            f"ukendt solver '{solver}'; brug {' eller '.join(SOLVERS)}",
            f"unknown solver '{solver}'; use {' or '.join(SOLVERS)}",
        )
    started = clock()
    if solver == "highs":
        bound = _run_highs(model, time_limit, start)
    else:
        bound = _run_cbc(model, time_limit)
    seconds = clock() - started
    return _outcome(model, bound, seconds)


def _run_highs(model: Model, time_limit: float, start: Mapping[str, float] | None) -> float | None:
    _silence_highs_banner()
    engine = _WarmHiGHS(
        start=start,
        msg=False,
        timeLimit=time_limit,
        gapRel=SOLVER_GAP,
        gapAbs=SOLVER_ABS_GAP,
        random_seed=0,
    )
    try:
        model.prob.solve(engine)
    except pulp.PulpSolverError as error:
        raise SolverError(f"HiGHS fejlede: {error}", f"HiGHS failed: {error}") from error
    info = model.prob.solverModel.getInfo()
    bound = float(info.mip_dual_bound)
    return bound if math.isfinite(bound) else None


def _run_cbc(model: Model, time_limit: float) -> float | None:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "cbc.log"
        engine = pulp.PULP_CBC_CMD(
            msg=False,
            timeLimit=time_limit,
            gapRel=SOLVER_GAP,
            gapAbs=SOLVER_ABS_GAP,
            logPath=str(log),
            threads=1,
        )
        try:
            model.prob.solve(engine)
        except pulp.PulpSolverError as error:
            raise SolverError(f"CBC fejlede: {error}", f"CBC failed: {error}") from error
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return _cbc_bound(text)


def _cbc_bound(log: str) -> float | None:
    """CBC's best bound from its log ("Lower bound:" or the objective when proven optimal)."""
    match = re.search(r"Lower bound:\s*(-?[\d.eE+-]+)", log)
    if match:
        return float(match.group(1))
    match = re.search(r"Objective value:\s*(-?[\d.eE+-]+)", log)
    if match and "Optimal solution found" in log:
        return float(match.group(1))
    return None


def _outcome(model: Model, bound: float | None, seconds: float) -> SolveOutcome:
    prob = model.prob
    status, sol_status = prob.status, prob.sol_status
    if status == pulp.LpStatusInfeasible:
        return SolveOutcome("infeasible", None, None, None, seconds)
    has_solution = sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    if status != pulp.LpStatusOptimal or not has_solution:
        return SolveOutcome(
            "error", None, None, bound, seconds, "no selection found within the time limit"
        )
    objective = float(pulp.value(prob.objective) or 0.0)
    proven = sol_status == pulp.LpSolutionOptimal
    if proven and bound is None:
        bound = objective
    if bound is not None and relative_gap(objective, bound) > OPTIMALITY_GAP:
        proven = False
    return SolveOutcome(
        "optimal" if proven else "feasible", read_selection(model), objective, bound, seconds
    )


def relative_gap(objective: float, bound: float) -> float:
    """(objective − bound) / |objective|, 0 when the two agree to 1e-9."""
    difference = max(0.0, objective - bound)
    if difference <= 1e-9:
        return 0.0
    return difference / max(abs(objective), 1e-9)


def read_selection(model: Model) -> dict[str, tuple[str, ...]]:
    """The chosen funds and their covered municipalities from the variable values."""
    result: dict[str, tuple[str, ...]] = {}
    for fund_id in model.candidates:
        if (model.x[fund_id].varValue or 0.0) < 0.5:
            continue
        units = model.units[fund_id]
        covered = [u for u in units.units if (model.y[(fund_id, u.key)].varValue or 0.0) > 0.5]
        if not covered and units.free:
            covered = [units.free[0]]
        result[fund_id] = tuple(sorted(c for u in covered for c in u.municipalities))
    return result


def solve_problem(
    problem: Problem,
    *,
    time_limit: float = 30.0,
    solver: str = "highs",
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[Model, SolveOutcome]:
    """Build the model, find a heuristic start, solve; return both for reuse."""
    from selection.heuristic import warm_start

    started = clock()
    model = build_model(problem)
    start = warm_start(model) if solver == "highs" else None
    outcome = run(model, time_limit=time_limit, solver=solver, start=start, clock=clock)
    seconds = clock() - started
    return model, _replace_seconds(outcome, seconds)


def _replace_seconds(outcome: SolveOutcome, seconds: float) -> SolveOutcome:
    from dataclasses import replace

    return replace(outcome, seconds=seconds)
