import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from geo.boundaries import boundary_geometry, load_boundaries, prepare_boundaries
from geo.errors import BoundaryFileError
from geo.files import read_boundary_file
from geo.reference import municipalities


def _synthetic_dagi(split: int = 2) -> gpd.GeoDataFrame:
    """DAGI's schema: KOMKODE 4-digit string, KOMNAVN, one feature per polygon part,
    municipalities as a grid of 5 km squares in EPSG:25832, plus Christiansø."""
    towns = municipalities()
    rows = []
    for i, (code, name) in enumerate(towns["name"].items()):
        x0, y0 = 450_000 + (i % 10) * 5_000, 6_100_000 + (i // 10) * 5_000
        for part in range(split):
            width = 5_000 / split
            rows.append(
                {
                    "KOMKODE": f"0{code}",
                    "KOMNAVN": name,
                    "geometry": box(x0 + part * width, y0, x0 + (part + 1) * width, y0 + 5_000),
                }
            )
    rows.append({"KOMKODE": "0411", "KOMNAVN": "Christiansø", "geometry": box(0, 0, 10, 10)})
    return gpd.GeoDataFrame(rows, crs=25832).to_crs(4326)


def test_prepare_dissolves_parts_and_normalises_codes():
    prepared = prepare_boundaries(_synthetic_dagi())
    assert len(prepared) == 98
    assert "101" in prepared.index and "411" not in prepared.index
    assert prepared.crs.to_epsg() == 25832
    assert prepared.loc["101", "geometry"].area == pytest.approx(25e6, rel=1e-3)
    assert shapely.get_num_geometries(prepared.loc["101", "geometry"]) == 1


def test_load_synthetic_geojson_from_file(tmp_path):
    path = tmp_path / "kommuner.geojson"
    _synthetic_dagi().to_file(path, driver="GeoJSON", engine="pyogrio")
    geometry = load_boundaries(path)
    assert geometry.kind == "boundaries"
    assert geometry.codes == tuple(municipalities().index)
    assert geometry.paths["101"].startswith("M")


def test_load_synthetic_geopackage(tmp_path):
    path = tmp_path / "kommuner.gpkg"
    _synthetic_dagi().to_file(path, driver="GPKG", engine="pyogrio")
    assert len(load_boundaries(path).codes) == 98


def test_missing_municipality_is_an_error():
    raw = _synthetic_dagi()
    with pytest.raises(BoundaryFileError, match="manglende kommuner: 101"):
        prepare_boundaries(raw[raw["KOMKODE"] != "0101"])


def test_missing_code_column_is_an_error():
    raw = _synthetic_dagi().rename(columns={"KOMKODE": "X"})
    with pytest.raises(BoundaryFileError, match="kommunekode"):
        prepare_boundaries(raw)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(BoundaryFileError, match="findes ikke"):
        load_boundaries(tmp_path / "nothing.geojson")


def test_real_dagi_file_loads_98_municipalities(kommuner_path):
    prepared = prepare_boundaries(read_boundary_file(kommuner_path))
    assert len(prepared) == 98
    area_km2 = prepared.area / 1e6
    assert area_km2["147"] == pytest.approx(8.7, rel=0.1)
    assert area_km2["760"] == pytest.approx(1470, rel=0.05)
    geometry = boundary_geometry(prepared)
    assert len(geometry.region_borders) > 0
    assert len(geometry.frames) == 1  # Bornholm inset
