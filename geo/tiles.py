"""The embedded tile map: each municipality is one equal-size hexagon.

Tiles are placed from the centroids by a min-cost assignment (squared distance) of the 98
centroids to the cells of a pointy-top hexagon grid, solved with
:func:`scipy.optimize.linear_sum_assignment`. The layout is computed once with
:func:`generate_layout` and shipped as ``geo/data/tiles.csv`` (axial ``q``, ``r``);
``python -m geo.tiles`` regenerates it and a test checks the shipped file is current.

Parameters (chosen by measuring how many truly adjacent municipality pairs end up as
neighbouring tiles, see docs/geo.md): a grid spacing of 20 km per tile in EPSG:25832,
a grid phase of (0.43, 0.5) tile units, and Bornholm's centroid moved 90 km west so it sits
near Zealand rather than far out east, then two tiles further east after the assignment so a
sea gap stays visible.
"""

from __future__ import annotations

import math
import sys
from functools import cache

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo import files
from geo.geometry import MapGeometry, Polygon, Ring, lines_path, path_data
from geo.reference import municipalities

SPACING_KM = 20.0
PHASE = (0.43, 0.5)
LAYOUT_SHIFTS_KM = {"400": (-90.0, 0.0)}
# Moves after the assignment, in tile steps, to leave a visible sea gap.
DETACHED = {"400": (2, 0)}
TILE_RADIUS = 34.0
MARGIN = 12.0
SQRT3 = math.sqrt(3.0)
# Axial neighbour directions of a pointy-top grid, in the order of the hexagon's edges
# starting with the east edge and turning clockwise on screen (y down).
DIRECTIONS: tuple[tuple[int, int], ...] = ((1, 0), (0, 1), (-1, 1), (-1, 0), (0, -1), (1, -1))


def generate_layout(towns: pd.DataFrame | None = None) -> pd.DataFrame:
    """Assign each municipality a hexagon cell; returns ``q``, ``r`` indexed by code."""
    frame = municipalities() if towns is None else towns
    points = _layout_points(frame)
    from scipy.optimize import linear_sum_assignment

    cells = _candidate_cells(points)
    centres = np.column_stack([SQRT3 * (cells[:, 0] + cells[:, 1] / 2), 1.5 * cells[:, 1]])
    cost = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    layout = pd.DataFrame(cells[cols[np.argsort(rows)]], columns=["q", "r"])
    layout.index = pd.Index(frame.index, name="code")
    return _normalised(_detached(layout))


def _detached(layout: pd.DataFrame) -> pd.DataFrame:
    out = layout.copy()
    taken = set(zip(out["q"], out["r"], strict=True))
    for code, (dq, dr) in DETACHED.items():
        if code in out.index:
            target = (int(out.at[code, "q"]) + dq, int(out.at[code, "r"]) + dr)
            if target not in taken:
                out.loc[code, ["q", "r"]] = target
    return out


def shipped_layout() -> pd.DataFrame:
    """The layout shipped in ``geo/data/tiles.csv``."""
    return _shipped_layout().copy()


