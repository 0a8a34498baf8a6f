"""The coverage maps of Trin 3 (the proposal page, its alternatives, the PDFs) on the official
boundaries when `BOUNDARY_FILE` names them, with their attribution, read once however many
pages are drawn; on the tile map otherwise, and when the file cannot be used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo.boundaries import DAGI_ATTRIBUTION
from tests.portal.boundaries import (
    FALLBACK_NOTE,
    TILE_NOTE,
    corners,
    counted_reads,
)
from tests.portal.proposals.arrange import pdf_text, signed_in
from tests.shared_data import kommuner_file

AALBORG = "851"


def _coverage_svg(html: str) -> str:
    """The proposal's own coverage map on its page."""
    found = re.search(
        r"<svg\b(?:(?!</svg>).)*?<title>Dækning: forslaget</title>.*?</svg>", html, re.S
    )
    assert found, "no coverage map on the page"
    return found.group(0)


def _proposal_page(app, trin3, run) -> str:
    response = signed_in(app, trin3.member_a).get(f"/udvaelgelse/forslag/{run.proposals[0].id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_coverage_map_is_the_tile_map_without_a_boundary_file(app, trin3, base_run) -> None:
    svg = _coverage_svg(_proposal_page(app, trin3, base_run))
    assert TILE_NOTE in svg and DAGI_ATTRIBUTION not in svg
    assert corners(svg, AALBORG) == 6


def test_the_coverage_maps_use_official_boundaries_when_configured(
    app, trin3, base_run, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["BOUNDARY_FILE"] = str(kommuner_file())
    reads = counted_reads(monkeypatch)

    html = _proposal_page(app, trin3, base_run)
    svg = _coverage_svg(html)
    assert corners(svg, AALBORG) > 6
    assert DAGI_ATTRIBUTION in svg and TILE_NOTE not in svg
    # The alternative's map too, and the page again: the file was read once.
    assert html.count(DAGI_ATTRIBUTION) == 2
    assert _coverage_svg(_proposal_page(app, trin3, base_run)) == svg
    assert len(reads) == 1

    member = signed_in(app, trin3.member_b)
    response = member.get(f"/udvaelgelse/beregning/{base_run.id}/moedemateriale.pdf")
    assert response.status_code == 200
    assert DAGI_ATTRIBUTION in pdf_text(response.data)
    assert len(reads) == 1


def test_a_broken_boundary_file_leaves_the_page_working_on_the_tile_map(
    app, trin3, base_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "kommuner.geojson"
    broken.write_text("ikke geojson", encoding="utf-8")
    app.config["BOUNDARY_FILE"] = str(broken)
    counted_reads(monkeypatch)

    svg = _coverage_svg(_proposal_page(app, trin3, base_run))
    assert FALLBACK_NOTE in svg and TILE_NOTE in svg
    assert corners(svg, AALBORG) == 6
