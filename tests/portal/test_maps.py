"""`portal.maps`: every portal map on the official boundaries when `BOUNDARY_FILE` names them,
read once per file version; on the tile map when it does not; and on the tile map with a note,
never an error, when the file cannot be used."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from geo.boundaries import DAGI_ATTRIBUTION
from portal import maps
from portal.extent import Extent, extent_map
from tests.portal.boundaries import (
    FALLBACK_NOTE,
    TILE_NOTE,
    corners,
    counted_reads,
)
from tests.shared_data import kommuner_file

AALBORG = "851"


@pytest.fixture()
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return counted_reads(monkeypatch)


def _extent_svg() -> str:
    return extent_map(
        Extent.parse(["region:1081"]), "frikommuner-2019", title="Udstrækning", legend="Dækket"
    )


def test_without_a_boundary_file_the_maps_use_the_tile_map(app) -> None:
    assert app.config["BOUNDARY_FILE"] is None
    with app.test_request_context():
        assert maps.map_geometry() is None
        svg = _extent_svg()
    assert TILE_NOTE in svg and DAGI_ATTRIBUTION not in svg
    assert corners(svg, AALBORG) == 6


def test_official_boundaries_are_read_once_and_drawn_with_their_attribution(
    app, reads: list[str]
) -> None:
    app.config["BOUNDARY_FILE"] = str(kommuner_file())
    with app.test_request_context():
        first = maps.map_geometry()
        assert first is not None and first.kind == "boundaries"
        assert first.attribution == DAGI_ATTRIBUTION
        svgs = [_extent_svg() for _ in range(3)]
        assert maps.map_geometry() is first
    assert len(reads) == 1, reads
    svg = svgs[0]
    assert DAGI_ATTRIBUTION in svg and TILE_NOTE not in svg
    assert corners(svg, AALBORG) > 6
    assert 'data-code="411"' not in svg  # Christiansø is no municipality


def test_a_boundary_file_that_cannot_be_read_falls_back_to_the_tile_map_with_a_note(
    app, tmp_path: Path, reads: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "kommuner.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    app.config["BOUNDARY_FILE"] = str(broken)
    with caplog.at_level(logging.ERROR, logger="portal.maps"), app.test_request_context():
        geometry = maps.map_geometry()
        assert geometry is not None and geometry.kind == "tiles"
        assert FALLBACK_NOTE in geometry.note
        svgs = [_extent_svg() for _ in range(3)]
        assert maps.map_geometry() is geometry
    # Read and logged once, not on every map.
    assert reads == [str(broken)]
    errors = [r for r in caplog.records if r.name == "portal.maps"]
    assert len(errors) == 1 and str(broken) in errors[0].getMessage()
    assert FALLBACK_NOTE in svgs[0] and TILE_NOTE in svgs[0]
    assert DAGI_ATTRIBUTION not in svgs[0] and corners(svgs[0], AALBORG) == 6


def test_a_missing_boundary_file_falls_back_too(app, tmp_path: Path, reads, caplog) -> None:
    app.config["BOUNDARY_FILE"] = str(tmp_path / "findes-ikke.geojson")
    with caplog.at_level(logging.ERROR, logger="portal.maps"), app.test_request_context():
        assert FALLBACK_NOTE in _extent_svg()
        assert FALLBACK_NOTE in _extent_svg()
    assert reads == []
    assert len([r for r in caplog.records if r.name == "portal.maps"]) == 1
