"""What a solve reports while it runs: ``propose(..., progress=...)`` gets the incumbent, a
proven bound and the gap, valid for the whole problem in every strategy, ending with the main
solve's final figures; asking for it changes nothing in the proposal."""

from __future__ import annotations

import pytest

from selection.engine import Progress, relative_gap
from selection.generate import MunicipalityRow, generate
from selection.problem import Problem, parse_problem
from selection.proposal import Proposal
from selection.solve import propose
from tests.selection.builders import fund, problem


def _branching() -> Problem:
    """Ten a-kasser at region granularity: HiGHS branches and finds several incumbents."""
    country = [
        MunicipalityRow(f"{100 + i}", f"M{i}", f"R{i % 5}", 10_000.0 + 3_000 * (i % 7))
        for i in range(40)
    ]
    return parse_problem(generate(1, country, funds=10, granularity="region"))


def _assert_sane(reports: list[Progress], proposal: Proposal) -> None:
    """Every report finite and consistent; objectives only fall and bounds only rise; every
    bound below and every objective above the optimum; the last one is the proposal's."""
    assert reports, "no progress reported"
    for report in reports:
        assert 0.0 <= report.bound <= report.objective
        assert report.gap == relative_gap(report.objective, report.bound)
        assert report.to_json() == {
            "gap": report.gap,
            "objective": report.objective,
            "bound": report.bound,
        }
    for earlier, later in zip(reports, reports[1:], strict=False):
        assert later.objective <= earlier.objective
        assert later.bound >= earlier.bound
    assert proposal.status == "optimal" and proposal.objective is not None
    optimum = proposal.objective
    assert all(r.bound <= optimum + 1e-9 <= r.objective + 2e-9 for r in reports)
    assert reports[-1].objective == pytest.approx(optimum, abs=1e-9)
    assert reports[-1].gap == pytest.approx(proposal.gap, abs=1e-9)


def test_progress_follows_a_branching_solve_to_its_final_figures() -> None:
    reports: list[Progress] = []
    proposal = propose(_branching(), time_limit=30, progress=reports.append)
    _assert_sane(reports, proposal)
    # Reported while branching, before optimality was proven.
    assert len(reports) > 1 and reports[0].gap > 0.01
    assert reports[-1].gap <= 1e-6


def test_progress_changes_nothing_in_the_proposal() -> None:
    parsed = _branching()
    quiet = propose(parsed, time_limit=30, alternatives=1).to_json()
    followed = propose(parsed, time_limit=30, alternatives=1, progress=lambda _r: None).to_json()
    for document in (quiet, followed):
        document.pop("solve_seconds")
        for alternative in document["alternatives"]:
            alternative.pop("solve_seconds")
    assert followed == quiet


def test_progress_of_the_decomposition_is_valid_for_the_whole_problem() -> None:
    # Municipality granularity: the relaxation's bound, the fixed fund set's incumbents and the
    # full model's figures, each only where it holds for the whole problem.
    funds = [fund("A", {"a1": 30, "a2": 25, "b1": 44}), fund("B", {"a3": 17, "b2": 12})]
    data = problem(funds, volume=100, granularity="municipality")
    reports: list[Progress] = []
    proposal = propose(parse_problem(data), time_limit=20, progress=reports.append)
    _assert_sane(reports, proposal)


def test_cbc_reports_the_final_figures_only() -> None:
    data = problem([fund("A", {"a1": 60}), fund("B", {"b1": 50})], volume=100)
    reports: list[Progress] = []
    proposal = propose(parse_problem(data), time_limit=20, solver="cbc", progress=reports.append)
    _assert_sane(reports, proposal)
    assert len(reports) == 1


def test_no_selection_no_progress() -> None:
    data = problem([fund("A", {"a1": 60}), fund("B", {"b1": 50})], funds_max=1, volume=200)
    reports: list[Progress] = []
    proposal = propose(parse_problem(data), time_limit=10, progress=reports.append)
    assert proposal.status == "infeasible"
    assert reports == []


def test_an_error_in_the_progress_callable_ends_the_solve_and_is_raised() -> None:
    def refuse(_report: Progress) -> None:
        raise RuntimeError("the caller went away")

    with pytest.raises(RuntimeError, match="the caller went away"):
        propose(_branching(), time_limit=30, progress=refuse)
