"""Map geometry in drawing units, shared by the tile map and official boundaries.

A :class:`MapGeometry` holds, per municipality, polygons already projected, scaled and
flipped into SVG user units (x right, y down), the SVG path data for them, a label point,
the room for a label, and the region borders. Renderers only draw what is here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Ring = NDArray[np.float64]
"""An (n, 2) array of x, y in drawing units; closed implicitly."""
Polygon = tuple[Ring, ...]
"""An exterior ring followed by its holes."""


@dataclass(frozen=True, eq=False)
class MapGeometry:
    """Everything needed to draw the 98 municipalities (see module docstring)."""

    kind: str
    width: float
    height: float
    polygons: Mapping[str, tuple[Polygon, ...]]
    paths: Mapping[str, str]
    label_points: Mapping[str, tuple[float, float]]
    label_room: Mapping[str, float]
    region_borders: tuple[Ring, ...]
    region_border_path: str
    frames: tuple[tuple[float, float, float, float], ...] = ()
    attribution: str = ""
    note: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        """The municipality codes drawn, sorted."""
        return tuple(sorted(self.polygons))


def path_data(polygons: Iterable[Polygon]) -> str:
    """SVG path data for polygons with holes (use ``fill-rule="evenodd"``)."""
    return "".join(ring_path(ring) for polygon in polygons for ring in polygon)


def ring_path(ring: Ring, *, closed: bool = True) -> str:
    """SVG path data for one ring or line, coordinates rounded to 0.1 unit."""
    coords = np.round(ring, 1)
    points = " ".join(f"{_num(x)} {_num(y)}" for x, y in coords)
    return f"M{points}{'Z' if closed else ''}"


def lines_path(lines: Sequence[Ring]) -> str:
    """SVG path data for open polylines."""
    return "".join(ring_path(line, closed=False) for line in lines)


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
