"""Running a solver on the model, with an honest status.

Solvers: HiGHS through its Python API (``pulp.HiGHS``, the default) or CBC (``pulp.PULP_CBC_CMD``),
always with an explicit time limit. The status is honest: ``optimal`` only when the solver proved
optimality (relative gap ≤ 1e-6); a solution cut off by the time limit is ``feasible`` with the
best bound and gap. PuLP maps a HiGHS time limit to ``LpStatusOptimal``, so ``sol_status`` is
read as well.

Strategy (HiGHS), chosen by the size of the model:

* small models (≤ ``SMALL_BINARIES`` binaries, e.g. 24 a-kasser at ``region`` granularity): one
  solve with the large-neighbourhood heuristics (RINS, RENS, root reduced cost) switched off; on
  models this size they cost more than the branching they save.
* ``municipality`` granularity: a decomposition. (A) A relaxation aggregated to (fund, region)
  units with coverage y in [0, 1] and the fund choice x binary: any municipality selection gives
  region volumes in [0, W_f,r], so its optimum is a valid lower bound; it is tiny (x and one y per
  fund and region), and its x is almost always the right set of funds, because a fund's volume
  can be tuned almost continuously with single municipalities. (B) Fix x in the full model and
  solve for binary y, stopping as soon as the solution is within the requested gap of bound (A).
  (C) If that is not close enough, solve the full model from (B)'s solution for the remaining
  time. The reported bound is the better of (A) and (C).
* otherwise: one solve with HiGHS's defaults.

Progress: ``solve_problem`` and ``solve_model`` take an optional ``progress`` callable that gets a
:class:`Progress` (incumbent objective, proven bound, gap) whenever the solve improves either, for
a caller that shows a solve under way. HiGHS reports through its MIP callbacks (a new incumbent;
the periodic interrupt check, which carries the current dual bound). Only valid figures for the
whole problem are reported: in the decomposition, (A) contributes its bound only (its solutions
are not selections), (B) its incumbents only (its bound holds for the fixed fund set only), (C)
both. CBC, and a highspy without the callback API, report nothing while solving.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pulp

from selection import files
from selection.errors import SolverError
from selection.figures import Selection
from selection.model import Model, add_nogood, build_model
from selection.problem import Problem

SOLVERS = ("highs", "cbc")
OPTIMALITY_GAP = 1e-6
# Ask the solver for a little more than we promise, so rounding cannot push a proven optimum
# over the reported tolerance.
SOLVER_GAP = 5e-7
SOLVER_ABS_GAP = 1e-10
SMALL_BINARIES = 300
QUIET_HEURISTICS: Mapping[str, Any] = {
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}


# The solver's raw report for the model being solved: incumbent objective and dual bound, each
# None or not finite when there is none yet.
Reporter = Callable[[float | None, float | None], None]


@dataclass(frozen=True)
class Progress:
    """A solve under way: the best selection found so far (``objective``, the contract's
    objective), the best proven lower bound on the optimum (``bound``) and the relative gap between
    them, measured as in the proposal (see :func:`relative_gap`)."""

    objective: float
    bound: float
    gap: float

    def to_json(self) -> dict[str, float]:
        return {"gap": self.gap, "objective": self.objective, "bound": self.bound}


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class SolveOutcome:
    """What one solver run (or one strategy) gave."""

    status: str  # optimal | feasible | infeasible | error
    selection: Selection | None
    objective: float | None  # the solver's objective value
    bound: float | None
    seconds: float
    message: str | None = None
    values: Mapping[str, float] | None = None  # variable name -> value, for warm starts


# --- HiGHS specifics ---------------------------------------------------------------------------


class _QuietHighs(highspy.Highs):
    """``highspy.Highs`` with its output switched off before its first HiGHS call.

    HiGHS prints its banner on standard output at the first call made while ``output_flag`` is
    on, which is its default, and the constructor of ``highspy.Highs`` makes one: it registers
    its callback dispatcher (``enableCallbacks``). Switching the flag off in front of that keeps
    the solver silent through its own options; the process's standard output is never touched,
    so solves are safe in worker threads and a proposal written to standard output starts with
    the proposal.
    """

    def __init__(self) -> None:  # typed, so that creating one is a typed call
        super().__init__()  # type: ignore[no-untyped-call]

    def enableCallbacks(self) -> None:  # noqa: N802 (highspy's name)
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()  # type: ignore[no-untyped-call]


class QuietHiGHS(pulp.HiGHS):  # type: ignore[misc]
    """``pulp.HiGHS`` on a silent HiGHS instance (see ``_QuietHighs``), optionally started from a
    known feasible solution (``start``: variable name -> value). Use it for every HiGHS solve in
    this project, the benchmark's naive baseline too: a plain ``pulp.HiGHS`` prints the banner.

    ``on_report(objective, bound)`` is called whenever HiGHS reports MIP progress (see
    :func:`_listen`). An exception from it interrupts the solve and is raised once HiGHS has
    returned: HiGHS itself would turn it into a failed solve.
    """

    def __init__(
        self,
        start: Mapping[str, float] | None = None,
        on_report: Reporter | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.start = dict(start or {})
        self.on_report = on_report
        self.report_error: Exception | None = None

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        # PuLP's own version creates a plain ``highspy.Highs()``, which prints the banner.
        highs = _QuietHighs()
        # Also the first call of all with a highspy whose constructor makes none.
        highs.setOptionValue("output_flag", bool(self.msg))
        settings = {
            "mip_rel_gap": self.gapRel,
            "mip_abs_gap": self.gapAbs,
            "threads": self.threads,
            "time_limit": None if self.timeLimit is None else float(self.timeLimit),
        }
        for key, value in {**settings, **self.optionsDict}.items():
            if value is not None:
                highs.setOptionValue(key, value)
        if self.on_report is not None:
            _listen(highs, self._report)
        lp.solverModel = highs

    def _report(self, event: Any) -> None:
        if self.on_report is None or self.report_error is not None:
            return
        data = event.data_out
        try:
            self.on_report(float(data.mip_primal_bound), float(data.mip_dual_bound))
        except Exception as error:  # noqa: BLE001 - raised in callSolver, after HiGHS returned
            self.report_error = error
            event.interrupt()

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        if self.start:
            columns = [
                (v.index, self.start[v.name]) for v in lp.variables() if v.name in self.start
            ]
            index = np.array([c[0] for c in columns], dtype=np.int32)
            value = np.array([c[1] for c in columns], dtype=np.float64)
            lp.solverModel.setSolution(len(columns), index, value)
        super().callSolver(lp)
        if self.report_error is not None:
            raise self.report_error


def _listen(highs: highspy.Highs, report: Callable[[Any], None]) -> None:
    """Subscribe ``report`` to HiGHS's MIP progress: each new incumbent, and the periodic
    interrupt check (a few times a second while branching), which carries the current dual
    bound. Both events' ``data_out`` hold ``mip_primal_bound`` (the incumbent's objective) and
    ``mip_dual_bound``. highspy before 1.8 has no subscription API: then nothing is reported."""
    for name in ("cbMipImprovingSolution", "cbMipInterrupt"):
        channel = getattr(highs, name, None)
        if channel is not None:
            channel.subscribe(report)


# --- one run -----------------------------------------------------------------------------------


def run(
    model: Model,
    *,
    time_limit: float,
    solver: str = "highs",
    gap: float = SOLVER_GAP,
    start: Mapping[str, float] | None = None,
    options: Mapping[str, Any] | None = None,
    on_report: Reporter | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> SolveOutcome:
    """Solve ``model`` once; ``start`` maps variable names to a feasible start, ``on_report``
    receives the solver's reports while it runs (both HiGHS only)."""
    if solver not in SOLVERS:
        raise SolverError(
            f"ukendt solver '{solver}'; brug {' eller '.join(SOLVERS)}",
            f"unknown solver '{solver}'; use {' or '.join(SOLVERS)}",
        )
    started = clock()
    if solver == "highs":
        bound = _run_highs(model, max(time_limit, 0.01), gap, start, options or {}, on_report)
    else:
        bound = _run_cbc(model, max(time_limit, 1.0), gap)
    return _outcome(model, bound, clock() - started, gap)


