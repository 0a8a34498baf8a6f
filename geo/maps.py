"""Choropleth maps of municipal values: one entry point, :func:`render_map`.

The same function draws the embedded tile map (default) or official boundaries (a
:class:`~geo.geometry.MapGeometry` from :func:`geo.boundaries.load_boundaries`), as SVG for
pages and SVG or PNG for PDFs. Meaning never rests on colour alone: classes use a
colour-blind-safe sequential palette (ColorBrewer YlGnBu) ordered by lightness, tiles carry
their value as text, excluded municipalities are hatched, and every municipality has a
``<title>`` with its Danish name and value.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Literal, overload

from geo.errors import MapInputError
from geo.geometry import MapGeometry
from geo.mapdata import MISSING_FILL, Feature, MapSpec, MapWords, ValueClass
from geo.reference import ExclusionList, exclusion_list, municipalities

Format = Literal["svg", "png"]
# ColorBrewer YlGnBu, colour-blind safe; one list per number of classes.
PALETTES: dict[int, tuple[str, ...]] = {
    1: ("#7fcdbb",),
    2: ("#c7e9b4", "#2c7fb8"),
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
MAX_DISTINCT_CLASSES = 7
DEFAULT_CLASSES = 5


@overload
def render_map(
    values: Mapping[str, float | None],
    *,
    title: str,
    geometry: MapGeometry | None = ...,
    excluded: ExclusionList | Collection[str] | None = ...,
    fmt: Literal["svg"] = ...,
    legend_title: str = ...,
    labels: Mapping[str, str] | None = ...,
    bins: Sequence[float] | None = ...,
    value_format: Callable[[float], str] | None = ...,
    note: str = ...,
    xml_declaration: bool = ...,
    id_prefix: str | None = ...,
    words: MapWords | None = ...,
) -> str: ...


@overload
def render_map(
    values: Mapping[str, float | None],
    *,
    title: str,
    geometry: MapGeometry | None = ...,
    excluded: ExclusionList | Collection[str] | None = ...,
    fmt: Literal["png"],
    legend_title: str = ...,
    labels: Mapping[str, str] | None = ...,
    bins: Sequence[float] | None = ...,
    value_format: Callable[[float], str] | None = ...,
    note: str = ...,
    xml_declaration: bool = ...,
    id_prefix: str | None = ...,
    words: MapWords | None = ...,
) -> bytes: ...


def render_map(
    values: Mapping[str, float | None],
    *,
    title: str,
    geometry: MapGeometry | None = None,
    excluded: ExclusionList | Collection[str] | None = None,
    fmt: Format = "svg",
    legend_title: str = "",
    labels: Mapping[str, str] | None = None,
    bins: Sequence[float] | None = None,
    value_format: Callable[[float], str] | None = None,
    note: str = "",
    xml_declaration: bool = False,
    id_prefix: str | None = None,
    words: MapWords | None = None,
) -> str | bytes:
    """Draw ``values`` (municipality code → number or None) as a map.

    ``geometry`` None draws the embedded tile map. ``excluded`` defaults to the
    ``frikommuner-2019`` list; pass ``()`` for none. ``labels`` adds text per municipality
    to its tooltip. ``bins`` are class edges (ascending); by default up to 7 distinct
    integers get a class each, otherwise 5 equal intervals. SVG is for inline use unless
    ``xml_declaration`` is set; ``id_prefix`` keeps ids unique when a page holds several
    maps (default: derived from the content). ``fmt="png"`` returns PNG bytes.
    """
    if geometry is None:
        from geo.tiles import tile_geometry

        geometry = tile_geometry()
    spec = build_spec(
        values,
        title=title,
        geometry=geometry,
        excluded=_excluded_codes(excluded),
        legend_title=legend_title,
        labels=labels or {},
        bins=bins,
        value_format=value_format or format_number,
        note=note,
        words=words or MapWords(),
    )
    if fmt == "png":
        from geo.render_png import render_png

        return render_png(spec, geometry)
    if fmt != "svg":
        raise MapInputError(f"ukendt format '{fmt}' (svg eller png)")
    from geo.render_svg import render_svg

    prefix = id_prefix or _default_prefix(spec)
    return render_svg(spec, geometry, id_prefix=prefix, xml_declaration=xml_declaration)


def build_spec(
    values: Mapping[str, float | None],
    *,
    title: str,
    geometry: MapGeometry,
    excluded: frozenset[str],
    legend_title: str,
    labels: Mapping[str, str],
    bins: Sequence[float] | None,
    value_format: Callable[[float], str],
    note: str,
    words: MapWords | None = None,
) -> MapSpec:
    """Decide fill, hatching, texts and legend for every municipality of ``geometry``."""
    words = words or MapWords()
    clean = _validated(values, geometry)
    numbers = [v for c, v in clean.items() if v is not None and c not in excluded]
    classes = classify(numbers, bins, value_format)
    towns = municipalities()
    features = tuple(
        _feature(
            code,
            clean.get(code),
            code in excluded,
            classes,
            towns.at[code, "name"],
            labels.get(code, ""),
            value_format,
            words,
        )
        for code in geometry.codes
    )
    return MapSpec(
        title=title,
        legend_title=legend_title,
        classes=classes,
        features=features,
        has_missing=any(not f.hatched and f.fill == MISSING_FILL for f in features),
        has_excluded=any(f.hatched for f in features),
        excluded_label=words.excluded,
        note=" ".join(t for t in (note, geometry.note) if t),
        missing_label=words.missing,
        region_border_label=words.region_border,
        short_names=towns["short_name"].to_dict(),
    )


def classify(
    numbers: Sequence[float], bins: Sequence[float] | None, value_format: Callable[[float], str]
) -> tuple[ValueClass, ...]:
    """Legend classes for ``numbers``: given ``bins``, distinct integers, or equal intervals."""
    if bins is not None:
        edges = [float(b) for b in bins]
        if len(edges) < 2 or edges != sorted(edges):
            raise MapInputError("klassegrænser skal være mindst to stigende tal")
        return _interval_classes(edges, value_format)
    if not numbers:
        return ()
    distinct = sorted(set(numbers))
    if len(distinct) <= MAX_DISTINCT_CLASSES and all(float(v).is_integer() for v in distinct):
        palette = PALETTES[len(distinct)]
        return tuple(
            ValueClass(v, v, value_format(v), palette[i], _ink(palette[i]))
            for i, v in enumerate(distinct)
        )
    low, high = distinct[0], distinct[-1]
    if low == high:
        fill = PALETTES[1][0]
        return (ValueClass(low, high, value_format(low), fill, _ink(fill)),)
    step = (high - low) / DEFAULT_CLASSES
    edges = [low + i * step for i in range(DEFAULT_CLASSES)] + [high]
    return _interval_classes(edges, value_format)


def class_of(value: float, classes: Sequence[ValueClass]) -> ValueClass | None:
    """The class holding ``value``; the last class includes its upper edge and values
    outside all classes belong to the nearest one."""
    if not classes:
        return None
    if value < classes[0].lower:
        return classes[0]
    if value > classes[-1].upper:
        return classes[-1]
    for i, cls in enumerate(classes):
        last = i == len(classes) - 1
        if cls.lower <= value < cls.upper or value == cls.lower or (last and value == cls.upper):
            return cls
    return None


def format_number(value: float) -> str:
    """Danish number format: ``12.345`` and ``0,25`` (at most two decimals)."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def format_percent(value: float) -> str:
    """A share 0–1 as a Danish percentage: ``0.253`` → ``25 %``."""
    return f"{round(value * 100):d} %"


