"""Fixtures for the geo tests; boundary files are read from ../shared/data/geo when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared_data import kommuner_file


@pytest.fixture(scope="session")
def kommuner_path() -> Path:
    """The real DAGI municipality boundaries; skip when they are not available."""
    return kommuner_file()


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
