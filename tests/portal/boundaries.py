"""For the map tests on the official boundaries (found by `tests.shared_data`): what tells a
map drawn on them from the tile map, and a count of the readings of boundary files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import geo.files
from geo.boundaries import _load_cached as geo_boundary_cache
from portal import maps

TILE_NOTE = "Hver kommune vises som en lige stor sekskant"
FALLBACK_NOTE = "De officielle kommunegrænser kunne ikke indlæses"


def corners(svg: str, code: str) -> int:
    """How many points the municipality's outline has in the first map of `svg` (a tile is a
    hexagon: 6)."""
    found = re.search(rf'<path data-code="{code}"[^>]* d="([^"]+)"', svg)
    assert found, f"no path for municipality {code}"
    return len(re.findall(r"-?\d+(?:\.\d+)?", found.group(1))) // 2


def counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From here on, every reading of a boundary file, starting from empty caches."""
    found: list[str] = []
    read = geo.files.read_boundary_file

    def counted(path: str | Path) -> object:
        found.append(str(path))
        return read(path)

    monkeypatch.setattr(geo.files, "read_boundary_file", counted)
    geo_boundary_cache.cache_clear()
    maps._load.cache_clear()
    maps._reported.clear()
    return found