def _validated(
    values: Mapping[str, float | None], geometry: MapGeometry
) -> dict[str, float | None]:
    unknown = sorted(set(values) - set(geometry.polygons))
    if unknown:
        raise MapInputError(f"ukendte kommunekoder: {', '.join(unknown)}")
    clean: dict[str, float | None] = {}
    for code, value in values.items():
        if value is not None and (isinstance(value, bool) or not math.isfinite(float(value))):
            raise MapInputError(f"kommune {code}: værdien {value!r} er ikke et tal")
        clean[code] = None if value is None else float(value)
    return clean


def _feature(
    code: str,
    value: float | None,
    is_excluded: bool,
    classes: Sequence[ValueClass],
    name: str,
    label: str,
    value_format: Callable[[float], str],
    words: MapWords,
) -> Feature:
    cls = None if value is None else class_of(value, classes)
    shown = words.missing if value is None else value_format(value)
    if is_excluded:
        shown = words.excluded
    tooltip = f"{name}: {shown}" + (f" — {label}" if label else "")
    if is_excluded or cls is None:
        return Feature(code, MISSING_FILL, "#1a1a1a", is_excluded, "", tooltip)
    return Feature(code, cls.fill, cls.ink, False, value_format(value or 0.0), tooltip)


def _interval_classes(
    edges: list[float], value_format: Callable[[float], str]
) -> tuple[ValueClass, ...]:
    count = min(len(edges) - 1, MAX_DISTINCT_CLASSES)
    palette = PALETTES[count]
    return tuple(
        ValueClass(
            edges[i],
            edges[i + 1],
            f"{value_format(edges[i])}–{value_format(edges[i + 1])}",
            palette[i],
            _ink(palette[i]),
        )
        for i in range(count)
    )


def _ink(fill: str) -> str:
    """Black or white text, whichever contrasts more with ``fill``."""
    red, green, blue = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * _linear(red) + 0.7152 * _linear(green) + 0.0722 * _linear(blue)
    return "#ffffff" if luminance < 0.18 else "#1a1a1a"


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else float(((channel + 0.055) / 1.055) ** 2.4)


def _excluded_codes(excluded: ExclusionList | Collection[str] | None) -> frozenset[str]:
    if excluded is None:
        return exclusion_list().codes
    if isinstance(excluded, ExclusionList):
        return excluded.codes
    return frozenset(excluded)


def _default_prefix(spec: MapSpec) -> str:
    digest = hashlib.sha1(repr(spec).encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"geo{digest[:8]}"
