"""Official municipality boundaries from a file the user names (DAGI and alike).

:func:`prepare_boundaries` turns a raw layer (one feature per polygon part, 4-digit
``KOMKODE``) into one geometry per municipality in EPSG:25832, indexed by the 3-digit code,
without Christiansø (``0411``, not a municipality). :func:`boundary_geometry` simplifies the
coverage (shared edges stay shared), drops slivers of islets, moves Bornholm into an inset
and scales everything to drawing units. :func:`load_boundaries` does both from a path and
caches the result per file version.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo import files
from geo.errors import BoundaryFileError
from geo.geometry import MapGeometry, Polygon, Ring, lines_path, path_data
from geo.reference import municipalities, normalise_code

DAGI_ATTRIBUTION = "Indeholder data fra Styrelsen for Dataforsyning og Infrastruktur"
CODE_COLUMNS = ("KOMKODE", "kommunekode", "komkode", "code")
NOT_MUNICIPALITIES = frozenset({"411"})
COMPUTE_CRS = 25832
SIMPLIFY_M = 250.0
MIN_PART_KM2 = 0.4
MAP_WIDTH = 640.0
MARGIN = 12.0
INSET_CODE = "400"
# Where Bornholm's bounding box centre is drawn, in EPSG:25832 metres (north of Zealand,
# over the Kattegat where nothing else is drawn).
INSET_CENTRE = (765_000.0, 6_345_000.0)
INSET_PAD_M = 6_000.0
ToView = Callable[[Ring], Ring]


def load_boundaries(
    path: str | Path, *, simplify_m: float = SIMPLIFY_M, attribution: str = DAGI_ATTRIBUTION
) -> MapGeometry:
    """Read, prepare and simplify a boundary file; cached while the file is unchanged."""
    return _load_cached(files.boundary_file_signature(path), simplify_m, attribution)


@lru_cache(maxsize=8)
def _load_cached(
    signature: tuple[str, int, int], simplify_m: float, attribution: str
) -> MapGeometry:
    raw = files.read_boundary_file(signature[0])
    return boundary_geometry(
        prepare_boundaries(raw), simplify_m=simplify_m, attribution=attribution
    )


def prepare_boundaries(raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One (multi)polygon per municipality in EPSG:25832, indexed by 3-digit code."""
    column = _code_column(raw)
    frame = gpd.GeoDataFrame(
        {"code": [normalise_code(str(c)) for c in raw[column]]},
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs if raw.crs is not None else _guess_crs(raw),
    )
    frame = frame[~frame["code"].isin(NOT_MUNICIPALITIES)].to_crs(COMPUTE_CRS)
    _check_codes(set(frame["code"]))
    parts = frame.groupby("code")["geometry"].agg(lambda g: shapely.union_all(g.to_numpy()))
    dissolved = gpd.GeoDataFrame(geometry=parts.to_numpy(), index=parts.index, crs=COMPUTE_CRS)
    dissolved.index.name = "code"
    return dissolved.sort_index()


def boundary_geometry(
    prepared: gpd.GeoDataFrame,
    *,
    simplify_m: float = SIMPLIFY_M,
    attribution: str = DAGI_ATTRIBUTION,
) -> MapGeometry:
    """Drawable geometry from :func:`prepare_boundaries` output."""
    codes = list(prepared.index)
    geoms = _simplified(prepared.geometry.to_numpy(), simplify_m)
    geoms = np.array([_without_slivers(g) for g in geoms], dtype=object)
    frames: list[tuple[float, float, float, float]] = []
    if INSET_CODE in codes:
        geoms, frame = _inset(geoms, codes.index(INSET_CODE))
        frames.append(frame)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    scale = (MAP_WIDTH - 2 * MARGIN) / (maxx - minx)

    def to_view(coords: Ring) -> Ring:
        return np.column_stack(
            [(coords[:, 0] - minx) * scale + MARGIN, (maxy - coords[:, 1]) * scale + MARGIN]
        )

    polygons = {code: _polygons(g, to_view) for code, g in zip(codes, geoms, strict=True)}
    borders = _region_borders(codes, geoms, to_view)
    centres = [shapely.maximum_inscribed_circle(_largest(g), 50.0) for g in geoms]
    return MapGeometry(
        kind="boundaries",
        width=MAP_WIDTH,
        height=float((maxy - miny) * scale + 2 * MARGIN),
        polygons=polygons,
        paths={code: path_data(p) for code, p in polygons.items()},
        label_points={c: _point(line, to_view) for c, line in zip(codes, centres, strict=True)},
        label_room={c: 2 * line.length * scale for c, line in zip(codes, centres, strict=True)},
        region_borders=borders,
        region_border_path=lines_path(borders),
        frames=tuple(_view_frame(f, to_view) for f in frames),
        attribution=attribution,
    )


