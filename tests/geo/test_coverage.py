import pandas as pd
import pytest

from geo.coverage import comparison_by_fund, coverage_by_municipality, coverage_by_region
from geo.errors import ExcludedCoverageError, GeoError, UnknownKeyError
from geo.reference import exclusion_list


def _inflow():
    """Two funds, three municipalities with inflow 100 each, zero elsewhere."""
    rows = [
        (f, c, 100.0 if c in ("101", "147", "851") else 0.0)
        for f in ("A", "B")
        for c in __import__("geo").municipalities().index
    ]
    return pd.DataFrame(rows, columns=["fund_id", "municipality_code", "inflow"])


def test_municipality_coverage_counts_treated_and_comparison():
    table = coverage_by_municipality(_inflow(), [("A", "101"), ("B", "101"), ("A", "147")])
    assert table.loc["101", "funds"] == "A, B"
    assert table.loc["101", "n_funds"] == 2
    assert table.loc["101", "inflow_treated"] == 200
    assert table.loc["101", "treated_share"] == 1.0
    assert table.loc["147", "comparison_inflow"] == 100  # B participates, not in 147
    assert table.loc["851", "comparison_inflow"] == 200
    assert table.loc["851", "excluded"]


def test_treated_fraction_scales_treated_only():
    table = coverage_by_municipality(_inflow(), [("A", "101")], treated_fraction=0.5)
    assert table.loc["101", "inflow_treated"] == 50
    assert table.loc["101", "treated_share"] == 0.25
    assert table.loc["101", "comparison_inflow"] == 0


def test_treated_fraction_out_of_range_is_an_error():
    with pytest.raises(GeoError):
        coverage_by_municipality(_inflow(), [("A", "101")], treated_fraction=1.5)


def test_region_coverage_sums_municipalities():
    table = coverage_by_region(_inflow(), [("A", "101")])
    assert table.loc["1084", "inflow_treated"] == 100
    assert table.loc["1084", "inflow_total"] == 400
    assert table.loc["1084", "municipalities_covered"] == 1
    assert table.loc["1081", "comparison_inflow"] == 100
    assert table.loc["1081", "municipalities_excluded"] == 11


def test_fund_comparison_by_region_and_exclusion():
    table = comparison_by_fund(_inflow(), [("A", "101")])
    assert list(table.index) == ["A"]
    assert table.loc["A", "comparison_inflow"] == 200
    assert table.loc["A", "comparison_in_excluded"] == 100
    assert table.loc["A", "comparison_outside_excluded"] == 100
    assert table.loc["A", "comparison_1084"] == 100
    assert table.loc["A", "comparison_1081"] == 100


def test_covering_an_excluded_municipality_is_an_error():
    with pytest.raises(ExcludedCoverageError) as info:
        coverage_by_municipality(_inflow(), [("A", "851")])
    assert info.value.pairs == (("A", "851"),)


def test_excluded_may_be_covered_without_exclusions():
    table = coverage_by_municipality(_inflow(), [("A", "851")], exclusion_list("none"))
    assert table.loc["851", "inflow_treated"] == 100


def test_unknown_fund_is_an_error():
    with pytest.raises(UnknownKeyError, match="Z/101"):
        coverage_by_municipality(_inflow(), [("Z", "101")])


def test_input_is_not_mutated():
    inflow = _inflow()
    before = inflow.copy()
    coverage_by_region(inflow, [("A", "101")])
    pd.testing.assert_frame_equal(inflow, before)
