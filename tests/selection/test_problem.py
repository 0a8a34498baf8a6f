from __future__ import annotations

import pytest

from selection.errors import ProblemError
from selection.problem import parse_problem
from tests.selection.builders import fund, problem


def test_parse_problem_bad_capacity_names_key_and_fund() -> None:
    data = problem([fund("A", {"a1": 10}), fund("HK", {"a1": 5}, capacity=None)])
    data["funds"][1]["capacity"] = "mange"
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    assert caught.value.key == "funds[1].capacity"
    assert caught.value.fund == "HK"
    assert str(caught.value) == "funds[1] (id 'HK'): capacity skal være et tal ≥ 0, fik 'mange'"
    assert "must be a number" in caught.value.text("en")


def test_parse_problem_unknown_target_is_an_error() -> None:
    data = problem([fund("A", {"a1": 10})], volume_tolerence=0.2)
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    assert caught.value.key == "targets.volume_tolerence"


def test_parse_problem_unknown_inflow_municipality_names_fund() -> None:
    data = problem([fund("A", {"zz": 10})])
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    assert caught.value.fund == "A"
    assert "zz" in str(caught.value)


def test_parse_problem_defaults_follow_the_contract() -> None:
    data = problem([fund("A", {"a1": 30, "b1": 10}, field="x"), fund("B", {"a2": 60}, field="y")])
    del data["targets"]["volume_tolerance"], data["targets"]["min_share"]
    parsed = parse_problem(data)
    assert parsed.targets.volume_tolerance == 0.10
    assert parsed.targets.min_share == 0.25
    assert parsed.targets.funds_max == 2
    assert parsed.national_inflow == 100
    assert parsed.population["field"] == {"x": 0.4, "y": 0.6}
    assert parsed.population["region"] == {"R1": 0.9, "R2": 0.1}
    assert parsed.weights["volume"] == 0.25


def test_parse_problem_extent_resolves_without_excluded() -> None:
    data = problem([fund("A", {"a1": 1}, extent=["region:R1", "b1"])])
    data["excluded_municipalities"] = ["a2"]
    parsed = parse_problem(data)
    assert parsed.extent(parsed.fund("A")) == ("a1", "a3", "b1")


def test_parse_problem_locks_both_sides_is_an_error() -> None:
    data = problem([fund("A", {"a1": 1})], extra={"locks": {"include": ["A"], "exclude": ["A"]}})
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    assert caught.value.key == "locks.exclude"


def test_parse_problem_negative_inflow_names_municipality_and_fund() -> None:
    data = problem([fund("A", {"a1": 10}), fund("Ase", {"a2": -3})])
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    assert str(caught.value) == (
        "funds[1] (id 'Ase'): inflow for kommune a2 skal være et tal ≥ 0, fik -3"
    )
