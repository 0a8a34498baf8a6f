"""The distribution of consolidated scores as a small horizontal bar chart (SVG), for the page
and the printed packet alike.

Colours are presentation attributes, not CSS classes: WeasyPrint does not apply the
document's stylesheet inside an inline SVG. Each bar carries its count as text, so nothing is
told by length or colour alone; the page and the packet show the same figures in a table, and
the SVG is `aria-hidden`.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

ROW = 24
LABEL_WIDTH = 290
BAR_WIDTH = 250
VALUE_WIDTH = 60
INK = "#1a1a1a"
BAR = "#0059b3"
BAR_BELOW = "#747474"  # below the threshold (also said in the label)
FONT = "IBM Plex Sans, Liberation Sans, DejaVu Sans, sans-serif"


def distribution_chart(
    items: Sequence[tuple[str, int, bool]], *, title: str, unit: str = ""
) -> Markup:
    """Bars from (label, count, reaches the threshold) on a 0..max axis."""
    high = max([count for _label, count, _ok in items] + [1])
    height = ROW * max(len(items), 1) + 30
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="distribution-chart"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' font-family="{FONT}" font-size="12" fill="{INK}"'
        f' aria-hidden="true" focusable="false">',
        f'<text x="0" y="14" font-weight="600">{escape(title)}</text>',
    ]
    for index, (label, count, reaches) in enumerate(items):
        y = 24 + index * ROW
        length = count / high * BAR_WIDTH
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 14}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{max(length, 1):.1f}" height="15"'
            f' fill="{BAR if reaches else BAR_BELOW}"/>'
            f'<text x="{LABEL_WIDTH + max(length, 1) + 6:.1f}" y="{y + 14}">'
            f"{escape(f'{count} {unit}'.strip())}</text>"
        )
    parts.append(
        f'<line x1="{LABEL_WIDTH}" x2="{LABEL_WIDTH}" y1="22" y2="{height - 4}"'
        f' stroke="{INK}" stroke-width="1"/></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - every text part is escaped above
