"""What :func:`geo.maps.render_map` hands to its renderers: the map's content, drawn by
:mod:`geo.render_svg` and :mod:`geo.render_png` alike.

:mod:`geo.maps` decides the content (classes, fills, hatching, texts); the renderers only draw
it. Both sides import this module and nothing of each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

EXCLUDED_LABEL = "frikommune – udelukket"
MISSING_LABEL = "ingen værdi"
MISSING_FILL = "#ececec"
HATCH_INK = "#4d4d4d"
REGION_BORDER_LABEL = "regionsgrænse"
MIN_LABEL_ROOM = 18.0
"""Official boundaries: a municipality gets its value as text only with this much room (units)."""


@dataclass(frozen=True)
class MapWords:
    """The fixed words a map draws (Danish by default); a caller in another language passes
    its own."""

    excluded: str = EXCLUDED_LABEL
    missing: str = MISSING_LABEL
    region_border: str = REGION_BORDER_LABEL


@dataclass(frozen=True)
class ValueClass:
    """One legend class: values in [lower, upper] (upper open except for the last)."""

    lower: float
    upper: float
    label: str
    fill: str
    ink: str


@dataclass(frozen=True)
class Feature:
    """What to draw for one municipality."""

    code: str
    fill: str
    ink: str
    hatched: bool
    value_text: str
    tooltip: str


@dataclass(frozen=True)
class MapSpec:
    """Renderer-independent content of a map: features, legend and texts."""

    title: str
    legend_title: str
    classes: tuple[ValueClass, ...]
    features: tuple[Feature, ...]
    has_missing: bool
    has_excluded: bool
    excluded_label: str
    note: str
    short_names: Mapping[str, str]
    missing_label: str = MISSING_LABEL
    region_border_label: str = REGION_BORDER_LABEL
