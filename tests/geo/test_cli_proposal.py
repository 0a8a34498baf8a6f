"""``python -m geo map`` on a selection proposal, and the Danish help and usage errors."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from geo.__main__ import main
from geo.proposal_map import ProposalCoverage, proposal_coverage
from geo.reference import exclusion_list, municipalities

ROOT = Path(__file__).resolve().parents[2]
DK_EXAMPLE = ROOT.parent / "shared" / "examples" / "dk-example.json"
PATH = re.compile(
    r'<path data-code="(\w+)" data-state="(\w+)"[^>]*>\s*<title>(.*?)</title></path>', re.DOTALL
)


def features(svg: str) -> dict[str, tuple[str, str]]:
    """Municipality code -> (state, title) of every municipality drawn in ``svg``."""
    return {code: (state, html.unescape(title)) for code, state, title in PATH.findall(svg)}


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def small_proposal(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": "selection-proposal/1",
        "status": "feasible",
        "selected": [
            {"id": "HK", "municipalities": ["101", "147"], "treated_volume": 10.0},
            {"id": "3F", "municipalities": ["101"], "treated_volume": 5.0},
        ],
        "volume": 15.0,
        "share_of_national_inflow": 0.253,
    }
    data.update(extra)
    return data


@pytest.fixture(scope="module")
def dk_proposal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The proposal ``python -m selection propose`` writes for the shared Danish example."""
    if not DK_EXAMPLE.is_file():
        pytest.skip(f"shared example not available: {DK_EXAMPLE}")
    out = tmp_path_factory.mktemp("proposal") / "forslag.json"
    result = subprocess.run(
        [sys.executable, "-m", "selection", "propose", str(DK_EXAMPLE), "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


# --- a map from the proposal of the Danish example -------------------------------------------


def test_map_from_dk_proposal_counts_and_names_the_covering_funds(
    dk_proposal: Path, tmp_path: Path
) -> None:
    out = tmp_path / "daekning.svg"
    assert main(["map", str(dk_proposal), "-o", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<?xml")
    assert "<title>De valgte a-kassers dækning</title>" in svg
    assert "Antal valgte a-kasser" in svg

    proposal = json.loads(dk_proposal.read_text(encoding="utf-8"))
    covering: dict[str, list[str]] = defaultdict(list)
    for entry in proposal["selected"]:
        for code in entry["municipalities"]:
            covering[code].append(entry["id"])
    drawn = features(svg)
    names = municipalities()["name"]
    frikommuner = exclusion_list().codes
    assert len(drawn) == 98
    for code, (state, title) in drawn.items():
        if code in frikommuner:
            assert state == "excluded"
            assert title == f"{names[code]}: frikommune – udelukket"
        elif code in covering:
            ids = ", ".join(sorted(covering[code]))
            assert state == "value"
            assert title == f"{names[code]}: {len(covering[code])} — {ids}"
        else:
            assert title == f"{names[code]}: 0"
    assert drawn["101"][1].startswith("København: ")
    assert drawn["151"] == ("excluded", "Ballerup: frikommune – udelukket")
    funds = len(proposal["selected"])
    assert f"Forslag (bevist optimalt): {funds} a-kasser, " in svg
    assert "forløb om året (25 % af tilgangen)." in svg


def test_map_from_dk_proposal_as_png(dk_proposal: Path, tmp_path: Path) -> None:
    out = tmp_path / "daekning.png"
    assert main(["map", str(dk_proposal), "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_map_from_dk_proposal_with_its_problem(dk_proposal: Path, tmp_path: Path) -> None:
    out = tmp_path / "daekning.svg"
    assert main(["map", str(dk_proposal), "-o", str(out), "--problem", str(DK_EXAMPLE)]) == 0
    excluded = json.loads(DK_EXAMPLE.read_text(encoding="utf-8"))["excluded_municipalities"]
    drawn = features(out.read_text(encoding="utf-8"))
    assert {code for code, (state, _) in drawn.items() if state == "excluded"} == set(excluded)


# --- small proposals --------------------------------------------------------------------------


def test_map_from_proposal_uncovered_municipalities_are_0(tmp_path: Path) -> None:
    source, out = write(tmp_path / "p.json", small_proposal()), tmp_path / "m.svg"
    assert main(["map", str(source), "-o", str(out)]) == 0
    drawn = features(out.read_text(encoding="utf-8"))
    assert drawn["101"] == ("value", "København: 2 — 3F, HK")
    assert drawn["147"] == ("value", "Frederiksberg: 1 — HK")
    assert drawn["751"] == ("value", "Aarhus: 0")
    assert drawn["151"][0] == "excluded"


def test_map_from_proposal_takes_frikommuner_from_the_problem(tmp_path: Path) -> None:
    source = write(tmp_path / "p.json", small_proposal())
    problem = write(tmp_path / "problem.json", {"excluded_municipalities": ["751"]})
    out = tmp_path / "m.svg"
    assert main(["map", str(source), "-o", str(out), "--problem", str(problem)]) == 0
    drawn = features(out.read_text(encoding="utf-8"))
    assert drawn["751"] == ("excluded", "Aarhus: frikommune – udelukket")
    assert drawn["151"] == ("value", "Ballerup: 0")  # only the problem's list counts


def test_map_title_option_overrides(tmp_path: Path) -> None:
    source, out = write(tmp_path / "p.json", small_proposal()), tmp_path / "m.svg"
    assert main(["map", str(source), "-o", str(out), "--title", "Runde 2018"]) == 0
    assert "<title>Runde 2018</title>" in out.read_text(encoding="utf-8")


def test_map_refuses_a_proposal_covering_a_frikommune(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_proposal()
    data["selected"][0]["municipalities"].append("151")
    source, out = write(tmp_path / "p.json", data), tmp_path / "m.svg"
    assert main(["map", str(source), "-o", str(out)]) == 1
    assert capsys.readouterr().err.startswith(
        "fejl: forslaget dækker frikommuner: Ballerup (151) af HK."
    )
    assert not out.exists()
    assert main(["map", str(source), "-o", str(out), "--exclusions", "none"]) == 0
    assert features(out.read_text(encoding="utf-8"))["151"] == ("value", "Ballerup: 1 — HK")


def test_map_refuses_an_infeasible_proposal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_proposal(status="infeasible", selected=[], infeasibility=["for lidt"])
    source = write(tmp_path / "p.json", data)
    assert main(["map", str(source), "-o", str(tmp_path / "m.svg")]) == 1
    err = capsys.readouterr().err
    assert err == (
        "fejl: forslaget har status 'infeasible' og ingen valgte a-kasser; der er intet at tegne\n"
    )


def test_map_names_the_broken_entry_of_a_proposal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_proposal()
    data["selected"][1]["municipalities"] = "101"
    source = write(tmp_path / "p.json", data)
    assert main(["map", str(source), "-o", str(tmp_path / "m.svg")]) == 1
    assert capsys.readouterr().err.startswith(
        "fejl: selected[1] (id '3F'): 'municipalities' skal være en liste af kommunekoder"
    )


def test_map_unknown_code_in_proposal_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_proposal()
    data["selected"][1]["municipalities"] = ["999"]
    source = write(tmp_path / "p.json", data)
    assert main(["map", str(source), "-o", str(tmp_path / "m.svg")]) == 1
    assert capsys.readouterr().err == "fejl: ukendte kommunekoder: 999\n"


def test_proposal_coverage_note_and_counts() -> None:
    coverage = proposal_coverage(small_proposal())
    assert coverage == ProposalCoverage(
        funds={"101": ("3F", "HK"), "147": ("HK",)},
        status="feasible",
        fund_count=2,
        volume=15.0,
        share=0.253,
    )
    assert coverage.note() == (
        "Forslag (gyldigt, ikke bevist optimalt): 2 a-kasser, 15 forløb om året "
        "(25 % af tilgangen)."
    )
    one = proposal_coverage(small_proposal(selected=[{"id": "HK", "municipalities": ["101"]}]))
    assert one.note().startswith("Forslag (gyldigt, ikke bevist optimalt): 1 a-kasse, ")


def test_coverage_json_still_works_beside_proposals(tmp_path: Path) -> None:
    source = write(tmp_path / "c.json", {"title": "Dækning", "municipalities": {"101": 3}})
    out = tmp_path / "m.svg"
    assert main(["map", str(source), "-o", str(out)]) == 0
    drawn = features(out.read_text(encoding="utf-8"))
    assert drawn["101"] == ("value", "København: 3")
    assert drawn["751"][0] == "missing"  # a coverage JSON does not fill in zeros


# --- help and usage errors in Danish ----------------------------------------------------------


def test_geo_help_is_danish(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("brug: python -m geo [-h] KOMMANDO ...")
    text = " ".join(out.split())
    assert "tilvalg: -h, --help vis denne hjælp og afslut" in text
    assert "map tegn et kort fra en dæknings-JSON eller et forslag" in text
    assert "afslutningsstatus: 0 færdig" in text
    assert "usage:" not in out and "options:" not in out and "show this help" not in out


def test_geo_map_help_documents_proposals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", "-h"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("brug: python -m geo map [-h] -o FIL")
    text = " ".join(out.split())
    assert "argumenter: KORT.json dæknings-JSON eller forslag (selection-proposal/1)" in text
    assert "--problem PROBLEM.json tag frikommunerne fra problemets" in text
    assert "python -m selection propose problem.json -o forslag.json" in text
    assert "python -m geo map forslag.json -o daekning.svg" in text
    assert "positional arguments" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["map", "p.json"], "python -m geo map: fejl: følgende argumenter mangler: -o/--output"),
        (
            ["map", "p.json", "-o", "m.svg", "--problem", "x.json", "--exclusions", "none"],
            "python -m geo map: fejl: argument --exclusions: kan ikke bruges sammen med --problem",
        ),
        (
            ["map", "p.json", "-o", "m.svg", "--format", "pdf"],
            "python -m geo map: fejl: argument --format: ugyldigt valg: 'pdf' "
            "(vælg mellem 'svg', 'png')",
        ),
        (
            ["inflow", "-o", "x.csv", "--national", "mange"],
            "python -m geo inflow: fejl: argument --national: skal være et tal, fik 'mange'",
        ),
        (
            ["tegn"],
            "python -m geo: fejl: argument KOMMANDO: ugyldigt valg: 'tegn' "
            "(vælg mellem 'resolve', 'map', 'inflow')",
        ),
    ],
)
def test_geo_usage_errors_exit_2_in_danish(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("brug: python -m geo")
    assert err.rstrip("\n").splitlines()[-1] == message
