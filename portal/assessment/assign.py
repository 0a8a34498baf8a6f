"""Trin 2: assign assessors to applications with a small PuLP model.

Pure: plain ids in, plain ids out; no Flask, no database. The portal builds an
``AssignmentProblem`` from its tables and stores the ``Assignment`` it gets back.

The model, lexicographically (each level is solved exactly before the next):

1. Coverage. Every application gets ``per_application`` assessors, or as many as it can.
   Assessors have no capacity limit, so the best coverage of an application is
   ``min(per_application, eligible assessors)`` and does not depend on the other applications:
   it is a hard constraint here, never a soft target, and the shortfall is reported in ``gaps``.
   An application with more hand-assigned (``fixed``) pairs than ``per_application`` keeps them.
2. Balance. Minimise the maximum load M; then, at that M, minimise the sum of squared loads
   (``sum_s load_s^2``, as increasing marginal costs ``k`` for an assessor's k-th application),
   so 5 applications x 3 assessors x 2 become loads 4/3/3 rather than 4/4/2. One solve with
   the integral objective ``W * M + sum_s sum_k k * step_{s,k}``, ``W`` larger than any sum of
   marginal costs.
3. Tie-break. At that balance, minimise ``sum (n - i) * (j + 1) * x[a_i, s_j]`` (i-th
   application and j-th assessor in id order): the lowest application ids get the lowest
   assessor ids first. Every objective is integral, so an absolute gap below 1 proves
   optimality. Where this cost still ties, HiGHS (one seed, a model built from sorted ids)
   decides, the same way every time: the same input gives the same pairs.

Solver: HiGHS through ``selection.engine.QuietHiGHS`` (``pulp.HiGHS`` prints its banner on
standard output), with an explicit time limit shared by the two solves. ``status`` is
``optimal`` only when both solves were proven optimal; a time limit gives ``feasible`` (the best
assignment found) or ``not_solved`` (only the fixed pairs).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import pulp

from selection.engine import QuietHiGHS

Pair = tuple[int, int]  # (application id, assessor id)

OPTIMAL = "optimal"
FEASIBLE = "feasible"
NOT_SOLVED = "not_solved"


@dataclass(frozen=True)
class AssignmentProblem:
    """Who may assess what. ``conflicts`` are forbidden (application, assessor) pairs (conflict
    of interest); ``fixed`` pairs were assigned by hand and are kept."""

    applications: tuple[int, ...]
    assessors: tuple[int, ...]
    conflicts: frozenset[Pair] = frozenset()
    fixed: frozenset[Pair] = frozenset()
    per_application: int = 2

    def __post_init__(self) -> None:
        if self.per_application < 1:
            raise ValueError(f"per_application must be at least 1, got {self.per_application}")
        _check_unique("application", self.applications)
        _check_unique("assessor", self.assessors)
        for kind, pairs in (("conflict", self.conflicts), ("fixed", self.fixed)):
            for pair in sorted(pairs):
                self._check_known(kind, pair)
        clashes = sorted(self.fixed & self.conflicts)
        if clashes:
            raise ValueError(f"fixed pair {clashes[0]} is also a conflict")

    def _check_known(self, kind: str, pair: Pair) -> None:
        application, assessor = pair
        if application not in self.applications:
            raise ValueError(f"{kind} pair {pair}: unknown application {application}")
        if assessor not in self.assessors:
            raise ValueError(f"{kind} pair {pair}: unknown assessor {assessor}")

    def eligible(self, application: int) -> list[int]:
        """The assessors who may assess ``application``, in id order."""
        return [s for s in sorted(self.assessors) if (application, s) not in self.conflicts]

    def target(self, application: int) -> int:
        """How many assessors ``application`` gets: the most it can have, its fixed pairs kept."""
        fixed = sum(1 for a, _ in self.fixed if a == application)
        return max(fixed, min(self.per_application, len(self.eligible(application))))


@dataclass(frozen=True)
class Assignment:
    """The chosen pairs (sorted), each assessor's load (zero included), the shortfall of every
    application that could not get ``per_application`` assessors (others are absent), and the
    solver status: ``optimal`` (proven), ``feasible`` or ``not_solved``."""

    pairs: tuple[Pair, ...]
    load: dict[int, int] = field(hash=False)
    gaps: dict[int, int] = field(hash=False)
    status: str


def assign(problem: AssignmentProblem, *, time_limit: float = 10.0) -> Assignment:
    """Assign assessors to applications (see the module docstring for the model)."""
    candidates = [(a, s) for a in sorted(problem.applications) for s in problem.eligible(a)]
    if not candidates:
        return _result(problem, problem.fixed, OPTIMAL)
    deadline = time.monotonic() + time_limit
    prob, x, balance = _build_model(problem, candidates)
    prob.setObjective(balance)
    if not _solve(prob, deadline):
        return _result(problem, problem.fixed, NOT_SOLVED)
    chosen = _chosen(x)
    if prob.sol_status != pulp.LpSolutionOptimal:
        return _result(problem, chosen, FEASIBLE)
    prob += balance <= round(pulp.value(balance)) + 0.5, "balance__optimal"
    prob.setObjective(_tie_break(problem, x))
    if not _solve(prob, deadline):
        return _result(problem, chosen, FEASIBLE)
    status = OPTIMAL if prob.sol_status == pulp.LpSolutionOptimal else FEASIBLE
    return _result(problem, _chosen(x), status)


def _build_model(
    problem: AssignmentProblem, candidates: list[Pair]
) -> tuple[pulp.LpProblem, dict[Pair, pulp.LpVariable], pulp.LpAffineExpression]:
    """The constraints and the balance objective (level 2); returns (problem, x, balance)."""
    prob = pulp.LpProblem("assessor_assignment", pulp.LpMinimize)
    x = {(a, s): prob.add_variable(f"x_{a}_{s}", cat=pulp.LpBinary) for a, s in candidates}
    _add_coverage(prob, problem, x)
    _add_fixed(prob, problem, x)
    balance = _add_balance(prob, problem, x)
    return prob, x, balance


def _add_coverage(
    prob: pulp.LpProblem, problem: AssignmentProblem, x: dict[Pair, pulp.LpVariable]
) -> None:
    """coverage__<a>: sum_s x[a, s] = target(a) for every application a."""
    for application in sorted(problem.applications):
        chosen = [x[(application, s)] for s in problem.eligible(application)]
        prob += pulp.lpSum(chosen) == problem.target(application), f"coverage__{application}"


def _add_fixed(
    prob: pulp.LpProblem, problem: AssignmentProblem, x: dict[Pair, pulp.LpVariable]
) -> None:
    """fixed__<a>_<s>: x[a, s] = 1 for every pair assigned by hand."""
    for application, assessor in sorted(problem.fixed):
        prob += x[(application, assessor)] == 1, f"fixed__{application}_{assessor}"


def _add_balance(
    prob: pulp.LpProblem, problem: AssignmentProblem, x: dict[Pair, pulp.LpVariable]
) -> pulp.LpAffineExpression:
    """max_load__<s>: load(s) <= M; steps__<s>: load(s) = sum_k step[s, k], step in [0, 1].

    Returns W * M + sum k * step[s, k]: increasing marginal costs fill an assessor's steps in
    order, so the sum is sum_s load(s)(load(s) + 1) / 2, and W exceeds its largest value."""
    most = len(problem.applications)
    max_load = prob.add_variable("max_load", lowBound=0, upBound=most, cat=pulp.LpInteger)
    squares = []
    for assessor in sorted(problem.assessors):
        load = pulp.lpSum(var for (_, s), var in x.items() if s == assessor)
        steps = [prob.add_variable(f"step_{assessor}_{k}", 0, 1) for k in range(1, most + 1)]
        prob += load <= max_load, f"max_load__{assessor}"
        prob += load == pulp.lpSum(steps), f"steps__{assessor}"
        squares += [k * step for k, step in enumerate(steps, start=1)]
    weight = len(problem.assessors) * most * (most + 1) // 2 + 1
    return weight * max_load + pulp.lpSum(squares)


def _tie_break(
    problem: AssignmentProblem, x: dict[Pair, pulp.LpVariable]
) -> pulp.LpAffineExpression:
    """sum (n - i) * (j + 1) * x[a_i, s_j] over the i-th application and j-th assessor by id.

    Not additive in i and j (an additive rank would cost the same for every assignment with the
    same loads), and weighted towards earlier applications: the lowest application ids get the
    lowest assessor ids first."""
    n = len(problem.applications)
    app_weight = {a: n - i for i, a in enumerate(sorted(problem.applications))}
    assessor_weight = {s: j + 1 for j, s in enumerate(sorted(problem.assessors))}
    return pulp.lpSum(app_weight[a] * assessor_weight[s] * var for (a, s), var in x.items())


def _solve(prob: pulp.LpProblem, deadline: float) -> bool:
    """Solve with the time left; True when a solution was found (proven or not)."""
    remaining = max(deadline - time.monotonic(), 0.01)
    # Integral objectives: an absolute gap below 1 proves optimality.
    prob.solve(QuietHiGHS(msg=False, timeLimit=remaining, gapRel=0.0, gapAbs=0.5, random_seed=0))
    has_solution = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    # PuLP reports a HiGHS time limit as integer-feasible even when HiGHS found nothing.
    found = prob.solverModel.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    return prob.status == pulp.LpStatusOptimal and has_solution and found


def _chosen(x: dict[Pair, pulp.LpVariable]) -> list[Pair]:
    return [pair for pair, var in x.items() if (var.varValue or 0.0) > 0.5]


def _result(problem: AssignmentProblem, pairs: Iterable[Pair], status: str) -> Assignment:
    chosen = tuple(sorted(set(pairs)))
    counts = Counter(s for _, s in chosen)
    per_app = Counter(a for a, _ in chosen)
    gaps = {
        a: problem.per_application - per_app[a]
        for a in sorted(problem.applications)
        if per_app[a] < problem.per_application
    }
    load = {s: counts[s] for s in sorted(problem.assessors)}
    return Assignment(pairs=chosen, load=load, gaps=gaps, status=status)


def _check_unique(kind: str, ids: tuple[int, ...]) -> None:
    duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate {kind} id {duplicates[0]}")
