"""Command line: ``python -m geo resolve|map|inflow`` (also ``forsoeg-geo``).

Help and messages are Danish. Errors are printed to stderr, prefixed ``fejl:``, with exit status
1 (2 for usage errors, from argparse); see ``EXIT_STATUS``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from geo import files
from geo.cli_parser import DanishParser
from geo.errors import GeoError, MapInputError
from geo.extents import resolve_extent
from geo.inflow import NATIONAL_INFLOW, model_inflow
from geo.maps import render_map
from geo.proposal_map import (
    LEGEND_TITLE,
    TITLE,
    is_proposal,
    problem_exclusions,
    proposal_coverage,
)
from geo.reference import DEFAULT_EXCLUSIONS, municipalities, resolve_exclusions

EXIT_STATUS = """\
afslutningsstatus:
  0  færdig: listen, kortet eller tabellen er skrevet
  1  fejl i input (ukendt kommune, ulæselig fil, forkert JSON); beskeden står
     på standardfejl efter "fejl:"
  2  forkert brug af kommandoen (ukendt tilvalg, manglende argument,
     ugyldigt valg)"""

MAP_EPILOG = f"""\
KORT.json er enten
  - en dæknings-JSON: {{"title": …, "municipalities": {{"101": {{"value": 3,
    "label": "3F, HK, MA"}}}}}}, eller
  - et forslag (selection-proposal/1) fra python -m selection propose. Kortet
    viser da pr. kommune, hvor mange af de valgte a-kasser der dækker den;
    hver kommunes titel nævner dem. Frikommuner skraveres: fra --exclusions
    (standard {DEFAULT_EXCLUSIONS}) eller fra problemets
    excluded_municipalities med --problem. Dækker forslaget en frikommune, er
    det en fejl.

eksempler:
  python -m selection propose problem.json -o forslag.json
  python -m geo map forslag.json -o daekning.svg
  python -m geo map forslag.json -o daekning.png --problem problem.json

{EXIT_STATUS}"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see ``EXIT_STATUS``)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2)
        return stop.code if isinstance(stop.code, int) else 2
    try:
        handler = {"resolve": _resolve, "map": _map, "inflow": _inflow}[args.command]
        return handler(args)
    except GeoError as exc:
        sys.stderr.write(f"fejl: {exc}\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"fejl: {exc.strerror or exc}: {exc.filename or ''}\n")
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = DanishParser(
        prog="python -m geo",
        description="Kommuner, udstrækning, tilgang og kort.",
        epilog=EXIT_STATUS,
    )
    sub = parser.add_subparsers(
        title="kommandoer", metavar="KOMMANDO", dest="command", required=True
    )
    resolve = sub.add_parser(
        "resolve",
        help="udstrækning → JSON-liste med kommunekoder",
        description="Skriv udstrækningen som JSON-liste med kommunekoder; udelukkede "
        "kommuner nævnes på standardfejl.",
        epilog=EXIT_STATUS,
    )
    resolve.add_argument(
        "entries",
        nargs="+",
        metavar="ENTRY",
        help="national, region:<kode>, kommunekode eller kommunenavn",
    )
    _exclusions_option(resolve)
    draw = sub.add_parser(
        "map",
        help="tegn et kort fra en dæknings-JSON eller et forslag",
        description="Tegn et kommunekort (SVG eller PNG) fra en dæknings-JSON eller fra et\n"
        "forslag fra python -m selection propose.",
        epilog=MAP_EPILOG,
    )
    draw.add_argument(
        "coverage",
        type=Path,
        metavar="KORT.json",
        help="dæknings-JSON eller forslag (selection-proposal/1)",
    )
    draw.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FIL", help="kortfilen (.svg, .png)"
    )
    draw.add_argument(
        "--boundaries",
        type=Path,
        metavar="FIL",
        help="DAGI-grænser (GeoJSON, GeoPackage, Shapefile); standard: sekskantkort",
    )
    draw.add_argument(
        "--format",
        choices=("svg", "png"),
        default=None,
        help="standard: efter filendelsen, ellers svg",
    )
    draw.add_argument("--title", metavar="TITEL", help="kortets titel (standard: fra JSON'en)")
    frikommuner = draw.add_mutually_exclusive_group()
    _exclusions_option(frikommuner)
    frikommuner.add_argument(
        "--problem",
        type=Path,
        metavar="PROBLEM.json",
        help="tag frikommunerne fra problemets excluded_municipalities (selection-problem/1)",
    )
    inflow = sub.add_parser(
        "inflow",
        help="skriv den modellerede tilgangstabel som CSV",
        description="Skriv den modellerede tilgangstabel (a-kasse × kommune) som CSV.",
        epilog=EXIT_STATUS,
    )
    inflow.add_argument(
        "--national",
        type=float,
        default=NATIONAL_INFLOW,
        metavar="ANTAL",
        help=f"nye dagpengemodtagere om året i alt (standard: {NATIONAL_INFLOW:g})",
    )
    inflow.add_argument("-o", "--output", type=Path, required=True, metavar="FIL", help="CSV-filen")
    return parser


