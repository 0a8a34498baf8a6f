"""The assessor assignment model: coverage, gaps, fixed pairs, balance, determinism."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from portal.assessment.assign import Assignment, AssignmentProblem, assign

ROOT = Path(__file__).resolve().parents[3]


def _problem(
    apps: int,
    assessors: int,
    conflicts: set[tuple[int, int]] | None = None,
    fixed: set[tuple[int, int]] | None = None,
    per_application: int = 2,
) -> AssignmentProblem:
    return AssignmentProblem(
        applications=tuple(range(1, apps + 1)),
        assessors=tuple(range(1, assessors + 1)),
        conflicts=frozenset(conflicts or ()),
        fixed=frozenset(fixed or ()),
        per_application=per_application,
    )


def _per_app(result: Assignment) -> Counter[int]:
    return Counter(a for a, _ in result.pairs)


def test_assign_three_by_three_with_one_conflict_avoids_it() -> None:
    result = assign(_problem(3, 3, conflicts={(1, 1)}))
    assert result.status == "optimal"
    assert (1, 1) not in result.pairs
    assert [p for p in result.pairs if p[0] == 1] == [(1, 2), (1, 3)]
    assert _per_app(result) == {1: 2, 2: 2, 3: 2}
    assert result.load == {1: 2, 2: 2, 3: 2}
    assert result.gaps == {}


def test_assign_unavoidable_gap_is_reported_and_the_rest_covered() -> None:
    result = assign(_problem(3, 3, conflicts={(2, 1), (2, 2)}))
    assert [p for p in result.pairs if p[0] == 2] == [(2, 3)]
    assert result.gaps == {2: 1}
    assert _per_app(result)[1] == 2 and _per_app(result)[3] == 2
    assert result.status == "optimal"


def test_assign_application_with_every_assessor_in_conflict_gets_none() -> None:
    result = assign(_problem(2, 2, conflicts={(1, 1), (1, 2)}, per_application=1))
    assert result.pairs == ((2, 1),)
    assert result.gaps == {1: 1}


def test_assign_fixed_pairs_are_kept_even_against_balance() -> None:
    fixed = {(1, 3), (2, 3), (3, 3)}
    result = assign(_problem(3, 3, fixed=fixed, per_application=1))
    assert set(result.pairs) == fixed
    assert result.load == {1: 0, 2: 0, 3: 3}


def test_assign_fixed_pair_is_completed_by_the_model() -> None:
    result = assign(_problem(2, 3, fixed={(1, 3)}))
    assert (1, 3) in result.pairs
    assert _per_app(result) == {1: 2, 2: 2}
    assert max(result.load.values()) == 2


def test_assign_more_fixed_pairs_than_needed_keeps_them_all() -> None:
    result = assign(_problem(1, 3, fixed={(1, 1), (1, 2), (1, 3)}))
    assert result.pairs == ((1, 1), (1, 2), (1, 3))
    assert result.gaps == {}


def test_assign_six_apps_three_assessors_balances_four_each() -> None:
    result = assign(_problem(6, 3))
    assert result.load == {1: 4, 2: 4, 3: 4}
    assert result.status == "optimal"


def test_assign_uneven_total_spreads_as_four_three_three() -> None:
    # 10 pairs over 3 assessors: max load 4, and the rest spread (not 4/4/2).
    result = assign(_problem(5, 3))
    assert sorted(result.load.values()) == [3, 3, 4]


def test_assign_balance_works_around_conflicts() -> None:
    # Assessor 1 may assess only application 1: the other two share the rest.
    conflicts = {(a, 1) for a in range(2, 5)}
    result = assign(_problem(4, 3, conflicts=conflicts, per_application=1))
    assert result.load == {1: 1, 2: 2, 3: 1} or result.load == {1: 1, 2: 1, 3: 2}
    assert (1, 1) in result.pairs


def test_assign_same_input_twice_gives_identical_pairs() -> None:
    problem = _problem(12, 5, conflicts={(1, 1), (4, 2), (7, 5)}, fixed={(3, 4)})
    assert assign(problem).pairs == assign(problem).pairs


def test_assign_input_order_does_not_matter() -> None:
    forward = _problem(8, 4, conflicts={(2, 3)})
    backward = AssignmentProblem(
        applications=tuple(reversed(forward.applications)),
        assessors=tuple(reversed(forward.assessors)),
        conflicts=forward.conflicts,
    )
    assert assign(forward) == assign(backward)


def test_assign_pairs_are_sorted_and_unique() -> None:
    result = assign(_problem(7, 4, conflicts={(3, 1)}))
    assert list(result.pairs) == sorted(set(result.pairs))


def test_assign_thirty_by_six_is_fast_and_balanced() -> None:
    problem = _problem(30, 6, conflicts={(a, a % 6 + 1) for a in range(1, 31, 3)})
    started = time.perf_counter()
    result = assign(problem, time_limit=5)
    assert time.perf_counter() - started < 1.0
    assert result.status == "optimal"
    assert set(result.load.values()) == {10}
    assert not set(result.pairs) & problem.conflicts


def test_assign_no_applications_gives_empty_optimal_result() -> None:
    result = assign(_problem(0, 2))
    assert result == Assignment(pairs=(), load={1: 0, 2: 0}, gaps={}, status="optimal")


def test_assign_no_assessors_reports_every_application_short() -> None:
    result = assign(_problem(2, 0))
    assert result.pairs == ()
    assert result.gaps == {1: 2, 2: 2}


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"per_application": 0}, "per_application must be at least 1, got 0"),
        ({"applications": (1, 2, 1)}, "duplicate application id 1"),
        ({"assessors": (5, 5)}, "duplicate assessor id 5"),
        ({"conflicts": frozenset({(9, 1)})}, "unknown application 9"),
        ({"fixed": frozenset({(1, 9)})}, "unknown assessor 9"),
        (
            {"conflicts": frozenset({(1, 1)}), "fixed": frozenset({(1, 1)})},
            r"fixed pair \(1, 1\) is also a conflict",
        ),
    ],
)
def test_assignment_problem_invalid_input_names_the_value(
    kwargs: dict[str, object], named: str
) -> None:
    base: dict[str, object] = {"applications": (1, 2), "assessors": (1, 2)}
    with pytest.raises(ValueError, match=named):
        AssignmentProblem(**{**base, **kwargs})  # type: ignore[arg-type]


SOLVE_ONCE = (
    "from portal.assessment.assign import AssignmentProblem, assign\n"
    "assert assign(AssignmentProblem((1, 2, 3), (1, 2))).status == 'optimal'\n"
)


def test_assign_prints_nothing_on_standard_output(capfd: pytest.CaptureFixture[str]) -> None:
    # HiGHS prints its banner once per process, at its first solve: a fresh interpreter.
    subprocess.run([sys.executable, "-c", SOLVE_ONCE], cwd=ROOT, check=True)
    out, _ = capfd.readouterr()
    assert out == ""
