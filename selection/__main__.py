"""Command line of the Trin 3 optimizer.

    python -m selection propose PROBLEM.json [-o OUT.json] [--time-limit S] [--alternatives K]
                                [--solver highs|cbc] [--explanations] [--scenario KEY=VALUE ...]
    python -m selection check PROBLEM.json PROPOSAL.json
    python -m selection explain PROBLEM.json PROPOSAL.json [--fund ID] [--lang da|en]

``propose`` writes the proposal JSON to OUT.json (or standard output) and a short summary in
words to standard error. Help, usage errors and messages are Danish; ``--lang en`` anywhere on
the line switches all of them to English. The exit statuses are the ``EXIT_*`` constants below,
documented in ``--help`` (``EXIT_STATUS``) and in docs/selection.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from selection import files
from selection import text as t
from selection.check import check
from selection.cli_parser import Parser, language_in, number_type
from selection.errors import SelectionError, SolverError
from selection.explain import explain
from selection.problem import parse_problem
from selection.proposal import Proposal
from selection.scenario import parse_scenario
from selection.solve import propose, propose_scenario

EXIT_OK = 0
"""An answer: an optimal or feasible selection, a proposal that passes ``check``, explanations."""
EXIT_INPUT = 1
"""An unreadable or invalid input file (the message names the file, key, fund and value)."""
EXIT_USAGE = 2
"""Wrong use of the command line (argparse's status)."""
EXIT_INFEASIBLE = 3
"""No selection meets the constraints; the diagnosis is on stderr and in the JSON."""
EXIT_NO_ANSWER = 4
"""The time limit ran out before any selection was found (status ``error``) or the solver failed."""
EXIT_CHECK_FAILED = 5
"""``check`` found a violated constraint or a misreported figure."""

EXIT_STATUS = {
    "da": f"""\
afslutningsstatus:
  {EXIT_OK}  et svar: optimal eller gyldig udvælgelse (propose), forslaget holder
     (check), forklaringerne er skrevet (explain)
  {EXIT_INPUT}  ugyldigt eller ulæseligt input; fejlen på standardfejl nævner fil,
     nøgle, a-kasse og værdi
  {EXIT_USAGE}  forkert brug af kommandoen (ukendt tilvalg, manglende argument,
     ugyldigt valg)
  {EXIT_INFEASIBLE}  ingen mulig udvælgelse (status infeasible); forslaget skrives som
     ellers, og diagnosen med tallene står på standardfejl og i JSON'ens
     infeasibility
  {EXIT_NO_ANSWER}  ingen udvælgelse inden for tidsgrænsen (status error), eller solveren
     fejlede
  {EXIT_CHECK_FAILED}  check: forslaget overtræder et krav, eller et af dets tal er forkert
     (listet på standard-output)""",
    "en": f"""\
exit status:
  {EXIT_OK}  an answer: an optimal or feasible selection (propose), the proposal
     holds (check), the explanations are written (explain)
  {EXIT_INPUT}  invalid or unreadable input; the message on stderr names the file,
     key, fund and value
  {EXIT_USAGE}  wrong use of the command (unknown option, missing argument,
     invalid choice)
  {EXIT_INFEASIBLE}  no possible selection (status infeasible); the proposal is written
     as usual, and the diagnosis with its numbers is on stderr and in the
     JSON's infeasibility
  {EXIT_NO_ANSWER}  no selection within the time limit (status error), or the solver
     failed
  {EXIT_CHECK_FAILED}  check: the proposal violates a constraint or misreports a figure
     (listed on standard output)""",
}


def build_parser(lang: str = "da") -> argparse.ArgumentParser:
    """The command line parser; its help and usage errors are in ``lang``."""
    t.check_lang(lang)
    parser = Parser(
        prog="python -m selection",
        lang=lang,
        description=t.pick(
            lang,
            "Trin 3: vælg en repræsentativ delmængde af de egnede a-kasser.",
            "Trin 3: choose a representative subset of the eligible a-kasser.",
        ),
        epilog=EXIT_STATUS[lang],
    )
    commands = parser.add_subparsers(
        title=parser.text("kommandoer", "commands"),
        metavar=parser.text("KOMMANDO", "COMMAND"),
        dest="command",
        required=True,
    )

    p = _command(
        commands,
        lang,
        "propose",
        ("find den bedste udvælgelse (selection-proposal/1)", "find the best selection"),
        (
            "Find den bedste udvælgelse. Forslaget (selection-proposal/1) skrives på\n"
            "standard-output eller i -o FIL, et resumé i ord på standardfejl.",
            "Find the best selection. The proposal (selection-proposal/1) goes to standard\n"
            "output or to -o FILE, a summary in words to standard error.",
        ),
    )
    _files_arguments(p, proposal=False)
    p.add_argument(
        "-o",
        "--output",
        metavar=p.text("FIL", "FILE"),
        help=p.text(
            "skriv forslaget her i stedet for på standard-output",
            "write the proposal here instead of standard output",
        ),
    )
    _time_limit(p, 30.0)
    p.add_argument(
        "--alternatives",
        type=number_type(lang, integer=True),
        default=0,
        metavar="K",
        help=p.text(
            "antal næstbedste forslag (standard: 0)", "number of next-best proposals (default: 0)"
        ),
    )
    p.add_argument(
        "--solver",
        choices=("highs", "cbc"),
        default="highs",
        help=p.text("solveren (standard: highs)", "the solver (default: highs)"),
    )
    p.add_argument(
        "--explanations",
        action="store_true",
        help=p.text(
            "forklar for hver egnet a-kasse, hvorfor den er med eller ej",
            "explain for every eligible fund why it is in or out",
        ),
    )
    p.add_argument(
        "--scenario",
        action="append",
        default=[],
        type=_scenario_type(lang),
        metavar=p.text("NØGLE=VÆRDI", "KEY=VALUE"),
        help=p.text(
            "hvad-nu-hvis-ændring, fx inflow=1.3 eller volume=45000 (kan gentages)",
            "what-if change, e.g. inflow=1.3 or volume=45000 (repeatable)",
        ),
    )
    p.add_argument(
        "--baseline-rate",
        type=number_type(lang, strict=True),
        metavar=p.text("ANDEL", "RATE"),
        help=p.text(
            "andelen i beskæftigelse efter 52 uger uden indsats (standard: 0.5)",
            "52-week employment rate without the initiative (default: 0.5)",
        ),
    )
    _lang_argument(p)
    c = _command(
        commands,
        lang,
        "check",
        (
            "genberegn og efterprøv et forslag uafhængigt",
            "recompute and verify a proposal independently",
        ),
        (
            "Genberegn forslagets tal ud fra problemet alene, og efterprøv hvert krav.\n"
            "Fundne fejl listes på standard-output.",
            "Recompute the proposal's figures from the problem alone and verify every\n"
            "constraint. What is wrong is listed on standard output.",
        ),
    )
    _files_arguments(c, proposal=True)
    _lang_argument(c)
    e = _command(
        commands,
        lang,
        "explain",
        ("hvorfor hver egnet a-kasse er med eller ej", "why each eligible fund is in or out"),
        (
            "Forklar for hver egnet a-kasse, hvorfor den er med i forslaget eller ej.",
            "Explain for every eligible fund why it is in the proposal or not.",
        ),
    )
    _files_arguments(e, proposal=True)
    e.add_argument("--fund", metavar="ID", help=e.text("kun denne a-kasse", "only this fund"))
    _time_limit(e, 10.0)
    _lang_argument(e)
    return parser


def _command(
    commands: argparse._SubParsersAction[Parser],
    lang: str,
    name: str,
    summary: tuple[str, str],
    description: tuple[str, str],
) -> Parser:
    """A subcommand parser in ``lang``; ``summary`` is its line in the list of commands, both
    texts as (Danish, English)."""
    sub: Parser = commands.add_parser(
        name,
        lang=lang,
        help=t.pick(lang, *summary),
        description=t.pick(lang, *description),
        epilog=EXIT_STATUS[lang],
    )
    return sub


def _files_arguments(sub: Parser, *, proposal: bool) -> None:
    sub.add_argument(
        "problem",
        metavar="PROBLEM.json",
        help=sub.text("problemet (selection-problem/1)", "the problem (selection-problem/1)"),
    )
    if proposal:
        sub.add_argument(
            "proposal",
            metavar=sub.text("FORSLAG.json", "PROPOSAL.json"),
            help=sub.text(
                "forslaget (selection-proposal/1)", "the proposal (selection-proposal/1)"
            ),
        )


def _lang_argument(sub: Parser) -> None:
    sub.add_argument(
        "--lang",
        choices=t.LANGS,
        default="da",
        help=sub.text(
            "sprog for tekster, hjælp og fejl (standard: da)",
            "language of texts, help and errors (default: da)",
        ),
    )


def _scenario_type(lang: str) -> Callable[[str], str]:
    """Reject a malformed ``--scenario`` while parsing, so it is a usage error (status 2)."""

    def convert(raw: str) -> str:
        try:
            parse_scenario([raw])
        except SelectionError as error:
            raise argparse.ArgumentTypeError(error.text(lang)) from error
        return raw

    return convert


def _time_limit(sub: Parser, default: float) -> None:
    sub.add_argument(
        "--time-limit",
        type=number_type(sub.lang, strict=True),
        default=default,
        metavar=sub.text("SEK", "SECONDS"),
        help=sub.text(
            f"sekunder pr. solverkørsel (standard: {default:g})",
            f"seconds per solver run (default: {default:g})",
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see ``EXIT_STATUS``)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(language_in(arguments)).parse_args(arguments)
    except SystemExit as stop:  # --help (0) or a usage error (2)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    commands = {"propose": _propose, "check": _check, "explain": _explain}
    try:
        return commands[args.command](args)
    except SelectionError as error:
        label = t.pick(args.lang, "fejl", "error")
        print(f"{label}: {error.text(args.lang)}", file=sys.stderr)
        return EXIT_NO_ANSWER if isinstance(error, SolverError) else EXIT_INPUT


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
    return {"infeasible": EXIT_INFEASIBLE, "error": EXIT_NO_ANSWER}.get(proposal.status, EXIT_OK)


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
    return EXIT_CHECK_FAILED if found else EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    problem = parse_problem(files.read_problem_json(args.problem))
    proposal = files.read_proposal_json(args.proposal)
    for explanation in explain(problem, proposal, args.fund, args.lang, time_limit=args.time_limit):
        print(explanation.text(args.lang))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
