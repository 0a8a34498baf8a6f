"""Small horizontal bar charts (SVG) for the calibration page.

Each bar carries its value as text, so nothing is told by colour or length alone; the page
shows the same figures in a table for screen readers, and the SVG is `aria-hidden`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

ROW = 26
LABEL_WIDTH = 250
BAR_WIDTH = 260
VALUE_WIDTH = 70


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    low: float,
    high: float,
    fmt: Callable[[float], str],
    title: str,
) -> Markup:
    """Bars from the `low`..`high` axis; a range across zero (leniency) grows both ways from
    a zero line."""
    if high <= low:
        raise ValueError(f"high must exceed low, got {low}..{high}")
    height = ROW * max(len(items), 1) + 30
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH

    def x_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return LABEL_WIDTH + (clamped - low) / (high - low) * BAR_WIDTH

    zero = x_of(0.0) if low < 0 < high else x_of(low)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" aria-hidden="true" focusable="false">',
        f'<text x="0" y="14" class="chart-title">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(items):
        y = 24 + index * ROW
        end = x_of(value)
        left, right = min(zero, end), max(zero, end)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{left:.1f}" y="{y + 3}" width="{max(right - left, 1):.1f}" height="16"'
            f' class="bar"/>'
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 15}">{escape(fmt(value))}</text>'
        )
    parts.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="22" y2="{height - 4}" class="axis"/></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - every text part is escaped above


def paired_bar_chart(
    items: Sequence[tuple[str, float, float]],
    *,
    title: str,
    first: str,
    second: str,
    fmt: Callable[[float], str],
) -> Markup:
    """Two bars per category on a 0..max axis (e.g. target and achieved share), told apart by
    a pattern and by the text beside each bar, not by colour alone."""
    high = max([max(a, b) for _, a, b in items] + [0.01])
    row = 2 * 18 + 10
    height = row * max(len(items), 1) + 44
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" aria-hidden="true" focusable="false">',
        f'<text x="0" y="14" class="chart-title">{escape(title)}</text>',
        f'<rect x="{LABEL_WIDTH}" y="22" width="12" height="10" class="bar"/>'
        f'<text x="{LABEL_WIDTH + 16}" y="31">{escape(first)}</text>'
        f'<rect x="{LABEL_WIDTH + 120}" y="22" width="12" height="10" class="bar second"/>'
        f'<text x="{LABEL_WIDTH + 136}" y="31">{escape(second)}</text>',
    ]
    for index, (label, a, b) in enumerate(items):
        y = 40 + index * row
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 22}" text-anchor="end">{escape(label)}</text>'
        )
        for offset, value, css in ((0, a, "bar"), (18, b, "bar second")):
            length = max(value / high * BAR_WIDTH, 1)
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + offset}" width="{length:.1f}" height="15"'
                f' class="{css}"/>'
                f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + offset + 12}">'
                f"{escape(fmt(value))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part is escaped above
