"""Honest status, determinism, the naive baseline, a silent solver and the package's boundaries."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pulp
import pytest

from selection.check import check
from selection.engine import QuietHiGHS, relative_gap
from selection.generate import MunicipalityRow, generate
from selection.naive import build_naive
from selection.problem import parse_problem
from selection.solve import propose
from tests.selection.builders import fund, problem

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "examples"
needs_examples = pytest.mark.skipif(
    not (EXAMPLES / "dk-example.json").exists(), reason="shared examples are not present"
)
ROOT = Path(__file__).resolve().parents[2]


def small_country() -> list[MunicipalityRow]:
    return [
        MunicipalityRow(f"{100 + i}", f"M{i}", f"R{i % 5}", 10_000.0 + 3_000 * (i % 7))
        for i in range(40)
    ]


def test_generate_same_seed_same_instance() -> None:
    first = generate(7, small_country(), funds=12)
    assert first == generate(7, small_country(), funds=12)
    assert first != generate(8, small_country(), funds=12)
    parsed = parse_problem(first)
    assert len(parsed.funds) == 12
    assert parsed.national_inflow == pytest.approx(150_000)


def test_naive_formulation_reaches_the_same_optimum() -> None:
    for seed in range(1, 30):
        parsed = parse_problem(generate(seed, small_country(), funds=10, granularity="region"))
        proposal = propose(parsed, time_limit=20)
        if proposal.status == "optimal":
            break
    assert proposal.status == "optimal"
    prob, _ = build_naive(parsed)
    prob.solve(QuietHiGHS(msg=False, timeLimit=20, gapRel=1e-7))
    assert pulp.value(prob.objective) == pytest.approx(proposal.objective, abs=1e-6)


@needs_examples
def test_propose_tiny_time_limit_is_honest() -> None:
    data = json.loads((EXAMPLES / "dk-example.json").read_text(encoding="utf-8"))
    parsed = replace(parse_problem(data), granularity="municipality")
    proposal = propose(parsed, time_limit=0.3)
    assert proposal.status in ("optimal", "feasible", "error")
    if proposal.status == "error":
        assert proposal.selected == ()
        return
    assert proposal.objective is not None and proposal.bound is not None
    assert proposal.bound <= proposal.objective + 1e-9
    assert proposal.gap == pytest.approx(relative_gap(proposal.objective, proposal.bound))
    if proposal.status == "optimal":
        assert proposal.gap is not None and proposal.gap <= 1e-6
    assert check(parsed, proposal.to_json()) == []


@needs_examples
def test_propose_dk_example_is_deterministic() -> None:
    data = json.loads((EXAMPLES / "dk-example.json").read_text(encoding="utf-8"))
    parsed = parse_problem(data)
    first = propose(parsed, time_limit=30).to_json()
    second = propose(parsed, time_limit=30).to_json()
    for result in (first, second):
        result.pop("solve_seconds")
    assert first == second
    assert first["status"] == "optimal"


def test_selection_imports_no_web_database_or_geo() -> None:
    code = (
        "import sys, selection, selection.solve, selection.__main__, selection.generate;"
        "banned = {'flask', 'sqlalchemy', 'wtforms', 'weasyprint', 'portal', 'geo'};"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in banned))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


SOLVE_TWICE = (
    "from selection.problem import parse_problem\n"
    "from selection.solve import propose\n"
    "from tests.selection.builders import fund, problem\n"
    "funds = [fund('A', {'a1': 60}), fund('B', {'b1': 50})]\n"
    "assert propose(parse_problem(problem(funds)), time_limit=10).status == 'optimal'\n"
    "tight = problem(funds, funds_max=1, granularity='municipality')\n"
    "assert propose(parse_problem(tight), time_limit=10).status == 'infeasible'\n"
)


def test_solve_prints_nothing_on_standard_output(capfd: pytest.CaptureFixture[str]) -> None:
    # HiGHS prints its banner once per process, so only a process's first solve can show it: a
    # fresh interpreter, writing to the file descriptor 1 it inherits from this one, which capfd
    # captures. An optimal solve and a diagnosed infeasible one (many solves).
    subprocess.run([sys.executable, "-c", SOLVE_TWICE], cwd=ROOT, check=True)
    out, _ = capfd.readouterr()
    assert out == ""


def test_solves_in_threads_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    funds = [fund("A", {"a1": 60}), fund("B", {"b1": 50}), fund("C", {"a2": 40})]
    problems = [parse_problem(problem(funds, volume=v)) for v in (60, 100, 150)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(pool.map(lambda p: propose(p, time_limit=10).status, problems))
    assert statuses == ["optimal", "optimal", "optimal"]
    out, _ = capfd.readouterr()
    assert out == ""
