"""Command line: ``python -m geo resolve|map|inflow`` (also ``forsoeg-geo``).

Errors are printed to stderr in Danish, prefixed ``fejl:``, with exit status 1 (2 for usage
errors, from argparse).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from geo import files
from geo.errors import GeoError, MapInputError
from geo.extents import resolve_extent
from geo.inflow import NATIONAL_INFLOW, model_inflow
from geo.maps import render_map
from geo.reference import DEFAULT_EXCLUSIONS, resolve_exclusions


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
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
    parser = argparse.ArgumentParser(
        prog="python -m geo", description="Kommuner, udstrækning, tilgang og kort."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    resolve = sub.add_parser("resolve", help="udstrækning → JSON-liste med kommunekoder")
    resolve.add_argument(
        "entries",
        nargs="+",
        metavar="ENTRY",
        help="national, region:<kode>, kommunekode eller kommunenavn",
    )
    _exclusions_option(resolve)
    draw = sub.add_parser("map", help="tegn et kort fra en dæknings-JSON")
    draw.add_argument("coverage", type=Path, metavar="COVERAGE.json")
    draw.add_argument("-o", "--output", type=Path, required=True)
    draw.add_argument(
        "--boundaries", type=Path, help="DAGI-grænser (GeoJSON, GeoPackage, Shapefile)"
    )
    draw.add_argument(
        "--format",
        choices=("svg", "png"),
        default=None,
        help="standard: efter filendelsen, ellers svg",
    )
    _exclusions_option(draw)
    inflow = sub.add_parser("inflow", help="skriv den modellerede tilgangstabel som CSV")
    inflow.add_argument("--national", type=float, default=NATIONAL_INFLOW)
    inflow.add_argument("-o", "--output", type=Path, required=True)
    return parser


def _exclusions_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--exclusions",
        default=DEFAULT_EXCLUSIONS,
        help="frikommuner-2019 (standard), none eller en CSV-fil",
    )


def _resolve(args: argparse.Namespace) -> int:
    extent = resolve_extent(args.entries, resolve_exclusions(args.exclusions))
    sys.stdout.write(json.dumps(list(extent.codes)) + "\n")
    for code, row in extent.excluded.iterrows():
        sys.stderr.write(f"udelukket: {code} {row['name']} — {row['reason']}\n")
    return 0


def _map(args: argparse.Namespace) -> int:
    coverage = files.read_coverage_json(args.coverage)
    values, labels = _coverage_values(coverage)
    fmt = args.format or ("png" if args.output.suffix.lower() == ".png" else "svg")
    geometry = None
    if args.boundaries:
        from geo.boundaries import load_boundaries

        geometry = load_boundaries(args.boundaries)
    common: dict[str, Any] = {
        "title": str(coverage.get("title", "")),
        "legend_title": str(coverage.get("legend_title", "")),
        "note": str(coverage.get("note", "")),
        "geometry": geometry,
        "excluded": resolve_exclusions(args.exclusions),
        "labels": labels,
    }
    if fmt == "png":
        args.output.write_bytes(render_map(values, fmt="png", **common))
    else:
        args.output.write_text(
            render_map(values, fmt="svg", xml_declaration=True, **common), encoding="utf-8"
        )
    return 0


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
