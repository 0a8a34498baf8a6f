"""Coverage of chosen (a-kasse, municipality) pairs: treated and comparison inflow.

Inputs are an inflow table (:mod:`geo.inflow`: ``fund_id, municipality_code, inflow``), the
chosen pairs and an exclusion list. Terms:

- *participating* a-kasse: one with at least one chosen pair;
- *treated inflow* in a covered pair: ``φ · inflow``, where ``treated_fraction`` φ (default
  1.0) is the share of the inflow of a covered unit that gets the a-kasse's contact process
  (e.g. below 1 when screening sends some people to the jobcentre instead);
- *comparison inflow*: the inflow of a participating a-kasse in municipalities it does not
  cover — the comparison group of the evaluation (same a-kasse, other municipalities). The
  untreated rest ``(1 − φ) · inflow`` of covered pairs is not counted as comparison, because
  it is selected (screened), not comparable.

No excluded municipality may be covered: that raises :class:`ExcludedCoverageError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

import pandas as pd

from geo.errors import ExcludedCoverageError, GeoError, UnknownKeyError
from geo.reference import ExclusionList, exclusion_list
from geo.reference import municipalities as reference_municipalities
from geo.reference import regions as reference_regions

Pairs: TypeAlias = Iterable[tuple[str, str]] | pd.DataFrame


def coverage_by_municipality(
    inflow: pd.DataFrame,
    pairs: Pairs,
    exclusions: ExclusionList | None = None,
    *,
    treated_fraction: float = 1.0,
) -> pd.DataFrame:
    """Per municipality (index code): name, region_code, excluded, funds (sorted ids joined
    by ", "), n_funds, inflow_total, inflow_treated, treated_share, comparison_inflow."""
    detail = _detail(inflow, pairs, exclusions, treated_fraction)
    towns = reference_municipalities()
    grouped = detail.groupby("municipality_code")
    out = pd.DataFrame(index=towns.index)
    out["name"] = towns["name"]
    out["region_code"] = towns["region_code"]
    out["excluded"] = out.index.isin(list(_exclusions(exclusions).codes))
    covering = detail[detail["covered"]].groupby("municipality_code")["fund_id"]
    out["funds"] = covering.agg(lambda s: ", ".join(sorted(s))).reindex(out.index).fillna("")
    out["n_funds"] = covering.size().reindex(out.index, fill_value=0).astype(int)
    _add_sums(out, grouped)
    return out


def coverage_by_region(
    inflow: pd.DataFrame,
    pairs: Pairs,
    exclusions: ExclusionList | None = None,
    *,
    treated_fraction: float = 1.0,
) -> pd.DataFrame:
    """Per region (index code): name, municipalities_covered, municipalities_excluded, funds,
    inflow_total, inflow_treated, treated_share, comparison_inflow."""
    detail = _detail(inflow, pairs, exclusions, treated_fraction)
    per_town = coverage_by_municipality(
        inflow, pairs, exclusions, treated_fraction=treated_fraction
    )
    table = reference_regions()
    out = pd.DataFrame(index=table.index)
    out["name"] = table["name"]
    by_region = per_town.groupby("region_code")
    out["municipalities_covered"] = by_region["n_funds"].agg(lambda s: int((s > 0).sum()))
    out["municipalities_excluded"] = by_region["excluded"].sum().astype(int)
    covering = detail[detail["covered"]].groupby("region_code")["fund_id"]
    out["funds"] = covering.agg(lambda s: ", ".join(sorted(set(s)))).reindex(out.index).fillna("")
    _add_sums(out, detail.groupby("region_code"))
    return out


def comparison_by_fund(
    inflow: pd.DataFrame,
    pairs: Pairs,
    exclusions: ExclusionList | None = None,
    *,
    treated_fraction: float = 1.0,
) -> pd.DataFrame:
    """Per participating a-kasse (index fund_id): municipalities_covered, inflow_total,
    inflow_treated, comparison_inflow, comparison_in_excluded, comparison_outside_excluded
    and one ``comparison_<region code>`` column per region."""
    detail = _detail(inflow, pairs, exclusions, treated_fraction)
    mine = detail[detail["fund_id"].isin(set(detail.loc[detail["covered"], "fund_id"]))]
    grouped = mine.groupby("fund_id")
    out = pd.DataFrame(index=pd.Index(sorted(grouped.groups), name="fund_id"))
    out["municipalities_covered"] = grouped["covered"].sum().astype(int)
    _add_sums(out, grouped)
    out = out.drop(columns="treated_share")
    comparison = mine["comparison"]
    out["comparison_in_excluded"] = (
        comparison.where(mine["excluded"], 0.0).groupby(mine["fund_id"]).sum()
    )
    out["comparison_outside_excluded"] = out["comparison_inflow"] - out["comparison_in_excluded"]
    by_region = mine.pivot_table(
        index="fund_id", columns="region_code", values="comparison", aggfunc="sum", fill_value=0.0
    )
    for region in reference_regions().index:
        out[f"comparison_{region}"] = by_region.get(region, pd.Series(0.0, index=out.index))
    return out


def pairs_frame(pairs: Pairs) -> pd.DataFrame:
    """Chosen pairs as a sorted, de-duplicated ``fund_id, municipality_code`` frame."""
    frame = (
        pairs.copy()
        if isinstance(pairs, pd.DataFrame)
        else pd.DataFrame(list(pairs), columns=["fund_id", "municipality_code"])
    )
    frame = frame[["fund_id", "municipality_code"]].astype(str).drop_duplicates()
    return frame.sort_values(["fund_id", "municipality_code"], ignore_index=True)


def _detail(
    inflow: pd.DataFrame, pairs: Pairs, exclusions: ExclusionList | None, phi: float
) -> pd.DataFrame:
    if not 0.0 <= phi <= 1.0:
        raise GeoError(f"treated_fraction skal ligge mellem 0 og 1, ikke {phi}")
    chosen = pairs_frame(pairs)
    excl = _exclusions(exclusions)
    _check_pairs(chosen, inflow, excl)
    detail = inflow[["fund_id", "municipality_code", "inflow"]].copy()
    keys = set(zip(chosen["fund_id"], chosen["municipality_code"], strict=True))
    detail["covered"] = [
        k in keys for k in zip(detail["fund_id"], detail["municipality_code"], strict=True)
    ]
    participating = detail["fund_id"].isin(set(chosen["fund_id"]))
    detail["treated"] = detail["inflow"].where(detail["covered"], 0.0) * phi
    detail["comparison"] = detail["inflow"].where(participating & ~detail["covered"], 0.0)
    detail["excluded"] = detail["municipality_code"].isin(list(excl.codes))
    detail["region_code"] = detail["municipality_code"].map(
        reference_municipalities()["region_code"]
    )
    return detail


def _check_pairs(chosen: pd.DataFrame, inflow: pd.DataFrame, excl: ExclusionList) -> None:
    known_funds = set(inflow["fund_id"])
    known_codes = set(reference_municipalities().index)
    unknown = [
        f"{f}/{c}"
        for f, c in zip(chosen["fund_id"], chosen["municipality_code"], strict=True)
        if f not in known_funds or c not in known_codes
    ]
    if unknown:
        raise UnknownKeyError(f"ukendte a-kasser eller kommuner i valget: {', '.join(unknown)}")
    bad = [
        (f, c)
        for f, c in zip(chosen["fund_id"], chosen["municipality_code"], strict=True)
        if c in excl
    ]
    if bad:
        raise ExcludedCoverageError(bad)


def _add_sums(out: pd.DataFrame, grouped: pd.core.groupby.DataFrameGroupBy) -> None:
    out["inflow_total"] = grouped["inflow"].sum().reindex(out.index, fill_value=0.0)
    out["inflow_treated"] = grouped["treated"].sum().reindex(out.index, fill_value=0.0)
    total = out["inflow_total"].where(out["inflow_total"] > 0)
    out["treated_share"] = (out["inflow_treated"] / total).fillna(0.0)
    out["comparison_inflow"] = grouped["comparison"].sum().reindex(out.index, fill_value=0.0)


def _exclusions(exclusions: ExclusionList | None) -> ExclusionList:
    return exclusion_list() if exclusions is None else exclusions