def _code_column(raw: gpd.GeoDataFrame) -> str:
    lookup = {str(c).lower(): str(c) for c in raw.columns}
    for name in CODE_COLUMNS:
        if name.lower() in lookup:
            return lookup[name.lower()]
    raise BoundaryFileError(
        f"grænsefilen mangler en kolonne med kommunekode ({', '.join(CODE_COLUMNS)})"
    )


def _guess_crs(raw: gpd.GeoDataFrame) -> int:
    """Files without a CRS: lon/lat if the numbers fit, else DAGI's native EPSG:25832."""
    minx, miny, maxx, maxy = raw.total_bounds
    return 4326 if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90 else COMPUTE_CRS


def _check_codes(found: set[str]) -> None:
    known = set(municipalities().index)
    unknown, missing = sorted(found - known), sorted(known - found)
    if unknown or missing:
        detail = "; ".join(
            text
            for text in (
                f"ukendte koder: {', '.join(unknown)}" if unknown else "",
                f"manglende kommuner: {', '.join(missing)}" if missing else "",
            )
            if text
        )
        raise BoundaryFileError(f"grænsefilen passer ikke til de 98 kommuner ({detail})")


def _simplified(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify as a coverage so neighbours keep one shared edge; fall back per polygon."""
    if tolerance <= 0:
        return geoms
    simplified = shapely.coverage_simplify(geoms, tolerance)
    if bool(shapely.is_valid(simplified).all()) and not bool(shapely.is_empty(simplified).any()):
        return np.asarray(simplified, dtype=object)
    return np.asarray(shapely.simplify(geoms, tolerance, preserve_topology=True), dtype=object)


def _without_slivers(geom: BaseGeometry) -> BaseGeometry:
    parts = list(shapely.get_parts(geom))
    largest = max(parts, key=lambda p: p.area)
    kept = [p for p in parts if p.area >= MIN_PART_KM2 * 1e6 or p is largest]
    return shapely.multipolygons(kept) if len(kept) > 1 else kept[0]


def _largest(geom: BaseGeometry) -> BaseGeometry:
    return max(shapely.get_parts(geom), key=lambda p: p.area)


def _inset(geoms: np.ndarray, index: int) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    minx, miny, maxx, maxy = shapely.bounds(geoms[index])
    dx = INSET_CENTRE[0] - (minx + maxx) / 2
    dy = INSET_CENTRE[1] - (miny + maxy) / 2
    moved = geoms.copy()
    moved[index] = shapely.transform(geoms[index], lambda c: c + (dx, dy))
    pad = INSET_PAD_M
    return moved, (minx + dx - pad, miny + dy - pad, maxx + dx + pad, maxy + dy + pad)


def _polygons(geom: BaseGeometry, to_view: ToView) -> tuple[Polygon, ...]:
    out: list[Polygon] = []
    for part in shapely.get_parts(geom):
        rings = [part.exterior, *part.interiors]
        out.append(tuple(to_view(np.asarray(r.coords)[:-1, :2]) for r in rings))
    return tuple(out)


def _region_borders(codes: list[str], geoms: np.ndarray, to_view: ToView) -> tuple[Ring, ...]:
    """Lines where two regions meet (coastlines stay thin municipality edges)."""
    region_of = municipalities()["region_code"].reindex(codes).to_numpy()
    outlines = [
        shapely.boundary(shapely.coverage_union_all(geoms[region_of == region]))
        for region in sorted(set(region_of))
    ]
    lines: list[Ring] = []
    for i, first in enumerate(outlines):
        for second in outlines[i + 1 :]:
            shared = shapely.line_merge(shapely.intersection(first, second))
            for part in shapely.get_parts(shared):
                if isinstance(part, shapely.LineString) and part.length > 0:
                    lines.append(to_view(np.asarray(part.coords)[:, :2]))
    return tuple(lines)


def _point(line: BaseGeometry, to_view: ToView) -> tuple[float, float]:
    x, y = to_view(np.asarray(line.coords)[:1, :2])[0]
    return float(x), float(y)


def _view_frame(
    frame: tuple[float, float, float, float], to_view: ToView
) -> tuple[float, float, float, float]:
    corners = to_view(np.array([[frame[0], frame[3]], [frame[2], frame[1]]]))
    (x0, y0), (x1, y1) = corners
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)
