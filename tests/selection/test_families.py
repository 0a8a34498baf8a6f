"""The registry of relaxable families matches the model and the relaxations."""

from __future__ import annotations

import pytest

from selection import families, relax
from selection.model import build_model
from selection.problem import DIMENSIONS, Problem, parse_problem
from tests.selection.builders import fund, problem

# Rows that are never relaxed: links, cover, eligibility and the objective's.
STRUCTURAL = {"link", "cover", "eligible", "deviation", "volume_above", "volume_below"}


def every_family() -> Problem:
    """A problem whose model has rows of every relaxable family."""
    funds = [
        fund("A", {"a1": 60, "b1": 40}, field="f1", capacity=50),
        fund("B", {"a2": 50}, field="f2"),
        fund("C", {"b2": 30}, field="f2", size="large"),
    ]
    data = problem(
        funds,
        granularity="municipality",
        min_share=0.1,
        max_share=0.9,
        funds_min=1,
        funds_max=2,
        min_comparison_share=0.1,
        max_fund_share=0.8,
        max_treated_share=dict.fromkeys(DIMENSIONS, 0.9),
        extra={"locks": {"include": ["A"], "exclude": ["C"]}},
    )
    return parse_problem(data)


def test_families_names_and_rows_are_unique() -> None:
    names = [f.name for f in families.FAMILIES]
    assert len(names) == len(set(names))
    assert len(families.ROWS) == len(set(families.ROWS))
    assert [f.name for f in families.FAMILIES if f.is_volume] == ["volume_high", "volume_low"]


def test_families_cover_every_row_family_of_the_model_that_is_not_structural() -> None:
    names = build_model(every_family()).constraint_names()
    assert {families.row_family(n) for n in names} - STRUCTURAL == set(families.ROWS)


@pytest.mark.parametrize("row", families.ROWS)
def test_model_omit_leaves_out_exactly_the_rows_of_the_family(row: str) -> None:
    full = build_model(every_family()).constraint_names()
    without = build_model(every_family(), omit=[row]).constraint_names()
    assert set(without) <= set(full)
    assert set(full) - set(without) == {n for n in full if families.row_family(n) == row}


def test_model_rejects_an_unknown_family() -> None:
    with pytest.raises(ValueError, match="volume_low"):
        build_model(every_family(), omit=["volume_low"])


@pytest.mark.parametrize("family", families.FAMILIES, ids=lambda f: f.name)
def test_every_family_has_an_elastic_form_over_its_rows(family: families.Family) -> None:
    form = relax.elastic_form(every_family(), family.name)
    assert form.omit == family.rows
    assert family.da and family.en


def test_rows_of_expands_families_and_keeps_row_families() -> None:
    assert families.rows_of(["volume_low", "capacity", "max_share"]) == (
        "volume_band_low",
        "min_share",
        "capacity",
        "max_share",
    )
    assert families.row_family("max_treated_share__region__R1") == "max_treated_share:region"
    assert families.row_family("capacity__A") == "capacity"
