"""All file reading of the geo package lives here.

Shipped reference data is read from the ``geo.data`` package; user files (exclusion lists,
inflow CSVs, boundary files, coverage JSON) from the paths the caller names. Everything else
in the package is pure and works on the data frames returned from here.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.errors import BoundaryFileError, ExclusionListError, GeoError, MapInputError

if TYPE_CHECKING:
    import geopandas as gpd

DATA_PACKAGE = "geo.data"
EXCLUSIONS_PACKAGE = "geo.data.exclusions"


def read_package_csv(name: str, package: str = DATA_PACKAGE) -> pd.DataFrame:
    """Read a CSV file shipped in ``package`` with every column as string (empty → NaN)."""
    with resources.files(package).joinpath(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[""])


def read_package_json(name: str, package: str = DATA_PACKAGE) -> dict[str, Any]:
    """Read a JSON object shipped in ``package``."""
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def shipped_exclusion_names() -> tuple[str, ...]:
    """The names of the exclusion lists shipped in ``geo/data/exclusions``."""
    entries = resources.files(EXCLUSIONS_PACKAGE).iterdir()
    return tuple(sorted(f.name[:-4] for f in entries if f.name.endswith(".csv")))


def read_exclusion_file(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a user exclusion list: a CSV with ``code`` and optional ``name``, ``reason``.

    Metadata (``name``, ``title``, ``period``, ``source``) is read from a JSON file with the
    same stem next to it when present.
    """
    csv_path = Path(path)
    try:
        rows = pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError) as exc:
        raise ExclusionListError(f"kan ikke læse udelukkelseslisten {csv_path}: {exc}") from exc
    sidecar = csv_path.with_suffix(".json")
    meta: dict[str, Any] = {"name": csv_path.stem, "source": str(csv_path)}
    if sidecar.is_file():
        meta.update(_read_json_object(sidecar, ExclusionListError))
    return rows, meta


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file (a BOM is dropped), naming the file in the error."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GeoError(f"kan ikke læse {path}: {exc}") from exc


def read_coverage_json(path: str | Path) -> dict[str, Any]:
    """Read the input of the ``map`` command: a coverage JSON or a ``selection-proposal/1``
    (see docs/geo.md); also the ``selection-problem/1`` it may take its frikommuner from."""
    return _read_json_object(Path(path), MapInputError)


def read_boundary_file(path: str | Path) -> gpd.GeoDataFrame:
    """Read a boundary file (GeoJSON, GeoPackage, Shapefile) as it is."""
    import geopandas as gpd  # heavy; only needed for official boundaries
    import pyogrio

    source = Path(path)
    if not source.exists():
        raise BoundaryFileError(f"grænsefilen findes ikke: {source}")
    try:
        return gpd.read_file(source, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise BoundaryFileError(f"kan ikke læse grænsefilen {source}: {exc}") from exc


def boundary_file_signature(path: str | Path) -> tuple[str, int, int]:
    """A cache key that changes when the file changes: resolved path, mtime and size."""
    try:
        stat = Path(path).stat()
    except OSError as exc:
        raise BoundaryFileError(f"grænsefilen findes ikke: {path}") from exc
    return str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size


def _read_json_object(path: Path, error: type[GeoError]) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise error(f"kan ikke læse {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise error(f"{path} skal indeholde et JSON-objekt")
    return data


def write_tiles_csv(layout: pd.DataFrame) -> Path:
    """Write the tile layout into the package data (used when regenerating it)."""
    target = Path(str(resources.files(DATA_PACKAGE).joinpath("tiles.csv")))
    layout.sort_index().to_csv(target, lineterminator="\n")
    return target
