"""All file reading and writing of the selection package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from selection.errors import ProblemError, ProposalError, SelectionError


def read_problem_json(path: str | Path) -> Any:
    """The JSON data of a problem file; ``ProblemError`` when it cannot be read."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ProblemError(
            "problem", f"filen {path} findes ikke", f"the file {path} does not exist"
        ) from error
    except OSError as error:
        raise ProblemError(
            "problem",
            f"kan ikke læse {path}: {error.strerror}",
            f"cannot read {path}: {error.strerror}",
        ) from error
    except json.JSONDecodeError as error:
        raise ProblemError(
            "problem",
            f"{path} er ikke gyldig JSON (linje {error.lineno}, kolonne {error.colno}): "
            f"{error.msg}",
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}",
        ) from error


def read_proposal_json(path: str | Path) -> Any:
    """The JSON data of a proposal file; ``ProposalError`` when it cannot be read."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ProposalError(
            f"kan ikke læse forslaget {path}: {error}", f"cannot read the proposal {path}: {error}"
        ) from error


def dumps(data: Any) -> str:
    """JSON as written by the command line: UTF-8 text, indented, stable key order."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as by ``dumps``; ``SelectionError`` naming the file when that fails."""
    try:
        Path(path).write_text(dumps(data), encoding="utf-8")
    except OSError as error:
        reason = error.strerror or str(error)
        raise SelectionError(
            f"kan ikke skrive {path}: {reason}", f"cannot write {path}: {reason}"
        ) from error


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV file with a header (municipality data for the generator)."""
    import csv

    with Path(path).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_text_if_exists(path: str | Path) -> str:
    """A solver's log file, or "" when it wrote none."""
    file = Path(path)
    return file.read_text(encoding="utf-8", errors="replace") if file.exists() else ""
