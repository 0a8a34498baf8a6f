"""PNG output for :func:`geo.maps.render_map`, drawn with matplotlib's Agg canvas.

No pyplot and no global backend switch: a private ``Figure`` per call, so the package can be
used inside a web process. The picture follows the SVG: title, map, legend, notes.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from geo.geometry import MapGeometry, Polygon
from geo.mapdata import HATCH_INK, MIN_LABEL_ROOM, MISSING_FILL, MapSpec

DPI = 150
LEGEND_UNITS = 230.0
UNITS_PER_INCH = 96.0


def render_png(spec: MapSpec, geometry: MapGeometry) -> bytes:
    """PNG bytes of the map."""
    width_in = (geometry.width + LEGEND_UNITS) / UNITS_PER_INCH
    height_in = (geometry.height + 90.0) / UNITS_PER_INCH
    figure = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.0, 0.06, geometry.width / (geometry.width + LEGEND_UNITS), 0.86))
    axes.set_xlim(0, geometry.width)
    axes.set_ylim(geometry.height, 0)
    axes.set_aspect("equal")
    axes.set_axis_off()
    _draw_features(axes, spec, geometry)
    axes.add_collection(
        LineCollection(list(geometry.region_borders), colors="#1a1a1a", linewidths=1.6)
    )
    for x, y, w, h in geometry.frames:
        axes.add_patch(
            Rectangle((x, y), w, h, fill=False, edgecolor="#8c8c8c", linestyle="--", linewidth=0.8)
        )
    _draw_labels(axes, spec, geometry)
    figure.text(0.01, 0.97, spec.title, fontsize=13, fontweight="bold", va="top")
    _draw_legend(figure, spec)
    foot = " ".join(t for t in (spec.note, geometry.attribution) if t)
    figure.text(0.01, 0.015, foot, fontsize=7, color="#3d3d3d", wrap=True)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _mpl_path(polygons: tuple[Polygon, ...]) -> MplPath:
    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for polygon in polygons:
        for ring in polygon:
            closed = np.vstack([ring, ring[:1]])
            kinds = np.full(len(closed), MplPath.LINETO, dtype=np.uint8)
            kinds[0], kinds[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            vertices.append(closed)
            codes.append(kinds)
    return MplPath(np.vstack(vertices), np.concatenate(codes))


def _draw_features(axes: Axes, spec: MapSpec, geometry: MapGeometry) -> None:
    tiles = geometry.kind == "tiles"
    for feature in spec.features:
        patch = PathPatch(
            _mpl_path(geometry.polygons[feature.code]),
            facecolor="white" if feature.hatched else feature.fill,
            edgecolor=HATCH_INK if feature.hatched else ("white" if tiles else "#6f6f6f"),
            hatch="////" if feature.hatched else None,
            linewidth=1.0 if tiles else 0.3,
        )
        axes.add_patch(patch)
        if feature.hatched:
            # Matplotlib draws the hatch in the edge colour; outline separately.
            outline = PathPatch(
                _mpl_path(geometry.polygons[feature.code]),
                fill=False,
                edgecolor="white" if tiles else "#6f6f6f",
                linewidth=1.0 if tiles else 0.3,
            )
            axes.add_patch(outline)


def _draw_labels(axes: Axes, spec: MapSpec, geometry: MapGeometry) -> None:
    tiles = geometry.kind == "tiles"
    for feature in spec.features:
        x, y = geometry.label_points[feature.code]
        if tiles:
            name = spec.short_names.get(feature.code, feature.code)
            box = (
                {"facecolor": "white", "edgecolor": "none", "pad": 0.6} if feature.hatched else None
            )
            axes.text(
                x, y - 5, name, ha="center", va="center", fontsize=4.6, color=feature.ink, bbox=box
            )
        if feature.value_text and (tiles or geometry.label_room[feature.code] >= MIN_LABEL_ROOM):
            dy = 6 if tiles else 0
            axes.text(
                x,
                y + dy,
                feature.value_text,
                ha="center",
                va="center",
                fontsize=6.5,
                fontweight="bold",
                color=feature.ink,
            )


def _draw_legend(figure: Figure, spec: MapSpec) -> None:
    handles: list[Patch | Line2D] = [
        Patch(facecolor=c.fill, edgecolor="#6f6f6f", label=c.label) for c in spec.classes
    ]
    if spec.has_missing:
        handles.append(Patch(facecolor=MISSING_FILL, edgecolor="#6f6f6f", label=spec.missing_label))
    if spec.has_excluded:
        handles.append(
            Patch(facecolor="white", edgecolor=HATCH_INK, hatch="////", label=spec.excluded_label)
        )
    handles.append(Line2D([0], [0], color="#1a1a1a", linewidth=1.6, label=spec.region_border_label))
    figure.legend(
        handles=handles,
        loc="upper right",
        bbox_to_anchor=(0.995, 0.92),
        frameon=False,
        title=spec.legend_title or None,
        fontsize=8,
        title_fontsize=8,
        alignment="left",
    )
