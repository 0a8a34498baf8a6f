import json

from geo.__main__ import main


def test_cli_resolve_national_prints_83_codes(capsys):
    assert main(["resolve", "national"]) == 0
    codes = json.loads(capsys.readouterr().out)
    assert len(codes) == 83


def test_cli_resolve_without_exclusions(capsys):
    assert main(["resolve", "national", "--exclusions", "none"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 98


def test_cli_resolve_unknown_name_fails_in_danish(capsys):
    assert main(["resolve", "Høje Tåstrup"]) == 1
    err = capsys.readouterr().err
    assert err == "fejl: ukendt kommune 'Høje Tåstrup' — mente du 'Høje-Taastrup'?\n"


def test_cli_map_writes_svg(tmp_path, capsys):
    coverage = tmp_path / "coverage.json"
    coverage.write_text(
        json.dumps(
            {"title": "Dækning", "municipalities": {"101": {"value": 3, "label": "3F, HK, MA"}}}
        ),
        encoding="utf-8",
    )
    out = tmp_path / "map.svg"
    assert main(["map", str(coverage), "-o", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<?xml")
    assert "København: 3 — 3F, HK, MA" in svg


def test_cli_map_bad_value_fails(tmp_path, capsys):
    coverage = tmp_path / "coverage.json"
    coverage.write_text('{"municipalities": {"101": {"value": "x"}}}', encoding="utf-8")
    assert main(["map", str(coverage), "-o", str(tmp_path / "m.svg")]) == 1
    assert capsys.readouterr().err.startswith("fejl: kommune 101")


def test_cli_map_missing_boundary_file_fails(tmp_path, capsys):
    coverage = tmp_path / "coverage.json"
    coverage.write_text('{"municipalities": {}}', encoding="utf-8")
    code = main(
        [
            "map",
            str(coverage),
            "-o",
            str(tmp_path / "m.svg"),
            "--boundaries",
            str(tmp_path / "no.geojson"),
        ]
    )
    assert code == 1
    assert "grænsefilen findes ikke" in capsys.readouterr().err


def test_cli_inflow_writes_modelled_table(tmp_path):
    out = tmp_path / "inflow.csv"
    assert main(["inflow", "--national", "1000", "-o", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "fund_id,municipality_code,inflow,source"
    assert len(lines) == 1 + 24 * 98
    assert sum(float(line.split(",")[2]) for line in lines[1:]) == __import__("pytest").approx(
        1000, abs=1
    )
