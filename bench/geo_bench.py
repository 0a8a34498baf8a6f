"""Benchmark of geo map rendering; prints a table of medians.

Run: ``.venv/bin/python bench/geo_bench.py [BOUNDARY_FILE]``. The boundary file defaults to
``../shared/data/geo/kommuner.geojson``; its rows are skipped when it is absent.
Targets: tile SVG < 100 ms; official boundaries < 1.5 s including the first load and
< 200 ms once loaded.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo import boundaries, municipalities, render_map  # noqa: E402
from geo.files import read_boundary_file  # noqa: E402

DEFAULT_BOUNDARIES = ROOT.parent / "shared" / "data" / "geo" / "kommuner.geojson"
VALUES: dict[str, float | None] = {code: float(int(code) % 5) for code in municipalities().index}
REPEAT = 21


def median_ms(action: Callable[[], object], repeat: int = REPEAT) -> float:
    """Median wall time of ``action`` in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def first_load_ms(path: Path) -> float:
    """Median over fresh interpreters of loading the file and rendering one SVG."""
    code = (
        "import time; t = time.perf_counter();"
        "from geo import render_map, load_boundaries;"
        f"g = load_boundaries({str(path)!r});"
        "render_map({'101': 1.0}, title='x', geometry=g);"
        "print((time.perf_counter() - t) * 1000)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    return statistics.median(runs)


def main() -> int:
    """Print the table."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_BOUNDARIES
    render_map(VALUES, title="warm-up")
    rows = [
        ("tile map, SVG", median_ms(lambda: render_map(VALUES, title="Dækning")), 100.0),
        ("tile map, PNG", median_ms(lambda: render_map(VALUES, title="x", fmt="png"), 5), None),
    ]
    if path.is_file():
        geometry = boundaries.load_boundaries(path)
        svg = render_map(VALUES, title="Dækning", geometry=geometry)
        rows += [
            (
                "boundaries, first load + SVG (new process, incl. imports)",
                first_load_ms(path),
                1500.0,
            ),
            (
                "boundaries, load only (uncached, in process)",
                median_ms(
                    lambda: boundaries.boundary_geometry(
                        boundaries.prepare_boundaries(read_boundary_file(path))
                    ),
                    5,
                ),
                None,
            ),
            (
                "boundaries, SVG once loaded",
                median_ms(lambda: render_map(VALUES, title="x", geometry=geometry)),
                200.0,
            ),
            (
                "boundaries, PNG once loaded",
                median_ms(lambda: render_map(VALUES, title="x", geometry=geometry, fmt="png"), 5),
                None,
            ),
        ]
        print(f"boundary SVG size: {len(svg) / 1024:.0f} KiB")
    else:
        print(f"boundary file not found, skipped: {path}")
    print(f"{'case':60} {'median ms':>10} {'target ms':>10}")
    for name, value, target in rows:
        print(f"{name:60} {value:10.1f} {'' if target is None else f'{target:.0f}':>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