def _run_highs(
    model: Model,
    time_limit: float,
    gap: float,
    start: Mapping[str, float] | None,
    options: Mapping[str, Any],
    on_report: Reporter | None = None,
) -> float | None:
    engine = QuietHiGHS(
        start=start,
        on_report=on_report,
        msg=False,
        timeLimit=time_limit,
        gapRel=gap,
        gapAbs=SOLVER_ABS_GAP,
        random_seed=0,
        **options,
    )
    try:
        model.prob.solve(engine)
    except pulp.PulpSolverError as error:
        raise SolverError(f"HiGHS fejlede: {error}", f"HiGHS failed: {error}") from error
    info = model.prob.solverModel.getInfo()
    bound = float(info.mip_dual_bound)
    return bound if math.isfinite(bound) else None


def _run_cbc(model: Model, time_limit: float, gap: float) -> float | None:
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        # PuLP 3 deprecates PULP_CBC_CMD (the CBC binary it bundles) in favour of COIN_CMD with
        # a separately installed CBC; the bundled one is the one this project relies on.
        warnings.filterwarnings("ignore", "PULP_CBC_CMD is deprecated", DeprecationWarning)
        log = Path(folder) / "cbc.log"
        engine = pulp.PULP_CBC_CMD(
            msg=False,
            timeLimit=time_limit,
            gapRel=gap,
            gapAbs=SOLVER_ABS_GAP,
            logPath=str(log),
            threads=1,
        )
        try:
            model.prob.solve(engine)
        except pulp.PulpSolverError as error:
            raise SolverError(f"CBC fejlede: {error}", f"CBC failed: {error}") from error
        text = files.read_text_if_exists(log)
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