def _exclusions_option(parser: argparse._ActionsContainer) -> None:
    parser.add_argument(
        "--exclusions",
        default=None,
        metavar="LISTE",
        help=f"{DEFAULT_EXCLUSIONS} (standard), none eller en CSV-fil",
    )


def _resolve(args: argparse.Namespace) -> int:
    extent = resolve_extent(args.entries, resolve_exclusions(args.exclusions or DEFAULT_EXCLUSIONS))
    sys.stdout.write(json.dumps(list(extent.codes)) + "\n")
    for code, row in extent.excluded.iterrows():
        sys.stderr.write(f"udelukket: {code} {row['name']} — {row['reason']}\n")
    return 0


def _map(args: argparse.Namespace) -> int:
    data = files.read_coverage_json(args.coverage)
    excluded: Collection[str] = (
        problem_exclusions(files.read_coverage_json(args.problem))
        if args.problem
        else resolve_exclusions(args.exclusions or DEFAULT_EXCLUSIONS)
    )
    if is_proposal(data):
        values, labels, texts = _proposal_values(data, excluded)
    else:
        values, labels = _coverage_values(data)
        texts = {key: str(data.get(key, "")) for key in ("title", "legend_title", "note")}
    if args.title is not None:
        texts["title"] = args.title
    fmt = args.format or ("png" if args.output.suffix.lower() == ".png" else "svg")
    geometry = None
    if args.boundaries:
        from geo.boundaries import load_boundaries

        geometry = load_boundaries(args.boundaries)
    common: dict[str, Any] = {**texts, "geometry": geometry, "excluded": excluded, "labels": labels}
    if fmt == "png":
        args.output.write_bytes(render_map(values, fmt="png", **common))
    else:
        args.output.write_text(
            render_map(values, fmt="svg", xml_declaration=True, **common), encoding="utf-8"
        )
    return 0


def _proposal_values(
    data: dict[str, Any], excluded: Collection[str]
) -> tuple[dict[str, float | None], dict[str, str], dict[str, str]]:
    """Values, labels and texts of the coverage map of a ``selection-proposal/1``."""
    coverage = proposal_coverage(data)
    towns = municipalities()
    names = towns["name"].to_dict()
    wrong = coverage.covered_excluded(excluded)
    if wrong:
        listed = "; ".join(
            f"{names.get(code, code)} ({code}) af {', '.join(ids)}" for code, ids in wrong.items()
        )
        raise MapInputError(
            f"forslaget dækker frikommuner: {listed}. Brug det problems frikommuner, som "
            "forslaget er lavet til (--problem), eller en anden liste (--exclusions)"
        )
    texts = {"title": TITLE, "legend_title": LEGEND_TITLE, "note": coverage.note()}
    return coverage.values(towns.index), coverage.labels(), texts


def _coverage_values(coverage: dict[str, Any]) -> tuple[dict[str, float | None], dict[str, str]]:
    entries = coverage.get("municipalities")
    if not isinstance(entries, dict):
        raise MapInputError("dæknings-JSON skal have 'municipalities': {kode: {value, label}}")
    values: dict[str, float | None] = {}
    labels: dict[str, str] = {}
    for code, entry in entries.items():
        item = entry if isinstance(entry, dict) else {"value": entry}
        value = item.get("value")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise MapInputError(f"kommune {code}: værdien {value!r} er ikke et tal")
        values[str(code)] = None if value is None else float(value)
        if item.get("label"):
            labels[str(code)] = str(item["label"])
    return values, labels


def _inflow(args: argparse.Namespace) -> int:
    table = model_inflow(national_total=args.national)
    table.to_csv(args.output, index=False, float_format="%.3f", lineterminator="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
