from geo.reference import (
    exclusion_list,
    exclusion_names,
    funds,
    load_exclusion_list,
    municipalities,
    normalise_code,
    regions,
)


def test_municipalities_has_98_with_three_digit_codes():
    towns = municipalities()
    assert len(towns) == 98
    assert all(len(code) == 3 and code.isdigit() for code in towns.index)
    assert towns.loc["147", "name"] == "Frederiksberg"
    assert towns.loc["101", "region_name"] == "Region Hovedstaden"


def test_regions_are_five_with_danish_names():
    table = regions()
    assert list(table.index) == ["1081", "1082", "1083", "1084", "1085"]
    assert table.loc["1085", "name"] == "Region Sjælland"
    assert table["municipalities"].sum() == 98


def test_accessors_return_copies():
    towns = municipalities()
    towns.loc["101", "name"] = "changed"
    assert municipalities().loc["101", "name"] == "København"


def test_default_exclusion_list_has_15_frikommuner_with_reasons():
    excl = exclusion_list()
    assert excl.name == "frikommuner-2019"
    assert len(excl) == 15
    assert "825" in excl
    assert excl.reasons["151"].startswith("Frikommune med eget forsøg med kontaktforløbet")
    assert excl.period and excl.source
    frame = excl.to_frame()
    assert frame.loc["825", "name"] == "Læsø"


def test_none_exclusion_list_is_empty():
    assert len(exclusion_list("none")) == 0
    assert "none" in exclusion_names()


def test_exclusion_list_from_file_normalises_codes(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("code,reason\n0101,test\n147,\n", encoding="utf-8")
    excl = load_exclusion_list(path)
    assert excl.name == "mine"
    assert excl.codes == {"101", "147"}
    assert excl.reasons["101"] == "test"


def test_funds_has_24_with_unknown_members_as_nan():
    table = funds()
    assert len(table) == 24
    assert table.loc["HK", "members"] == 200211
    assert table["members"].isna().sum() == 6
    assert table.loc["BUPL-A", "trial_2019_municipalities"][0] == "101"


def test_normalise_code_drops_dagi_leading_zero():
    assert normalise_code("0101") == "101"
    assert normalise_code("101") == "101"
    assert normalise_code("1084") == "1084"