def _outcome(model: Model, bound: float | None, seconds: float, gap: float) -> SolveOutcome:
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
    if bound is None and sol_status == pulp.LpSolutionOptimal:
        bound = objective
    values = {v.name: float(v.varValue or 0.0) for v in prob.variables()}
    return SolveOutcome(
        _status(objective, bound), read_selection(model), objective, bound, seconds, None, values
    )


def _status(objective: float, bound: float | None) -> str:
    """``optimal`` only with a bound that proves it."""
    proven = bound is not None and relative_gap(objective, bound) <= OPTIMALITY_GAP
    return "optimal" if proven else "feasible"


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


# --- strategies --------------------------------------------------------------------------------


def solve_problem(
    problem: Problem,
    *,
    time_limit: float = 30.0,
    solver: str = "highs",
    gap: float = OPTIMALITY_GAP,
    progress: ProgressCallback | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[Model, SolveOutcome]:
    """Build the model and solve it with the strategy that suits its size."""
    started = clock()
    model = build_model(problem)
    remaining = time_limit - (clock() - started)
    outcome = solve_model(
        model, time_limit=remaining, solver=solver, gap=gap, progress=progress, clock=clock
    )
    return model, replace(outcome, seconds=clock() - started)


def solve_model(
    model: Model,
    *,
    time_limit: float,
    solver: str = "highs",
    gap: float = OPTIMALITY_GAP,
    progress: ProgressCallback | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> SolveOutcome:
    """Solve a built model (also after bounds or cuts were changed, see alternatives);
    ``progress`` gets the solve's :class:`Progress` while it runs (HiGHS only) and at its end."""
    solver_gap = min(gap, SOLVER_GAP) if gap <= OPTIMALITY_GAP else gap
    tracker = _Tracker(progress) if progress is not None else None
    if solver != "highs":
        outcome = run(model, time_limit=time_limit, solver=solver, gap=solver_gap, clock=clock)
    elif model.problem.granularity == "municipality" and len(model.y) > len(model.x):
        outcome = _decomposed(model, time_limit, solver_gap, clock, tracker)
    else:
        options = QUIET_HEURISTICS if _binaries(model) <= SMALL_BINARIES else {}
        on_report = tracker.report if tracker is not None else None
        outcome = run(
            model,
            time_limit=time_limit,
            gap=solver_gap,
            options=options,
            on_report=on_report,
            clock=clock,
        )
    if tracker is not None:  # the final figures, which the last callback may not have carried
        tracker.report(outcome.objective, outcome.bound)
    return outcome


class _Tracker:
    """The solver's reports as :class:`Progress` for the caller: finite values only, the best
    objective and the best bound so far (one strategy step may report a weaker one than an
    earlier step), the bound capped at the objective as in the proposal, and a call only when
    the figures changed (HiGHS's interrupt check repeats them a few times a second)."""

    def __init__(self, progress: ProgressCallback) -> None:
        self.progress = progress
        self.objective = math.inf
        self.bound = -math.inf
        self.last: Progress | None = None

    def report(self, objective: float | None, bound: float | None) -> None:
        if objective is not None and math.isfinite(objective):
            self.objective = min(self.objective, objective)
        if bound is not None and math.isfinite(bound):
            self.bound = max(self.bound, bound)
        if not (math.isfinite(self.objective) and math.isfinite(self.bound)):
            return
        bound = min(self.bound, self.objective)
        current = Progress(self.objective, bound, relative_gap(self.objective, bound))
        if current != self.last:
            self.last = current
            self.progress(current)

    def bound_only(self, _objective: float | None, bound: float | None) -> None:
        self.report(None, bound)

    def objective_only(self, objective: float | None, _bound: float | None) -> None:
        self.report(objective, None)


def _binaries(model: Model) -> int:
    fund_choice = {id(x) for x in model.x.values()}
    return len(model.x) + sum(1 for y in model.y.values() if id(y) not in fund_choice)


def _decomposed(
    model: Model,
    time_limit: float,
    gap: float,
    clock: Callable[[], float],
    tracker: _Tracker | None = None,
) -> SolveOutcome:
    started = clock()

    def left() -> float:
        return time_limit - (clock() - started)

    # The relaxation is small: solve it tightly, its bound is what the gap is measured against.
    lower = _aggregated_relaxation(
        model, 0.5 * time_limit, SOLVER_GAP, clock, tracker.bound_only if tracker else None
    )
    if lower.status == "infeasible" or lower.values is None:
        return replace(lower, seconds=clock() - started)
    bound = lower.bound if lower.bound is not None else -math.inf
    if tracker is not None:
        tracker.bound_only(None, bound)
    with _fixed_funds(model, lower.values):
        target = {"objective_target": bound + gap * abs(bound)}
        fixed = run(
            model,
            time_limit=0.5 * left(),
            gap=gap,
            options=target,
            on_report=tracker.objective_only if tracker else None,
            clock=clock,
        )
    if tracker is not None:
        tracker.objective_only(fixed.objective, None)
    best = _better(fixed, None)
    if best is None or relative_gap(best.objective or 0.0, bound) > gap:
        start = best.values if best is not None else None
        full = run(
            model,
            time_limit=left(),
            gap=gap,
            start=start,
            on_report=tracker.report if tracker else None,
            clock=clock,
        )
        if full.status == "infeasible":  # the relaxation was feasible, the problem is not
            return replace(full, seconds=clock() - started)
        best = _better(full, best)
        bound = max(bound, full.bound if full.bound is not None else -math.inf)
    if best is None:
        return SolveOutcome("error", None, None, bound, clock() - started, "no selection found")
    objective = best.objective or 0.0
    final_bound = min(bound, objective)
    return replace(
        best, status=_status(objective, final_bound), bound=final_bound, seconds=clock() - started
    )


def _aggregated_relaxation(
    model: Model,
    time_limit: float,
    gap: float,
    clock: Callable[[], float],
    on_report: Reporter | None = None,
) -> SolveOutcome:
    """Step (A): the (fund, region) relaxation; its values are named as in ``model``."""
    aggregated = build_model(replace(model.problem, granularity="region"), cover=False)
    # Carry over what alternatives and explanations changed: fixed funds and no-good cuts.
    for fund_id, x in aggregated.x.items():
        x.lowBound, x.upBound = model.x[fund_id].lowBound, model.x[fund_id].upBound
    for funds in model.nogoods:
        add_nogood(aggregated, funds)
    with _relaxed_coverage(aggregated):
        lower = run(
            aggregated,
            time_limit=time_limit,
            gap=gap,
            options=QUIET_HEURISTICS,
            on_report=on_report,
            clock=clock,
        )
    if lower.values is None:
        return lower
    values = {model.x[f].name: lower.values[x.name] for f, x in aggregated.x.items()}
    return replace(lower, values=values)


def _better(new: SolveOutcome, old: SolveOutcome | None) -> SolveOutcome | None:
    if new.objective is None or new.selection is None:
        return old
    if old is None or old.objective is None or new.objective < old.objective:
        return new
    return old


@contextmanager
def _relaxed_coverage(model: Model) -> Iterator[None]:
    """Coverage variables continuous for the duration (fund choice stays binary)."""
    fund_choice = {id(x) for x in model.x.values()}
    coverage = [y for y in model.y.values() if id(y) not in fund_choice]
    for variable in coverage:
        variable.cat = pulp.LpContinuous
    try:
        yield
    finally:
        for variable in coverage:
            variable.cat = pulp.LpInteger


@contextmanager
def forced(model: Model, fund_id: str, value: int) -> Iterator[None]:
    """Fund ``fund_id`` forced in (1) or out (0) for the duration."""
    x = model.x[fund_id]
    saved = (x.lowBound, x.upBound)
    x.lowBound = x.upBound = value
    try:
        yield
    finally:
        x.lowBound, x.upBound = saved


@contextmanager
def _fixed_funds(model: Model, values: Mapping[str, float]) -> Iterator[None]:
    """Fund choice fixed to ``values`` for the duration."""
    saved = {f: (x.lowBound, x.upBound) for f, x in model.x.items()}
    for x in model.x.values():
        x.lowBound = x.upBound = round(values.get(x.name, 0.0))
    try:
        yield
    finally:
        for fund_id, (low, up) in saved.items():
            model.x[fund_id].lowBound, model.x[fund_id].upBound = low, up
