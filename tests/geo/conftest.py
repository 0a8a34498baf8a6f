"""Fixtures for the geo tests; boundary files are read from ../shared/data/geo when present."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_GEO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "geo"


@pytest.fixture(scope="session")
def kommuner_path() -> Path:
    """The real DAGI municipality boundaries; skip when they are not available."""
    path = SHARED_GEO / "kommuner.geojson"
    if not path.is_file():
        pytest.skip(f"boundary file not available: {path}")
    return path


@pytest.fixture(scope="session")
def true_adjacency(kommuner_path: Path) -> set[tuple[str, str]]:
    """Pairs of municipalities whose real boundaries touch (within 50 m)."""
    import shapely

    from geo.boundaries import prepare_boundaries
    from geo.files import read_boundary_file

    prepared = prepare_boundaries(read_boundary_file(kommuner_path))
    codes = list(prepared.index)
    grown = shapely.buffer(prepared.geometry.to_numpy(), 50.0)
    left, right = shapely.STRtree(grown).query(grown, predicate="intersects")
    return {(codes[i], codes[j]) for i, j in zip(left, right, strict=True) if i < j}
