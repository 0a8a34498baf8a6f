"""Command line: ``python -m selection propose|check|explain``.

Exit status: 0 for an answer (optimal, feasible or infeasible; a proposal that passes ``check``),
1 when ``check`` finds a violation or mismatch, 2 for unreadable or invalid input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from selection import io
from selection.check import check
from selection.errors import SelectionError
from selection.problem import parse_problem
from selection.solve import propose


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m selection", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("propose", help="find the best selection (selection-proposal/1)")
    p.add_argument("problem", help="selection-problem/1 JSON file")
    p.add_argument("-o", "--output", help="write the proposal here instead of standard output")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds per solver run")
    p.add_argument("--alternatives", type=int, default=0, help="number of next-best proposals")
    p.add_argument("--solver", choices=("highs", "cbc"), default="highs")
    p.add_argument("--lang", choices=("da", "en"), default="da")
    c = commands.add_parser("check", help="recompute and verify a proposal independently")
    c.add_argument("problem")
    c.add_argument("proposal")
    c.add_argument("--lang", choices=("da", "en"), default="da")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lang = getattr(args, "lang", "da")
    try:
        if args.command == "propose":
            return _propose(args)
        return _check(args)
    except SelectionError as error:
        label = "fejl" if lang == "da" else "error"
        print(f"{label}: {error.text(lang)}", file=sys.stderr)
        return 2


def _propose(args: argparse.Namespace) -> int:
    problem = parse_problem(io.read_problem_json(args.problem))
    proposal = propose(
        problem,
        time_limit=args.time_limit,
        solver=args.solver,
        alternatives=args.alternatives,
        lang=args.lang,
    )
    data = proposal.to_json()
    if args.output:
        io.write_json(args.output, data)
    else:
        sys.stdout.write(io.dumps(data))
    return 0


def _check(args: argparse.Namespace) -> int:
    problem = parse_problem(io.read_problem_json(args.problem))
    proposal = io.read_proposal_json(args.proposal)
    problems = check(problem, proposal, args.lang)
    for line in problems:
        print(line)
    if not problems:
        print(
            "OK: forslaget overholder alle krav, og alle tal stemmer."
            if args.lang == "da"
            else "OK: the proposal meets every constraint and every figure is right."
        )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