def are_neighbours(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """True when two axial cells share an edge."""
    return (b[0] - a[0], b[1] - a[1]) in DIRECTIONS


def tile_geometry() -> MapGeometry:
    """The tile map as drawable geometry (cached; cheap to call)."""
    return _tile_geometry()


def _layout_points(frame: pd.DataFrame) -> NDArray[np.float64]:
    import geopandas as gpd  # only needed when regenerating the layout

    lonlat = gpd.points_from_xy(frame["centroid_lon"], frame["centroid_lat"], crs=4326)
    projected = gpd.GeoSeries(lonlat).to_crs(25832)
    km = np.column_stack([projected.x.to_numpy(), projected.y.to_numpy()]) / 1000.0
    for code, (dx, dy) in LAYOUT_SHIFTS_KM.items():
        if code in frame.index:
            km[frame.index.get_loc(code)] += (dx, dy)
    points = (km - km.mean(axis=0)) / SPACING_KM
    points[:, 1] = -points[:, 1]
    return np.asarray(points + np.array(PHASE), dtype=np.float64)


def _candidate_cells(points: NDArray[np.float64]) -> NDArray[np.int64]:
    rows = range(math.floor(points[:, 1].min() / 1.5) - 3, math.ceil(points[:, 1].max() / 1.5) + 4)
    xmin, xmax = points[:, 0].min() - 3, points[:, 0].max() + 3
    cells = [
        (q, r)
        for r in rows
        for q in range(math.floor(xmin / SQRT3 - r / 2), math.ceil(xmax / SQRT3 - r / 2) + 1)
        if xmin < SQRT3 * (q + r / 2) < xmax
    ]
    return np.array(cells, dtype=np.int64)


def _normalised(layout: pd.DataFrame) -> pd.DataFrame:
    """Shift so the top row is r = 0 and keep row parity, so shapes do not change."""
    top = int(layout["r"].min())
    shift = top - top % 2
    out = layout.copy()
    out["r"] -= shift
    out["q"] += shift // 2
    out["q"] -= int((out["q"] + out["r"] // 2).min())
    return out.astype(int)


@cache
def _shipped_layout() -> pd.DataFrame:
    frame = files.read_package_csv("tiles.csv").set_index("code")
    return frame.astype(int)


def _centre(q: int, r: int, top_left: tuple[float, float]) -> tuple[float, float]:
    x = SQRT3 * TILE_RADIUS * (q + r / 2) - top_left[0]
    y = 1.5 * TILE_RADIUS * r - top_left[1]
    return x, y


def _hexagon(cx: float, cy: float) -> Ring:
    angles = np.radians(np.arange(6) * 60.0 - 30.0)
    return np.column_stack([cx + TILE_RADIUS * np.cos(angles), cy + TILE_RADIUS * np.sin(angles)])


@cache
def _tile_geometry() -> MapGeometry:
    layout = _shipped_layout()
    towns = municipalities()
    xs = SQRT3 * TILE_RADIUS * (layout["q"] + layout["r"] / 2)
    ys = 1.5 * TILE_RADIUS * layout["r"]
    top_left = (
        float(xs.min()) - SQRT3 * TILE_RADIUS / 2 - MARGIN,
        float(ys.min()) - TILE_RADIUS - MARGIN,
    )
    cells = {code: (int(row.q), int(row.r)) for code, row in layout.iterrows()}
    polygons: dict[str, tuple[Polygon, ...]] = {}
    points: dict[str, tuple[float, float]] = {}
    for code, (q, r) in cells.items():
        points[code] = _centre(q, r, top_left)
        polygons[code] = ((_hexagon(*points[code]),),)
    borders = _region_edges(cells, towns["region_code"].to_dict(), polygons)
    return MapGeometry(
        kind="tiles",
        width=float(xs.max() - xs.min()) + SQRT3 * TILE_RADIUS + 2 * MARGIN,
        height=float(ys.max() - ys.min()) + 2 * TILE_RADIUS + 2 * MARGIN,
        polygons=polygons,
        paths={code: path_data(p) for code, p in polygons.items()},
        label_points=points,
        label_room={code: SQRT3 * TILE_RADIUS for code in polygons},
        region_borders=borders,
        region_border_path=lines_path(borders),
        note="Hver kommune vises som en lige stor sekskant, placeret efter dens beliggenhed.",
    )


def _region_edges(
    cells: dict[str, tuple[int, int]],
    region_of: dict[str, str],
    polygons: dict[str, tuple[Polygon, ...]],
) -> tuple[Ring, ...]:
    """Hexagon edges where the neighbour is missing or in another region (each edge once)."""
    at = {cell: code for code, cell in cells.items()}
    edges: list[Ring] = []
    for code, (q, r) in sorted(cells.items()):
        hexagon = polygons[code][0][0]
        for i, (dq, dr) in enumerate(DIRECTIONS):
            other = at.get((q + dq, r + dr))
            if other is None or (region_of[other] != region_of[code] and code < other):
                edges.append(np.array([hexagon[i], hexagon[(i + 1) % 6]]))
    return tuple(edges)


def main() -> int:
    """Regenerate ``geo/data/tiles.csv`` next to this module."""
    files.write_tiles_csv(generate_layout())
    sys.stdout.write("geo/data/tiles.csv regenerated\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
