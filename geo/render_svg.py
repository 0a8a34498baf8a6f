"""SVG output for :func:`geo.maps.render_map`: hand-written, escaped, inline-ready.

Layout: the title on top, the map on the left, the legend on the right, notes and
attribution at the bottom. One ``<path>`` per municipality with ``data-code`` and a
``<title>``; region borders on top; value labels last so they stay readable.
"""

from __future__ import annotations

import textwrap
from html import escape

from geo.geometry import MapGeometry
from geo.mapdata import HATCH_INK, MIN_LABEL_ROOM, MISSING_FILL, Feature, MapSpec

TITLE_HEIGHT = 40.0
LEGEND_WIDTH = 230.0
FOOT_LINE = 14.0
SWATCH_W = 22.0
SWATCH_H = 16.0
ROW = 22.0
FONT = "'Source Sans Pro', 'Helvetica Neue', Arial, sans-serif"
REGION_INK = "#1a1a1a"
EDGE_INK = "#ffffff"
NAME_FONT = 8.5
VALUE_FONT = 14


def render_svg(
    spec: MapSpec, geometry: MapGeometry, *, id_prefix: str, xml_declaration: bool
) -> str:
    """The whole SVG document or inline element."""
    foot = _foot_lines(spec, geometry)
    width = geometry.width + LEGEND_WIDTH
    height = TITLE_HEIGHT + max(geometry.height, _legend_height(spec)) + FOOT_LINE * len(foot) + 8
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n' if xml_declaration else "",
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" '
        f'aria-label="{_attr(_aria(spec))}" font-family="{_attr(FONT)}" class="geo-map">',
        f"<title>{_text(spec.title)}</title>",
        _defs(id_prefix),
        '<text x="12" y="26" font-size="19" font-weight="700" fill="#1a1a1a">'
        f"{_text(spec.title)}</text>",
        f'<g transform="translate(0 {TITLE_HEIGHT:.0f})">',
        _frames(geometry),
        _municipalities(spec, geometry, id_prefix),
        f'<path class="regions" d="{geometry.region_border_path}" fill="none" '
        f'stroke="{REGION_INK}" stroke-width="{_region_width(geometry)}" stroke-linejoin="round" '
        'stroke-linecap="round" pointer-events="none"/>',
        _labels(spec, geometry),
        "</g>",
        _legend(spec, geometry.width + 8, TITLE_HEIGHT + 4, id_prefix),
        _footer(foot, TITLE_HEIGHT + max(geometry.height, _legend_height(spec)) + 4),
        "</svg>",
    ]
    return "".join(parts)


def _defs(prefix: str) -> str:
    return (
        f'<defs><pattern id="{prefix}-hatch" patternUnits="userSpaceOnUse" width="7" height="7" '
        'patternTransform="rotate(45)">'
        '<rect width="7" height="7" fill="#ffffff"/>'
        f'<rect width="2.4" height="7" fill="{_attr(HATCH_INK)}"/></pattern></defs>'
    )


def _municipalities(spec: MapSpec, geometry: MapGeometry, prefix: str) -> str:
    rows = ['<g class="municipalities" stroke-linejoin="round">']
    for f in spec.features:
        fill = f"url(#{prefix}-hatch)" if f.hatched else f.fill
        state = "excluded" if f.hatched else ("missing" if not f.value_text else "value")
        rows.append(
            f'<path data-code="{f.code}" data-state="{state}" d="{geometry.paths[f.code]}" '
            f'fill="{fill}" fill-rule="evenodd" stroke="{_edge(geometry)}" '
            f'stroke-width="{_edge_width(geometry)}">'
            f"<title>{_text(f.tooltip)}</title></path>"
        )
    rows.append("</g>")
    return "".join(rows)


def _labels(spec: MapSpec, geometry: MapGeometry) -> str:
    rows = ['<g class="labels" text-anchor="middle" pointer-events="none">']
    for f in spec.features:
        x, y = geometry.label_points[f.code]
        if geometry.kind == "tiles":
            rows.append(_tile_label(f, spec.short_names.get(f.code, f.code), x, y))
        elif f.value_text and geometry.label_room[f.code] >= MIN_LABEL_ROOM:
            rows.append(
                f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" font-weight="700" '
                f'fill="{f.ink}" aria-hidden="true">{_text(f.value_text)}</text>'
            )
    rows.append("</g>")
    return "".join(rows)


