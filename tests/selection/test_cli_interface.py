"""The command line as a new user meets it: Danish help and usage errors, the exit statuses,
and the municipality names in the proposal JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from selection import __main__ as cli
from selection.__main__ import main
from selection.cli_parser import danish_message, language_in
from selection.errors import SolverError
from selection.proposal import empty_proposal
from tests.selection.builders import MUNICIPALITIES, fund, problem

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "examples"
needs_examples = pytest.mark.skipif(
    not (EXAMPLES / "dk-example.json").exists(), reason="shared examples are not present"
)
ENGLISH_ARGPARSE = ("usage:", "positional arguments", "options:", "show this help", "error:")


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def tiny(tmp_path: Path, **targets: object) -> Path:
    funds = [fund("A", {"a1": 60}), fund("B", {"a2": 50}), fund("C", {"b1": 48})]
    return write(tmp_path / "problem.json", problem(funds, **targets))


def flat(text: str) -> str:
    """Whitespace-normalised text, so wrapping at the terminal width does not matter."""
    return " ".join(text.split())


# --- help ----------------------------------------------------------------------------------


def test_main_help_is_danish_and_lists_commands_and_exit_statuses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("brug: python -m selection [-h] KOMMANDO ...")
    text = flat(out)
    for words in (
        "tilvalg: -h, --help vis denne hjælp og afslut",
        "kommandoer: KOMMANDO",
        "propose find den bedste udvælgelse",
        "check genberegn og efterprøv et forslag uafhængigt",
        "afslutningsstatus:",
        "3 ingen mulig udvælgelse (status infeasible)",
    ):
        assert words in text
    assert not [word for word in ENGLISH_ARGPARSE if word in out]


@pytest.mark.parametrize(
    ("command", "files"),
    [("propose", "PROBLEM.json"), ("check", "PROBLEM.json FORSLAG.json"), ("explain", "FORSLAG")],
)
def test_every_subcommand_help_is_danish(
    command: str, files: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "-h"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"brug: python -m selection {command} [-h]")
    text = flat(out)
    assert "argumenter: PROBLEM.json problemet (selection-problem/1)" in text
    assert "tilvalg: -h, --help vis denne hjælp og afslut" in text
    assert files in text
    assert "sprog for tekster, hjælp og fejl (standard: da)" in text
    assert "afslutningsstatus:" in text
    assert not [word for word in ENGLISH_ARGPARSE if word in out]


def test_propose_help_names_its_options_in_danish(capsys: pytest.CaptureFixture[str]) -> None:
    main(["propose", "--help"])
    text = flat(capsys.readouterr().out)
    assert "-o FIL, --output FIL skriv forslaget her i stedet for på standard-output" in text
    assert "--time-limit SEK sekunder pr. solverkørsel (standard: 30)" in text
    assert "--scenario NØGLE=VÆRDI hvad-nu-hvis-ændring" in text


def test_english_mode_keeps_argparse_english(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--lang", "en", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m selection check")
    text = flat(out)
    assert "options: -h, --help show this help message and exit" in text
    assert "exit status:" in text
    assert "5 check: the proposal violates a constraint" in text


def test_help_documents_every_exit_status_with_the_constants(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["--help"])
    text = flat(capsys.readouterr().out)
    expected = {
        cli.EXIT_OK: "et svar",
        cli.EXIT_INPUT: "ugyldigt eller ulæseligt input",
        cli.EXIT_USAGE: "forkert brug af kommandoen",
        cli.EXIT_INFEASIBLE: "ingen mulig udvælgelse",
        cli.EXIT_NO_ANSWER: "ingen udvælgelse inden for tidsgrænsen",
        cli.EXIT_CHECK_FAILED: "check: forslaget overtræder et krav",
    }
    assert sorted(expected) == [0, 1, 2, 3, 4, 5]
    for code, words in expected.items():
        assert f"{code} {words}" in text


# --- usage errors: status 2, Danish -----------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "python -m selection: fejl: følgende argumenter mangler: KOMMANDO"),
        (
            ["frob"],
            "python -m selection: fejl: argument KOMMANDO: ugyldigt valg: 'frob' "
            "(vælg mellem 'propose', 'check', 'explain')",
        ),
        (
            ["propose"],
            "python -m selection propose: fejl: følgende argumenter mangler: PROBLEM.json",
        ),
        (
            ["check", "p.json"],
            "python -m selection check: fejl: følgende argumenter mangler: FORSLAG.json",
        ),
        (
            ["propose", "p.json", "--solver", "gurobi"],
            "python -m selection propose: fejl: argument --solver: ugyldigt valg: 'gurobi' "
            "(vælg mellem 'highs', 'cbc')",
        ),
        (
            ["propose", "p.json", "--time-limit", "abc"],
            "python -m selection propose: fejl: argument --time-limit: "
            "skal være et tal > 0, fik 'abc'",
        ),
        (
            ["propose", "p.json", "--time-limit", "0"],
            "python -m selection propose: fejl: argument --time-limit: "
            "skal være et tal > 0, fik '0'",
        ),
        (
            ["propose", "p.json", "--alternatives", "-1"],
            "python -m selection propose: fejl: argument --alternatives: "
            "skal være et heltal ≥ 0, fik '-1'",
        ),
        (
            ["propose", "p.json", "-o"],
            "python -m selection propose: fejl: argument -o/--output: mangler en værdi",
        ),
        (
            ["propose", "p.json", "--bogus"],
            "python -m selection: fejl: ukendte argumenter: --bogus",
        ),
        (
            ["explain", "p.json", "f.json", "--lang", "fr"],
            "python -m selection explain: fejl: argument --lang: ugyldigt valg: 'fr' "
            "(vælg mellem 'da', 'en')",
        ),
    ],
)
def test_usage_errors_exit_2_in_danish(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == cli.EXIT_USAGE == 2
    err = capsys.readouterr().err
    assert err.startswith("brug: python -m selection")
    assert err.rstrip("\n").splitlines()[-1] == message


def test_usage_error_in_english_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["propose", "p.json", "--lang", "en", "--solver", "gurobi"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m selection propose")
    assert "error: argument --solver: invalid choice: 'gurobi'" in err


def test_unknown_argparse_messages_pass_through_and_known_ones_are_translated() -> None:
    assert danish_message("something new") == "something new"
    assert danish_message("argument --x: expected at least one argument") == (
        "argument --x: mangler mindst én værdi"
    )
    assert danish_message("argument --n: invalid int value: 'x'") == (
        "argument --n: skal være et heltal, fik 'x'"
    )
    assert danish_message("argument --a: not allowed with argument --b") == (
        "argument --a: kan ikke bruges sammen med --b"
    )


def test_language_is_read_before_parsing() -> None:
    assert language_in(["check", "a", "b", "--lang", "en"]) == "en"
    assert language_in(["check", "--lang=en"]) == "en"
    assert language_in(["check", "--lang", "da"]) == "da"
    assert language_in(["check", "--lang"]) == "da"
    assert language_in(["check", "en"]) == "da"


# --- exit statuses of the answers -----------------------------------------------------------


def test_optimal_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["propose", str(tiny(tmp_path))]) == cli.EXIT_OK == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "optimal"
    assert captured.err.startswith("Bevist optimal:")


def test_infeasible_exits_3_with_the_json_and_the_diagnosis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tiny(tmp_path, volume=1000.0)  # the three funds carry 158 at most
    assert main(["propose", str(source)]) == cli.EXIT_INFEASIBLE == 3
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["schema"] == "selection-proposal/1"
    assert data["status"] == "infeasible"
    assert data["selected"] == []
    reasons = data["infeasibility"]
    assert reasons and "158" in reasons[0]
    lines = captured.err.splitlines()
    assert lines[0] == "Ingen mulig udvælgelse."
    assert lines[1 : 1 + len(reasons)] == reasons


def test_infeasible_json_is_the_same_on_stdout_and_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tiny(tmp_path, volume=1000.0), tmp_path / "proposal.json"
    assert main(["propose", str(source), "-o", str(out)]) == 3
    assert capsys.readouterr().out == ""
    written = json.loads(out.read_text(encoding="utf-8"))
    assert main(["propose", str(source)]) == 3
    printed = json.loads(capsys.readouterr().out)
    written.pop("solve_seconds"), printed.pop("solve_seconds")
    assert printed == written
    assert main(["check", str(source), str(out)]) == 0  # a valid infeasible answer


def test_infeasible_in_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["propose", str(tiny(tmp_path, volume=1000.0)), "--lang", "en"]) == 3
    assert capsys.readouterr().err.startswith("No possible selection.")


def test_time_limit_without_selection_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def timed_out(*args: object, **kwargs: object) -> object:
        return empty_proposal("error", 0.5, "highs", message="time limit reached")

    monkeypatch.setattr(cli, "propose", timed_out)
    assert main(["propose", str(tiny(tmp_path))]) == cli.EXIT_NO_ANSWER == 4
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "error"
    assert "Ingen udvælgelse fundet inden for tidsgrænsen" in captured.err


def test_solver_failure_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise SolverError("HiGHS fejlede: kunne ikke starte", "HiGHS failed: could not start")

    monkeypatch.setattr(cli, "propose", broken)
    assert main(["propose", str(tiny(tmp_path))]) == 4
    assert capsys.readouterr().err == "fejl: HiGHS fejlede: kunne ikke starte\n"


def test_missing_problem_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert main(["propose", str(missing)]) == cli.EXIT_INPUT == 1
    assert capsys.readouterr().err == f"fejl: filen {missing} findes ikke\n"


def test_invalid_value_exits_1_naming_key_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = problem([fund("A", {"a1": 60}), fund("B", {"a2": 50})])
    data["targets"]["volume"] = "mange"
    assert main(["check", str(write(tmp_path / "p.json", data)), "x.json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fejl: targets") and "volume" in err and "'mange'" in err


def test_unwritable_output_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no-such-folder" / "out.json"
    assert main(["propose", str(tiny(tmp_path)), "-o", str(target)]) == 1
    assert capsys.readouterr().err.startswith(f"fejl: kan ikke skrive {target}:")


def test_unreadable_proposal_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tiny(tmp_path)), str(tmp_path / "none.json")]) == 1
    assert capsys.readouterr().err.startswith("fejl: kan ikke læse forslaget")


def test_check_violation_exits_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, out = tiny(tmp_path), tmp_path / "proposal.json"
    main(["propose", str(source), "-o", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    data["volume"] += 1
    write(out, data)
    assert main(["check", str(source), str(out)]) == cli.EXIT_CHECK_FAILED == 5


# --- municipality names in the proposal -----------------------------------------------------


def test_selected_entries_carry_municipality_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tiny(tmp_path), tmp_path / "proposal.json"
    assert main(["propose", str(source), "-o", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["selected"]
    for entry in data["selected"]:
        assert list(entry)[:3] == ["id", "municipalities", "treated_volume"]
        assert entry["municipality_names"] == {
            code: MUNICIPALITIES[code]["name"] for code in entry["municipalities"]
        }
    assert main(["check", str(source), str(out)]) == 0


def test_check_accepts_proposals_without_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tiny(tmp_path), tmp_path / "proposal.json"
    main(["propose", str(source), "-o", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    for entry in data["selected"]:
        del entry["municipality_names"]
    write(out, data)
    assert main(["check", str(source), str(out)]) == 0


def test_check_catches_a_wrong_municipality_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tiny(tmp_path), tmp_path / "proposal.json"
    main(["propose", str(source), "-o", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    entry = data["selected"][0]
    code = entry["municipalities"][0]
    entry["municipality_names"][code] = "Atlantis"
    write(out, data)
    capsys.readouterr()
    assert main(["check", str(source), str(out)]) == 5
    out_text = capsys.readouterr().out
    assert f"kommune {code} hedder '{MUNICIPALITIES[code]['name']}', ikke 'Atlantis'" in out_text


def test_check_catches_names_that_miss_a_municipality(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tiny(tmp_path), tmp_path / "proposal.json"
    main(["propose", str(source), "-o", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    entry = data["selected"][0]
    del entry["municipality_names"][entry["municipalities"][-1]]
    write(out, data)
    capsys.readouterr()
    assert main(["check", str(source), str(out)]) == 5
    assert "municipality_names skal have netop a-kassens kommuner" in capsys.readouterr().out


@needs_examples
def test_dk_example_proposal_names_the_municipalities(tmp_path: Path) -> None:
    out = tmp_path / "proposal.json"
    assert main(["propose", str(EXAMPLES / "dk-example.json"), "-o", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    names = {c: n for e in data["selected"] for c, n in e["municipality_names"].items()}
    assert names["101"] == "København"
    assert names["751"] == "Aarhus"
    covered = {c for e in data["selected"] for c in e["municipalities"]}
    assert set(names) == covered


def test_the_real_entry_point_returns_the_statuses(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "selection", *argv]
        return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)

    infeasible = run("propose", str(tiny(tmp_path, volume=1000.0)))
    assert infeasible.returncode == 3
    assert json.loads(infeasible.stdout)["status"] == "infeasible"
    usage = run("propose", "--solver", "gurobi")
    assert usage.returncode == 2
    assert "fejl: argument --solver: ugyldigt valg" in usage.stderr
    helped = run("--help")
    assert helped.returncode == 0 and helped.stdout.startswith("brug:")
