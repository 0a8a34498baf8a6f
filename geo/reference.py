"""Reference data: municipalities, regions, exclusion lists and a-kasser (funds).

Every accessor returns a fresh copy, so callers may modify what they get. Frames are indexed
by the 3-digit municipality code (``"101"``), the region code (``"1084"``) or the fund id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from geo import files
from geo.errors import ExclusionListError

DEFAULT_EXCLUSIONS = "frikommuner-2019"
NO_EXCLUSIONS = "none"


@dataclass(frozen=True)
class ExclusionList:
    """Municipalities that may not be covered, as versioned data with reasons."""

    name: str
    title: str
    period: str
    source: str
    reasons: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def codes(self) -> frozenset[str]:
        """The excluded municipality codes."""
        return frozenset(self.reasons)

    def __contains__(self, code: object) -> bool:
        return code in self.reasons

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.reasons))

    def __len__(self) -> int:
        return len(self.reasons)

    def to_frame(self) -> pd.DataFrame:
        """One row per excluded municipality: name, region, reason, list, source, period."""
        towns = municipalities()
        codes = sorted(self.reasons)
        return pd.DataFrame(
            {
                "name": towns.loc[codes, "name"].to_list(),
                "region_code": towns.loc[codes, "region_code"].to_list(),
                "reason": [self.reasons[c] for c in codes],
                "exclusion_list": self.name,
                "source": self.source,
                "period": self.period,
            },
            index=pd.Index(codes, name="code"),
        )


def municipalities() -> pd.DataFrame:
    """The 98 municipalities indexed by code.

    Columns: name, short_name, region_code, region_name, population, population_year,
    area_km2, centroid_lon, centroid_lat.
    """
    return _municipalities().copy()


def regions() -> pd.DataFrame:
    """The 5 regions indexed by code (1081–1085): name, municipalities (count), population."""
    return _regions().copy()


def funds() -> pd.DataFrame:
    """The 24 a-kasser indexed by id.

    Columns: name, members (float, NaN where unknown), field, sector, size (NaN where
    unknown), trial_2019 (``no``/``municipalities``/``national``) and
    trial_2019_municipalities (a tuple of codes, empty where unknown).
    """
    return _funds().copy()


def exclusion_names() -> tuple[str, ...]:
    """Names accepted by :func:`exclusion_list`: the shipped lists and ``"none"``."""
    return (*files.shipped_exclusion_names(), NO_EXCLUSIONS)


def exclusion_list(name: str = DEFAULT_EXCLUSIONS) -> ExclusionList:
    """A shipped exclusion list by name, or the empty list for ``"none"``."""
    if name == NO_EXCLUSIONS:
        return ExclusionList(NO_EXCLUSIONS, "Ingen udelukkede kommuner", "", "")
    if name not in files.shipped_exclusion_names():
        known = ", ".join(exclusion_names())
        raise ExclusionListError(f"ukendt udelukkelsesliste '{name}' (kendte: {known})")
    return _shipped_exclusions(name)


def load_exclusion_list(path: str | Path) -> ExclusionList:
    """An exclusion list from a CSV file (``code`` and optional ``name``, ``reason``)."""
    rows, meta = files.read_exclusion_file(path)
    return exclusion_list_from_frame(rows, meta)


def resolve_exclusions(spec: str) -> ExclusionList:
    """A shipped list name, ``"none"`` or the path of a CSV file (as the CLI accepts)."""
    if spec in exclusion_names():
        return exclusion_list(spec)
    if spec.lower().endswith(".csv"):
        return load_exclusion_list(spec)
    return exclusion_list(spec)


def exclusion_list_from_frame(rows: pd.DataFrame, meta: Mapping[str, object]) -> ExclusionList:
    """Build and validate an exclusion list from rows and metadata."""
    if "code" not in rows.columns:
        raise ExclusionListError("udelukkelseslisten mangler kolonnen 'code'")
    codes = [normalise_code(str(c)) for c in rows["code"]]
    unknown = sorted(set(codes) - set(_municipalities().index))
    if unknown:
        raise ExclusionListError(f"ukendte kommunekoder i udelukkelseslisten: {unknown}")
    default_reason = str(meta.get("reason", "Udelukket"))
    reasons = rows["reason"].fillna(default_reason) if "reason" in rows else None
    by_code = {
        c: default_reason if reasons is None else str(reasons.iloc[i]) for i, c in enumerate(codes)
    }
    return ExclusionList(
        name=str(meta.get("name", "")),
        title=str(meta.get("title", meta.get("name", ""))),
        period=str(meta.get("period", "")),
        source=str(meta.get("source", "")),
        reasons=MappingProxyType(dict(sorted(by_code.items()))),
    )


def normalise_code(code: str) -> str:
    """DAGI's 4-digit ``"0101"`` and plain ``"101"`` both become ``"101"``."""
    text = code.strip()
    if len(text) == 4 and text.startswith("0") and text.isdigit():
        return text[1:]
    return text


@cache
def _municipalities() -> pd.DataFrame:
    towns = files.read_package_csv("municipalities.csv").set_index("code")
    names = _regions_raw()["name"]
    towns.insert(3, "region_name", towns["region_code"].map(names))
    for column in ("population", "population_year"):
        towns[column] = towns[column].astype(int)
    for column in ("area_km2", "centroid_lon", "centroid_lat"):
        towns[column] = towns[column].astype(float)
    return towns.sort_index()


@cache
def _regions_raw() -> pd.DataFrame:
    return files.read_package_csv("regions.csv").set_index("code").sort_index()


@cache
def _regions() -> pd.DataFrame:
    frame = _regions_raw().copy()
    grouped = _municipalities().groupby("region_code")
    frame["municipalities"] = grouped.size().reindex(frame.index).astype(int)
    frame["population"] = grouped["population"].sum().reindex(frame.index).astype(int)
    return frame


@cache
def _funds() -> pd.DataFrame:
    frame = files.read_package_csv("funds.csv").set_index("id")
    frame["members"] = frame["members"].astype(float)
    lists = frame["trial_2019_municipalities"].fillna("")
    frame["trial_2019_municipalities"] = [tuple(s.split(";")) if s else () for s in lists]
    return frame


@cache
def _shipped_exclusions(name: str) -> ExclusionList:
    rows = files.read_package_csv(f"{name}.csv", files.EXCLUSIONS_PACKAGE)
    meta = files.read_package_json(f"{name}.json", files.EXCLUSIONS_PACKAGE)
    return exclusion_list_from_frame(rows, meta)
