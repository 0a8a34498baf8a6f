"""Honest status, determinism, the naive baseline and the package's boundaries."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pulp
import pytest

from selection.check import check
from selection.engine import relative_gap
from selection.generate import MunicipalityRow, generate
from selection.naive import build_naive
from selection.problem import parse_problem
from selection.solve import propose

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
    prob.solve(pulp.HiGHS(msg=False, timeLimit=20, gapRel=1e-7))
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
