import pytest

from geo.errors import UnknownEntryError
from geo.extents import resolve_entry, resolve_extent
from geo.reference import exclusion_list


def test_resolve_national_with_2019_list_is_83():
    extent = resolve_extent(["national"])
    assert len(extent.codes) == 83
    assert "851" not in extent.codes
    assert list(extent.codes) == sorted(extent.codes)
    assert len(extent.excluded) == 15
    assert extent.excluded.loc["851", "reason"].startswith("Frikommune")
    assert extent.excluded.loc["851", "requested_by"] == "national"


def test_resolve_national_without_exclusions_is_98():
    assert len(resolve_extent(["national"], exclusion_list("none")).codes) == 98


def test_resolve_region_drops_its_frikommuner():
    extent = resolve_extent(["region:1084"])
    assert len(extent.codes) == 29 - 4
    assert "101" in extent.codes and "400" in extent.codes
    assert set(extent.excluded.index) == {"151", "201", "210", "270"}


def test_resolve_region_fully_excluded_is_empty():
    extent = resolve_extent(["region:1081"])
    assert extent.codes == ()
    assert len(extent.excluded) == 11


def test_resolve_region_by_name():
    assert resolve_entry("region:Sjælland") == resolve_entry("region:1085")
    assert resolve_entry("Region:region sjælland") == resolve_entry("region:1085")


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        ("Høje-Taastrup", "169"),
        ("Høje Taastrup", "169"),
        ("høje-taastrup", "169"),
        ("KØBENHAVN", "101"),
        ("Aarhus Kommune", "751"),
        ("Ærø", "492"),
        ("0101", "101"),
        ("101", "101"),
    ],
)
def test_resolve_entry_accepts_names_and_codes(entry, code):
    assert resolve_entry(entry) == (code,)


def test_resolve_merges_duplicates_and_sorts():
    extent = resolve_extent(["751", "Aarhus", "101"])
    assert extent.codes == ("101", "751")


def test_unknown_name_suggests_closest():
    with pytest.raises(UnknownEntryError) as info:
        resolve_extent(["Høje Tåstrup"])
    assert info.value.entry == "Høje Tåstrup"
    assert info.value.suggestion == "Høje-Taastrup"
    assert str(info.value) == "ukendt kommune 'Høje Tåstrup' — mente du 'Høje-Taastrup'?"


def test_unknown_code_is_an_error_naming_it():
    with pytest.raises(UnknownEntryError, match="'999'"):
        resolve_extent(["101", "999"])


def test_unknown_region_suggests_region_entry():
    with pytest.raises(UnknownEntryError) as info:
        resolve_extent(["region:Sjaelland"])
    assert info.value.suggestion == "region:1085"
