"""Reported inflow files: the administrator's CSV of newly registered dagpenge recipients per
a-kasse and municipality for a call, read whole or refused whole.

The columns are geo's (`geo.inflow.parse_inflow_csv`: fund_id, municipality_code, year,
inflow), written the way a spreadsheet writes them: UTF-8 with or without a byte order mark;
`;` or `,` between values, whichever the header line uses; a decimal comma or point; header
names in any case and order; lines of only separators (a spreadsheet's empty rows) skipped.
One year per file. Every problem is collected with its line, column and value, so the file can
be corrected in one go; a file with any problem is refused and nothing of it is used. The
upload page (`templates/calls/inflow.html`) documents the format in Danish.

No Flask: texts are Danish message ids (`N_`) with their parameters; the page translates.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from geo.errors import CSVProblem, InflowCSVError
from geo.inflow import CSV_COLUMNS, parse_inflow_csv
from geo.reference import funds as reference_funds
from geo.reference import municipalities as reference_municipalities
from portal.i18n import N_

BOM = b"\xef\xbb\xbf"
SEPARATORS = (";", ",")
# "1.234" is a thousand in a Danish spreadsheet and 1.234 elsewhere: refused, never guessed.
THOUSANDS = re.compile(r"\d{1,3}(\.\d{3})+")
MAX_VALUE_SHOWN = 60
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
DUPLICATE_COLUMNS = ", ".join(CSV_COLUMNS[:3])

GEO_MESSAGES = {
    "unknown_fund": N_("Ukendt a-kasse. Brug a-kassens kortnavn, fx HK eller 3F."),
    "unknown_municipality": N_("Ukendt kommunekode. Brug kommunens nummer, fx 101 eller 0101."),
    "bad_year": N_("Året skal skrives med fire cifre, fx 2024."),
    "not_a_number": N_("Tilgangen skal være et tal, fx 1234 eller 56,5."),
    "negative": N_("Tilgangen må ikke være negativ."),
    "duplicate": N_("Samme a-kasse, kommune og år som linje %(first)d."),
}


@dataclass(frozen=True)
class Problem:
    """One problem of a refused file: where (line of the file, column of the header; an
    empty column is the line as a whole), the value found, and a Danish message id."""

    line: int
    column: str
    value: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportedInflow:
    """A file read without problems."""

    year: int
    separator: str
    rows: tuple[tuple[str, str, float], ...]  # (fund id, municipality code, inflow), file order

    @property
    def funds(self) -> tuple[str, ...]:
        return tuple(sorted({fund for fund, _code, _inflow in self.rows}))

    @property
    def total(self) -> float:
        return sum(inflow for _fund, _code, inflow in self.rows)


class InflowFileRejected(Exception):
    """The file has at least one problem; nothing of it is used."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"inflow file refused: {len(problems)} problem(s)")
        self.problems = tuple(sorted(problems, key=_order))


def read_inflow_csv(data: bytes) -> ReportedInflow:
    """The file's rows, or InflowFileRejected listing every problem."""
    text = _decoded(data)
    separator = _separator(text)
    text = _normalised(text, separator)
    _check_header(text, separator)
    problems = _file_checks(text, separator)
    try:
        table = parse_inflow_csv(
            text,
            fund_ids=set(reference_funds().index),
            municipality_codes=set(reference_municipalities().index),
            delimiter=separator,
        )
    except InflowCSVError as error:
        problems += [_from_geo(p) for p in error.problems]
    if problems:
        raise InflowFileRejected(problems)
    rows = tuple(
        (str(fund), str(code), float(inflow))
        for fund, code, inflow in zip(
            table["fund_id"], table["municipality_code"], table["inflow"], strict=True
        )
    )
    return ReportedInflow(year=int(table["year"].iloc[0]), separator=separator, rows=rows)


# --- the bytes: empty, UTF-8 ------------------------------------------------------------------


def _decoded(data: bytes) -> str:
    # Line ends as an editor counts them: CRLF (Windows) and a lone CR (old Mac) become LF.
    body = data.removeprefix(BOM).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if not body.strip():
        raise InflowFileRejected(
            [
                Problem(
                    1,
                    "",
                    "",
                    N_("Filen er tom. Første linje skal være overskriften %(header)s."),
                    {"header": ";".join(CSV_COLUMNS)},
                )
            ]
        )
    lines = body.split(b"\n")  # 0x0A is never part of a multi-byte UTF-8 character
    header = lines[0].decode("utf-8", "replace")
    separator = _separator(header).encode()
    names = [name.strip().lower() for name in header.split(separator.decode())]
    problems = [
        problem
        for number, line in enumerate(lines, start=1)
        if (problem := _not_utf8(number, line, separator, names)) is not None
    ]
    if problems:
        raise InflowFileRejected(problems)
    return body.decode("utf-8")