def _tile_label(f: Feature, short_name: str, x: float, y: float) -> str:
    ink = f.ink if not f.hatched else "#1a1a1a"
    name = _text(short_name)
    parts = ['<g aria-hidden="true">']
    if f.hatched:
        # A plain box behind the name keeps it legible on the hatching in every renderer
        # (WeasyPrint ignores paint-order, so a stroked halo would hide the text).
        width = len(short_name) * NAME_FONT * 0.56 + 4
        parts.append(
            f'<rect x="{x - width / 2:.1f}" y="{y - 4 - NAME_FONT:.1f}" width="{width:.1f}" '
            f'height="{NAME_FONT + 4:.1f}" rx="2" fill="#ffffff"/>'
        )
    parts.append(
        f'<text x="{x:.1f}" y="{y - 3:.1f}" font-size="{NAME_FONT}" fill="{ink}">{name}</text>'
    )
    if f.value_text:
        parts.append(
            f'<text x="{x:.1f}" y="{y + 12:.1f}" font-size="{VALUE_FONT}" font-weight="700" '
            f'fill="{ink}">{_text(f.value_text)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _legend_height(spec: MapSpec) -> float:
    rows = len(spec.classes) + int(spec.has_missing) + int(spec.has_excluded) + 1
    return 30 + ROW * rows + 14 * len(_wrap(spec.legend_title, 30))


def _legend(spec: MapSpec, x: float, y: float, prefix: str) -> str:
    out = [
        f'<g class="legend" transform="translate({x:.0f} {y:.0f})" font-size="12" fill="#1a1a1a">'
    ]
    lines = _wrap(spec.legend_title, 30)
    for i, line in enumerate(lines):
        out.append(f'<text x="0" y="{14 + 15 * i}" font-weight="700">{_text(line)}</text>')
    top = 15.0 * len(lines) + 8
    entries = [(c.fill, c.label) for c in spec.classes]
    if spec.has_missing:
        entries.append((MISSING_FILL, spec.missing_label))
    if spec.has_excluded:
        entries.append((f"url(#{prefix}-hatch)", spec.excluded_label))
    for i, (fill, label) in enumerate(entries):
        row_y = top + ROW * i
        out.append(
            f'<rect x="0" y="{row_y:.0f}" width="{SWATCH_W}" height="{SWATCH_H}" fill="{fill}" '
            f'stroke="#6f6f6f" stroke-width="0.8"/>'
            f'<text x="{SWATCH_W + 8}" y="{row_y + 12.5:.1f}">{_text(label)}</text>'
        )
    row_y = top + ROW * len(entries) + SWATCH_H / 2
    out.append(
        f'<line x1="0" x2="{SWATCH_W}" y1="{row_y:.0f}" y2="{row_y:.0f}" '
        f'stroke="{REGION_INK}" stroke-width="2.2"/>'
        f'<text x="{SWATCH_W + 8}" y="{row_y + 4:.0f}">{_text(spec.region_border_label)}</text></g>'
    )
    return "".join(out)


def _foot_lines(spec: MapSpec, geometry: MapGeometry) -> list[str]:
    width = int((geometry.width + LEGEND_WIDTH) / 6.2)
    lines = _wrap(spec.note, width)
    return lines + _wrap(geometry.attribution, width)


def _footer(lines: list[str], y: float) -> str:
    rows = ['<g class="notes" font-size="11" fill="#3d3d3d">']
    for i, line in enumerate(lines):
        rows.append(f'<text x="12" y="{y + 11 + FOOT_LINE * i:.0f}">{_text(line)}</text>')
    rows.append("</g>")
    return "".join(rows)


def _frames(geometry: MapGeometry) -> str:
    return "".join(
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="none" '
        'stroke="#8c8c8c" stroke-width="1" stroke-dasharray="4 3"/>'
        for x, y, w, h in geometry.frames
    )


def _edge(geometry: MapGeometry) -> str:
    return EDGE_INK if geometry.kind == "tiles" else "#6f6f6f"


def _region_width(geometry: MapGeometry) -> str:
    return "3" if geometry.kind == "tiles" else "2.2"


def _edge_width(geometry: MapGeometry) -> str:
    return "1.5" if geometry.kind == "tiles" else "0.5"


def _aria(spec: MapSpec) -> str:
    legend = "; ".join(c.label for c in spec.classes)
    parts = [spec.title, f"{spec.legend_title}: {legend}" if spec.legend_title else legend]
    if spec.has_excluded:
        parts.append(f"skraveret: {spec.excluded_label}")
    return ". ".join(p for p in parts if p)


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width) if text else []


def _text(value: str) -> str:
    return escape(value, quote=False)


def _attr(value: str) -> str:
    return escape(value, quote=True)
