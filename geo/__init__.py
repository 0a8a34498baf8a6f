"""Geography for Forsøgsportalen: municipalities, regions, exclusions, extents, inflow, maps.

A pure package: no web framework, no database. See docs/geo.md for the public API.
"""

from os import PathLike
from pathlib import Path

from geo.coverage import comparison_by_fund, coverage_by_municipality, coverage_by_region
from geo.errors import (
    BoundaryFileError,
    ExcludedCoverageError,
    ExclusionListError,
    GeoError,
    InflowCSVError,
    MapInputError,
    UnknownEntryError,
    UnknownKeyError,
)
from geo.extents import Extent, resolve_extent
from geo.geometry import MapGeometry
from geo.inflow import apply_reported, load_reported_inflow, model_inflow, parse_inflow_csv
from geo.mapdata import MapWords
from geo.maps import render_map
from geo.reference import (
    ExclusionList,
    exclusion_list,
    funds,
    load_exclusion_list,
    municipalities,
    regions,
)

BoundaryGeometry = MapGeometry
"""Alias: what :func:`geo.boundaries.load_boundaries` returns."""


def load_boundaries(path: str | PathLike[str], *, simplify_m: float = 250.0) -> MapGeometry:
    """Official boundaries from a file; see :func:`geo.boundaries.load_boundaries`.

    Imported lazily so that ``import geo`` does not load GeoPandas.
    """
    from geo.boundaries import load_boundaries as _load

    return _load(Path(path), simplify_m=simplify_m)


__all__ = [
    "MapWords",
    "BoundaryFileError",
    "BoundaryGeometry",
    "ExcludedCoverageError",
    "ExclusionList",
    "ExclusionListError",
    "Extent",
    "GeoError",
    "InflowCSVError",
    "MapGeometry",
    "MapInputError",
    "UnknownEntryError",
    "UnknownKeyError",
    "apply_reported",
    "comparison_by_fund",
    "coverage_by_municipality",
    "coverage_by_region",
    "exclusion_list",
    "funds",
    "load_boundaries",
    "load_exclusion_list",
    "load_reported_inflow",
    "model_inflow",
    "municipalities",
    "parse_inflow_csv",
    "regions",
    "render_map",
    "resolve_extent",
]
