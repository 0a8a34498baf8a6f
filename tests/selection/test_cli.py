from __future__ import annotations

import json
from pathlib import Path

import pytest

from selection.__main__ import main
from tests.selection.builders import fund, problem

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "examples"
needs_examples = pytest.mark.skipif(
    not (EXAMPLES / "dk-example.json").exists(), reason="shared examples are not present"
)


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def tiny(tmp_path: Path) -> Path:
    funds = [fund("A", {"a1": 60}), fund("B", {"a2": 50}), fund("C", {"b1": 48})]
    return write(tmp_path / "problem.json", problem(funds))


def test_cli_propose_then_check_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, out = tiny(tmp_path), tmp_path / "proposal.json"
    assert main(["propose", str(source), "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["status"] == "optimal"
    assert main(["check", str(source), str(out)]) == 0
    assert "OK" in capsys.readouterr().out


def test_cli_propose_writes_json_to_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["propose", str(tiny(tmp_path))]) == 0
    assert json.loads(capsys.readouterr().out)["schema"] == "selection-proposal/1"


def test_cli_check_catches_tampered_volume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tiny(tmp_path), tmp_path / "proposal.json"
    main(["propose", str(source), "-o", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    data["selected"][0]["treated_volume"] += 5
    write(out, data)
    assert main(["check", str(source), str(out)]) == 5
    assert "treated_volume" in capsys.readouterr().out


def test_cli_check_catches_added_ineligible_fund(tmp_path: Path) -> None:
    funds = [fund("A", {"a1": 60}), fund("B", {"a2": 50}), fund("X", {"b1": 5}, eligible=False)]
    source = write(tmp_path / "p.json", problem(funds, volume_tolerance=0.5))
    out = tmp_path / "proposal.json"
    main(["propose", str(source), "-o", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    data["selected"].append({"id": "X", "municipalities": ["b1"], "treated_volume": 5.0})
    write(out, data)
    assert main(["check", str(source), str(out)]) == 5


def test_cli_invalid_problem_names_key_and_fund(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = problem([fund("A", {"a1": 60}), fund("B", {"a2": 50}), fund("HK", {"b1": 48})])
    data["funds"][2]["capacity"] = "mange"
    assert main(["propose", str(write(tmp_path / "p.json", data))]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "fejl: funds[2] (id 'HK'): capacity skal være et tal ≥ 0, fik 'mange'"


def test_cli_unreadable_json_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["propose", str(bad)]) == 1
    assert "ikke gyldig JSON" in capsys.readouterr().err


@needs_examples
def test_cli_dk_example_is_optimal_and_checks(tmp_path: Path) -> None:
    out = tmp_path / "proposal.json"
    assert main(["propose", str(EXAMPLES / "dk-example.json"), "-o", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["status"] == "optimal"
    assert data["gap"] <= 1e-6
    assert main(["check", str(EXAMPLES / "dk-example.json"), str(out)]) == 0


@needs_examples
def test_cli_dk_infeasible_example_explains_with_numbers(tmp_path: Path) -> None:
    out = tmp_path / "proposal.json"
    assert main(["propose", str(EXAMPLES / "dk-infeasible-example.json"), "-o", str(out)]) == 3
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["status"] == "infeasible"
    assert data["selected"] == []
    first = data["infeasibility"][0]
    assert "højst bære" in first and "37.500" in first
    assert any(
        line.startswith("– Sænk kravet om mindst antal forløb") for line in data["infeasibility"]
    )


def test_cli_explain_prints_one_line_per_eligible_fund(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tiny(tmp_path), tmp_path / "proposal.json"
    main(["propose", str(source), "-o", str(out)])
    capsys.readouterr()
    assert main(["explain", str(source), str(out), "--lang", "en"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["A", "B", "C"]
    assert all("the best total deviation" in line for line in lines)


def test_cli_scenario_reports_kept_and_new_selection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tiny(tmp_path), tmp_path / "proposal.json"
    args = ["propose", str(source), "-o", str(out), "--scenario", "inflow=1.1"]
    assert main(args) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["scenario"]["changes"] == {"inflow": 1.1}
    base_volume = data["scenario"]["base"]["volume"]
    assert data["scenario"]["kept"]["volume"] == pytest.approx(base_volume * 1.1)
    assert "Samme valg i scenariet" in capsys.readouterr().err


def test_cli_bad_scenario_key_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["propose", str(tiny(tmp_path)), "--scenario", "ledighed=2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("brug: python -m selection propose")
    assert "fejl: argument --scenario: scenario: ukendt scenarie-nøgle 'ledighed'" in err


def test_cli_cbc_solver_gives_the_same_optimum(tmp_path: Path) -> None:
    source = tiny(tmp_path)
    results = []
    for solver in ("highs", "cbc"):
        out = tmp_path / f"{solver}.json"
        assert main(["propose", str(source), "-o", str(out), "--solver", solver]) == 0
        results.append(json.loads(out.read_text(encoding="utf-8")))
    assert results[1]["status"] == "optimal"
    assert results[1]["objective"] == pytest.approx(results[0]["objective"])
    assert main(["check", str(source), str(tmp_path / "cbc.json")]) == 0
