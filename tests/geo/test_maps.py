import xml.etree.ElementTree as ET

import pytest

from geo.errors import MapInputError
from geo.maps import classify, format_number, render_map
from geo.reference import exclusion_list, municipalities

SVG = "{http://www.w3.org/2000/svg}"


def _values():
    excl = exclusion_list()
    return {code: float(int(code) % 4) for code in municipalities().index if code not in excl}


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_tile_svg_has_one_path_per_municipality_with_title():
    root = _parse(render_map(_values(), title="Dækning"))
    paths = root.findall(f".//{SVG}path[@data-code]")
    assert len(paths) == 98
    kbh = next(p for p in paths if p.get("data-code") == "101")
    assert kbh.find(f"{SVG}title").text == "København: 1"


def test_svg_is_accessible_and_inline_ready():
    svg = render_map(_values(), title="Dækning & tilgang", legend_title="Antal")
    assert svg.startswith("<svg")
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label").startswith("Dækning & tilgang")
    assert root.get("viewBox").startswith("0 0 ")


def test_svg_with_xml_declaration_for_files():
    assert render_map({}, title="x", xml_declaration=True).startswith("<?xml")


def test_excluded_are_hatched_with_legend_entry():
    svg = render_map(_values(), title="Dækning")
    root = _parse(svg)
    laeso = root.find(f".//{SVG}path[@data-code='825']")
    assert laeso.get("fill").startswith("url(#")
    assert laeso.get("data-state") == "excluded"
    assert "frikommune – udelukket" in laeso.find(f"{SVG}title").text
    legend_texts = [t.text for t in root.findall(f".//{SVG}g[@class='legend']/{SVG}text")]
    assert "frikommune – udelukket" in legend_texts


def test_no_excluded_legend_when_nothing_is_excluded():
    svg = render_map({"101": 1.0}, title="x", excluded=())
    assert "frikommune – udelukket" not in svg


def test_tiles_show_values_as_text_not_colour_alone():
    root = _parse(render_map({"101": 3.0, "147": 12345.0}, title="x", excluded=()))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "3" in texts and "12.345" in texts


def test_text_is_escaped():
    svg = render_map({"101": 1.0}, title="<b>&", labels={"101": "3F <HK>"}, excluded=())
    root = _parse(svg)
    assert root.find(f"{SVG}title").text == "<b>&"
    kbh = root.find(f".//{SVG}path[@data-code='101']")
    assert kbh.find(f"{SVG}title").text == "København: 1 — 3F <HK>"


def test_missing_values_get_their_own_legend_entry():
    svg = render_map({"101": 1.0, "147": None}, title="x", excluded=())
    assert "ingen værdi" in svg


def test_unknown_code_is_an_error():
    with pytest.raises(MapInputError, match="999"):
        render_map({"999": 1.0}, title="x")


def test_non_finite_value_is_an_error():
    with pytest.raises(MapInputError, match="101"):
        render_map({"101": float("nan")}, title="x")


def test_classify_distinct_integers_one_class_each():
    classes = classify([0, 1, 2, 2, 3], None, format_number)
    assert [c.label for c in classes] == ["0", "1", "2", "3"]
    assert len({c.fill for c in classes}) == 4


def test_classify_continuous_values_in_five_intervals():
    classes = classify([0.0, 0.5, 10.0], None, format_number)
    assert len(classes) == 5
    assert classes[0].label == "0–2" and classes[-1].upper == 10.0


def test_classify_rejects_unsorted_bins():
    with pytest.raises(MapInputError):
        classify([1.0], [3, 1], format_number)


def test_format_number_is_danish():
    assert format_number(150000) == "150.000"
    assert format_number(0.25) == "0,25"
    assert format_number(1234.5) == "1.234,5"


def test_render_is_deterministic():
    assert render_map(_values(), title="x") == render_map(_values(), title="x")


def test_id_prefix_differs_between_maps():
    first = render_map({"101": 1.0}, title="a")
    second = render_map({"101": 2.0}, title="b")
    assert first.split('id="')[1][:11] != second.split('id="')[1][:11]


def test_png_output_is_png():
    png = render_map(_values(), title="Dækning", fmt="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_boundary_svg_has_98_paths_and_attribution(kommuner_path):
    from geo.boundaries import load_boundaries

    svg = render_map(_values(), title="Dækning", geometry=load_boundaries(kommuner_path))
    root = _parse(svg)
    assert len(root.findall(f".//{SVG}path[@data-code]")) == 98
    assert "Styrelsen for Dataforsyning og Infrastruktur" in svg
    assert len(svg) < 400_000