def _not_utf8(number: int, line: bytes, separator: bytes, names: list[str]) -> Problem | None:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as error:
        index = line[: error.start].count(separator)
        fields = line.split(separator)
        return Problem(
            number,
            names[index] if index < len(names) and number > 1 else "",
            _shown(fields[index].decode("utf-8", "replace")) if index < len(fields) else "",
            N_(
                "Teksten er ikke UTF-8 (byte %(byte)s). Gem filen som »CSV UTF-8« og upload "
                "den igen."
            ),
            {"byte": f"0x{line[error.start]:02X}"},
        )
    return None


# --- the text: separator, header, rows ---------------------------------------------------------


def _separator(text: str) -> str:
    """`;` when the header line holds one, else `,`."""
    header = text.split("\n", 1)[0]
    return next((s for s in SEPARATORS if s in header), SEPARATORS[-1])


def _normalised(text: str, separator: str) -> str:
    """Header names trimmed and in lower case; lines of only separators and spaces made
    blank (the csv reader skips blank lines and still counts them, so line numbers hold)."""
    lines = text.split("\n")
    header = lines[0].split(separator)  # plain names, perhaps quoted
    lines[0] = separator.join(name.strip().strip('"').strip().lower() for name in header)
    return "\n".join(
        "" if number and not line.replace(separator, "").strip() else line
        for number, line in enumerate(lines)
    )


def _check_header(text: str, separator: str) -> None:
    header_line = text.split("\n", 1)[0]
    found = header_line.split(separator)
    missing = [column for column in CSV_COLUMNS if column not in found]
    if missing:
        raise InflowFileRejected(
            [
                Problem(
                    1,
                    column,
                    _shown(header_line),
                    N_(
                        "Kolonnen mangler i overskriften. Første linje skal have kolonnerne "
                        "%(header)s."
                    ),
                    {"header": separator.join(CSV_COLUMNS)},
                )
                for column in missing
            ]
        )


def _file_checks(text: str, separator: str) -> list[Problem]:
    """What geo does not check: at least one row, one year, no thousands separator; and a
    file the csv reader cannot read at all."""
    reader = csv.DictReader(io.StringIO(text), delimiter=separator)
    problems: list[Problem] = []
    first_year: dict[str, int] = {}  # the first row's year -> its line
    count = 0
    try:
        for row in reader:
            count += 1
            problems += _row_checks(reader.line_num, row, first_year)
    except csv.Error as error:
        raise InflowFileRejected(
            [
                Problem(
                    reader.line_num + 1,  # the line being read when it failed
                    "",
                    "",
                    N_(
                        "Linjen kan ikke læses som CSV: et felt er for langt, eller et "
                        "anførselstegn mangler sin afslutning."
                    ),
                )
            ]
        ) from error
    if count == 0:
        problems.append(Problem(2, "", "", N_("Filen har ingen rækker under overskriften.")))
    return problems


def _row_checks(line: int, row: dict[str, str | None], first_year: dict[str, int]) -> list[Problem]:
    year, inflow = (row.get("year") or "").strip(), (row.get("inflow") or "").strip()
    found = []
    if THOUSANDS.fullmatch(inflow):
        found.append(
            Problem(
                line,
                "inflow",
                inflow,
                N_(
                    "Tvetydigt tal. Skriv tallet uden tusindtalsseparator, fx 1234, og "
                    "decimaler med komma eller punktum, fx 56,5."
                ),
            )
        )
    if year.isdigit() and len(year) == 4:
        if not first_year:
            first_year[year] = line
        elif year not in first_year:
            ((first, first_line),) = first_year.items()
            found.append(
                Problem(
                    line,
                    "year",
                    year,
                    N_("Filen må kun have tal for ét år; linje %(first)d har %(year)s."),
                    {"first": first_line, "year": first},
                )
            )
    return found


def _from_geo(problem: CSVProblem) -> Problem:
    if problem.code == "duplicate":
        return Problem(
            problem.line,
            DUPLICATE_COLUMNS,
            _shown(problem.value),
            GEO_MESSAGES["duplicate"],
            {"first": problem.first_line},
        )
    return Problem(
        problem.line,
        problem.key,
        _shown(problem.value),
        GEO_MESSAGES.get(problem.code, problem.message),
    )


def _shown(value: str) -> str:
    """A value as the page shows it: on one line, control characters as �, shortened."""
    value = " ".join(value.split())
    value = CONTROL.sub("\ufffd", value)
    return value if len(value) <= MAX_VALUE_SHOWN else value[: MAX_VALUE_SHOWN - 1] + "…"


def _order(problem: Problem) -> tuple[int, int, str]:
    columns = {name: i for i, name in enumerate(CSV_COLUMNS)}
    return problem.line, columns.get(problem.column, len(columns)), problem.message
