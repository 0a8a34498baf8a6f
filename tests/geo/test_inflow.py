import pytest

from geo.errors import InflowCSVError, UnknownKeyError
from geo.inflow import (
    MODELLED,
    REPORTED,
    apply_reported,
    effective_members,
    model_inflow,
    parse_inflow_csv,
    urbanity,
)
from geo.reference import funds, municipalities

HEADER = "fund_id,municipality_code,year,inflow\n"


def _parse(body: str):
    return parse_inflow_csv(
        HEADER + body, fund_ids=set(funds().index), municipality_codes=set(municipalities().index)
    )


def test_model_sums_to_national_total():
    table = model_inflow()
    assert len(table) == 24 * 98
    assert table["inflow"].sum() == pytest.approx(150_000, rel=1e-12)
    assert set(table["source"]) == {MODELLED}
    assert (table["inflow"] > 0).all()


def test_model_sums_to_given_total():
    assert model_inflow(national_total=1000)["inflow"].sum() == pytest.approx(1000)


def test_model_fund_share_equals_member_share():
    table = model_inflow()
    members = effective_members(funds())["members"]
    share = table.groupby("fund_id")["inflow"].sum() / 150_000
    assert share["HK"] == pytest.approx(members["HK"] / members.sum())


def test_model_academics_lean_to_cities_and_crafts_to_country():
    table = model_inflow().set_index(["fund_id", "municipality_code"])["inflow"]

    def city_share(fund):
        return table[(fund, "101")] / table[fund].sum()

    assert city_share("AKA") > city_share("HK") > city_share("3F")


def test_model_is_deterministic():
    assert model_inflow().equals(model_inflow())


def test_unknown_members_fall_back_to_size_class_median():
    members = effective_members(funds())
    assert members.loc["EL", "members_estimated"]
    assert members.loc["EL", "members"] == pytest.approx((36989 + 25027) / 2)
    assert "median" in members.loc["EL", "members_basis"]
    assert members.loc["HK", "members_basis"] == "oplyst"


def test_urbanity_is_clipped():
    u = urbanity(municipalities())
    assert u.max() == 4.0 and u.min() >= 0.25
    assert u["101"] == 4.0


def test_csv_valid_rows_parse_with_dagi_codes():
    rows = _parse('HK,0101,2019,10\nHK,147,2019,"2,5"\n')
    assert list(rows["municipality_code"]) == ["101", "147"]
    assert list(rows["inflow"]) == [10.0, 2.5]


def test_csv_collects_every_error_per_line():
    with pytest.raises(InflowCSVError) as info:
        _parse("HK,101,2019,10\nXX,999,2019,5\nHK,147,2019,-1\nHK,147,2019,abc\nHK,101,2019,3\n")
    problems = [(p.line, p.key) for p in info.value.problems]
    assert problems == [
        (3, "fund_id"),
        (3, "municipality_code"),
        (4, "inflow"),
        (5, "inflow"),
        (6, "række"),
    ]
    assert "linje 4: tilgang må ikke være negativ" in str(info.value)


def test_csv_missing_columns_is_an_error():
    with pytest.raises(InflowCSVError, match="mangler kolonnerne"):
        parse_inflow_csv("fund_id,inflow\nHK,1\n", fund_ids={"HK"}, municipality_codes={"101"})


def test_reported_replaces_whole_fund_and_keeps_others_modelled():
    model = model_inflow()
    table = apply_reported(model, _parse("HK,101,2019,10\n"))
    hk = table[table["fund_id"] == "HK"].set_index("municipality_code")
    assert hk.loc["101", "inflow"] == 10 and hk.loc["147", "inflow"] == 0
    assert set(hk["source"]) == {REPORTED}
    others = table[table["fund_id"] != "HK"]
    assert set(others["source"]) == {MODELLED}
    assert len(table) == len(model)


def test_reported_with_several_years_needs_a_year():
    rows = _parse("HK,101,2019,10\nHK,101,2020,12\n")
    with pytest.raises(UnknownKeyError, match="flere år"):
        apply_reported(model_inflow(), rows)
    table = apply_reported(model_inflow(), rows, year=2020)
    assert table.set_index(["fund_id", "municipality_code"]).loc[("HK", "101"), "inflow"] == 12


def test_load_reported_inflow_from_file_with_bom(tmp_path):
    from geo.inflow import load_reported_inflow

    path = tmp_path / "inflow.csv"
    path.write_text("\ufeff" + HEADER + "3F,0101,2021,7\n", encoding="utf-8")
    rows = load_reported_inflow(path)
    assert rows.iloc[0].to_dict() == {
        "fund_id": "3F",
        "municipality_code": "101",
        "year": 2021,
        "inflow": 7.0,
    }


def test_load_reported_inflow_rejects_whole_file(tmp_path):
    from geo.inflow import load_reported_inflow

    path = tmp_path / "inflow.csv"
    path.write_text(HEADER + "3F,101,2021,7\n3F,102,2021,7\n", encoding="utf-8")
    with pytest.raises(InflowCSVError) as info:
        load_reported_inflow(path)
    assert [p.line for p in info.value.problems] == [3]


def test_csv_problems_name_the_physical_line_and_their_kind():
    # A blank line counts: the problem is on line 4 of the file, as an editor shows it.
    with pytest.raises(InflowCSVError) as info:
        _parse("HK,101,2019,10\n\nHK,147,2019,-1\nHK,101,2019,3\n")
    found = [(p.line, p.key, p.code, p.first_line) for p in info.value.problems]
    assert found == [(4, "inflow", "negative", None), (5, "række", "duplicate", 2)]


def test_csv_with_semicolons_and_decimal_commas():
    rows = parse_inflow_csv(
        HEADER.replace(",", ";") + "HK;0101;2019;2,5\n",
        fund_ids={"HK"},
        municipality_codes={"101"},
        delimiter=";",
    )
    assert rows.iloc[0].to_dict() == {
        "fund_id": "HK",
        "municipality_code": "101",
        "year": 2019,
        "inflow": 2.5,
    }
