"""Reference files the tests read from `../shared/data/` beside the repository. The official
boundary files there are licensed data that is never copied into the project, so a machine
without them skips the tests that need them and says why."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_GEO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "geo"
KOMMUNER = SHARED_GEO / "kommuner.geojson"


def kommuner_file() -> Path:
    """The DAGI municipality boundaries, or a skip naming where they were looked for."""
    if not KOMMUNER.is_file():
        pytest.skip(
            f"the official municipality boundaries ({KOMMUNER}) are not on this machine; they "
            "are kept outside the project and only the map-geometry tests need them"
        )
    return KOMMUNER
