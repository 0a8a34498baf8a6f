"""Command line of the Trin 3 optimizer.

    python -m selection propose PROBLEM.json [-o OUT.json] [--time-limit S] [--alternatives K]
                                [--solver highs|cbc] [--explanations] [--scenario KEY=VALUE ...]
    python -m selection check PROBLEM.json PROPOSAL.json
    python -m selection explain PROBLEM.json PROPOSAL.json [--fund ID] [--lang da|en]

``propose`` writes the proposal JSON to OUT.json (or standard output) and a short summary in
words to standard error. Exit status: 0 for an answer (optimal, feasible, infeasible, or a
proposal that passes ``check``), 1 when ``check`` finds a violation or mismatch, 2 for an
unreadable or invalid input (the message names the key and the fund at fault), 3 when the time
limit ran out before any selection was found (status ``error``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from selection import files
from selection import text as t
from selection.check import check
from selection.errors import SelectionError
from selection.explain import explain
from selection.problem import parse_problem
from selection.proposal import Proposal
from selection.scenario import parse_scenario
from selection.solve import propose, propose_scenario


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m selection",
        description="Trin 3: choose a representative subset of the eligible a-kasser.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("propose", help="find the best selection (selection-proposal/1)")
    p.add_argument("problem", help="selection-problem/1 JSON file")
    p.add_argument("-o", "--output", help="write the proposal here instead of standard output")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds per solver run")
    p.add_argument("--alternatives", type=int, default=0, help="number of next-best proposals")
    p.add_argument("--solver", choices=("highs", "cbc"), default="highs")
    p.add_argument("--explanations", action="store_true", help="explain every eligible fund")
    p.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="what-if change, e.g. inflow=1.3 or volume=45000 (repeatable)",
    )
    p.add_argument("--baseline-rate", type=float, help="52-week employment rate (default 0.5)")
    p.add_argument("--lang", choices=("da", "en"), default="da")
    c = commands.add_parser("check", help="recompute and verify a proposal independently")
    c.add_argument("problem")
    c.add_argument("proposal")
    c.add_argument("--lang", choices=("da", "en"), default="da")
    e = commands.add_parser("explain", help="why each eligible fund is in or out")
    e.add_argument("problem")
    e.add_argument("proposal")
    e.add_argument("--fund", help="only this fund")
    e.add_argument("--time-limit", type=float, default=10.0, help="seconds per solver run")
    e.add_argument("--lang", choices=("da", "en"), default="da")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {"propose": _propose, "check": _check, "explain": _explain}
    try:
        return commands[args.command](args)
    except SelectionError as error:
        label = t.pick(args.lang, "fejl", "error")
        print(f"{label}: {error.text(args.lang)}", file=sys.stderr)
        return 2


def _propose(args: argparse.Namespace) -> int:
    problem = parse_problem(files.read_problem_json(args.problem))
    options = {
        "time_limit": args.time_limit,
        "solver": args.solver,
        "alternatives": args.alternatives,
        "explanations": args.explanations,
        "baseline": args.baseline_rate,
    }
    if args.scenario:
        changes = parse_scenario(args.scenario)
        proposal = propose_scenario(problem, changes, lang=args.lang, **options)
    else:
        proposal = propose(problem, lang=args.lang, **options)
    data = proposal.to_json()
    if args.output:
        files.write_json(args.output, data)
    else:
        sys.stdout.write(files.dumps(data))
    for line in summary(proposal, args.lang):
        print(line, file=sys.stderr)
    return 3 if proposal.status == "error" else 0


def summary(proposal: Proposal, lang: str) -> list[str]:
    """A few lines in words about a proposal, for the terminal."""
    extensions = proposal.extensions or {}
    if proposal.status in ("infeasible", "error"):
        head = t.pick(lang, "Ingen mulig udvælgelse.", "No possible selection.")
        if proposal.status == "error":
            head = t.pick(
                lang,
                "Ingen udvælgelse fundet inden for tidsgrænsen; prøv en længere --time-limit.",
                "No selection found within the time limit; try a longer --time-limit.",
            )
        lines = [head, *(proposal.infeasibility or ())]
        if "scenario" in extensions:
            lines += extensions["scenario"].lines(lang)
        return lines
    status = {
        "optimal": t.pick(lang, "Bevist optimal", "Proven optimal"),
        "feasible": t.pick(lang, "Gyldig, ikke bevist optimal", "Valid, not proven optimal"),
    }[proposal.status]
    if proposal.status == "feasible":
        status += f" (gap {t.percent(proposal.gap or 0.0, lang, 3)})"
    lines = [
        t.pick(
            lang,
            f"{status}: {', '.join(proposal.selected_ids)}; "
            f"{t.number(proposal.volume or 0)} forløb om året "
            f"({t.percent(proposal.share_of_national_inflow or 0)} af tilgangen); "
            f"samlet afvigelse {t.decimal(proposal.objective or 0)}.",
            f"{status}: {', '.join(proposal.selected_ids)}; "
            f"{t.number(proposal.volume or 0, 'en')} courses a year "
            f"({t.percent(proposal.share_of_national_inflow or 0, 'en')} of the inflow); "
            f"total deviation {t.decimal(proposal.objective or 0, 'en')}.",
        )
    ]
    if "scenario" in extensions:
        lines += extensions["scenario"].lines(lang)
    for alternative in extensions.get("alternatives", []):
        lines.append(alternative.text(lang))
    return lines


def _check(args: argparse.Namespace) -> int:
    problem = parse_problem(files.read_problem_json(args.problem))
    proposal = files.read_proposal_json(args.proposal)
    found = check(problem, proposal, args.lang)
    for line in found:
        print(line)
    if not found:
        print(
            t.pick(
                args.lang,
                "OK: forslaget overholder alle krav, og alle tal stemmer.",
                "OK: the proposal meets every constraint and every figure is right.",
            )
        )
    return 1 if found else 0


def _explain(args: argparse.Namespace) -> int:
    problem = parse_problem(files.read_problem_json(args.problem))
    proposal = files.read_proposal_json(args.proposal)
    for explanation in explain(problem, proposal, args.fund, args.lang, time_limit=args.time_limit):
        print(explanation.text(args.lang))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
