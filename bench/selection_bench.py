"""Benchmark of the Trin 3 optimizer against the naive canonical formulation, in one run.

    .venv/bin/python bench/selection_bench.py [--instances 5] [--scale-instances 3] [--quick]

Instances come from ``selection.generate`` with the 98 municipalities (code, name, region,
population) read from ``../shared/data/municipalities.csv`` (or, without it, from the
municipalities of ``../shared/examples/dk-example.json`` with equal populations) and the 2019
frikommuner. Seeds are taken in order and infeasible instances skipped, so each row compares the
same feasible instances. Rows:

* ``fund``, ``region``, ``municipality``: 24 a-kasser × 98 municipalities (Danish size)
* ``scale``: 200 a-kasser at ``region``

``fund`` and ``region`` (and ``scale``) are solved to proven optimality (gap ≤ 1e-6) by both
formulations (the ``fund`` row draws fewer national extents: at ``fund`` granularity a national
a-kasse breaks the comparison-group rule); ``municipality`` to a relative gap ≤ 0.1% (both get
the same gap target and a time limit). Times are wall-clock seconds including building the
model; the ratio is naive / optimized (higher is better for the optimized formulation).
Finally 5 alternatives plus explanations for every eligible a-kasse at ``region`` are timed on
the Danish example.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selection import files  # noqa: E402
from selection.engine import QuietHiGHS, relative_gap, solve_problem  # noqa: E402
from selection.generate import MunicipalityRow, generate, municipalities_from_rows  # noqa: E402
from selection.naive import build_naive  # noqa: E402
from selection.problem import Problem, parse_problem  # noqa: E402
from selection.solve import propose  # noqa: E402

SHARED = ROOT.parent / "shared"
MUNICIPALITIES_CSV = SHARED / "data" / "municipalities.csv"
FRIKOMMUNER_CSV = SHARED / "data" / "frikommuner-2019.csv"
EXAMPLE = SHARED / "examples" / "dk-example.json"
PROVEN = 1e-6
MUNICIPALITY_GAP = 1e-3


@dataclass
class Row:
    name: str
    gap_target: float
    time_limit: float
    optimized: list[float] = field(default_factory=list)
    naive: list[float] = field(default_factory=list)
    optimized_gaps: list[float] = field(default_factory=list)
    naive_gaps: list[float] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)

    def ratio(self) -> float:
        return statistics.median(self.naive) / statistics.median(self.optimized)

    def line(self) -> str:
        opt, nai = statistics.median(self.optimized), statistics.median(self.naive)
        per = [n / o for n, o in zip(self.naive, self.optimized, strict=True)]
        return (
            f"| {self.name:<13} | {len(self.seeds):>2} | {opt:8.3f} | {max(self.optimized):8.3f} | "
            f"{max(self.optimized_gaps):8.1e} | {nai:8.3f} | {max(self.naive_gaps):8.1e} | "
            f"{self.ratio():6.2f} | {min(per):5.2f}–{max(per):5.2f} |"
        )


def municipalities() -> tuple[list[MunicipalityRow], list[str]]:
    if MUNICIPALITIES_CSV.exists():
        rows = municipalities_from_rows(files.read_csv_rows(MUNICIPALITIES_CSV))
    else:
        data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        rows = [
            MunicipalityRow(code, m["name"], m["region"], 1.0)
            for code, m in sorted(data["municipalities"].items())
        ]
    excluded: list[str] = []
    if FRIKOMMUNER_CSV.exists():
        excluded = [r["code"].zfill(3) for r in files.read_csv_rows(FRIKOMMUNER_CSV)]
    return rows, excluded


def optimized(problem: Problem, time_limit: float, gap: float) -> tuple[float, float, bool]:
    started = time.perf_counter()
    proposal = propose(problem, time_limit=time_limit, gap=gap)
    seconds = time.perf_counter() - started
    ok = proposal.status in ("optimal", "feasible")
    return seconds, proposal.gap if proposal.gap is not None else float("inf"), ok


def naive(problem: Problem, time_limit: float, gap: float) -> tuple[float, float, bool]:
    started = time.perf_counter()
    prob, _ = build_naive(problem)
    solver_gap = 5e-7 if gap <= PROVEN else gap
    prob.solve(QuietHiGHS(msg=False, timeLimit=time_limit, gapRel=solver_gap, gapAbs=1e-10))
    seconds = time.perf_counter() - started
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return seconds, float("inf"), False
    bound = float(prob.solverModel.getInfo().mip_dual_bound)
    return seconds, relative_gap(float(pulp.value(prob.objective)), bound), True


def measure(
    row: Row, make: Callable[[int], Problem], count: int, log: Callable[[str], None]
) -> Row:
    seed = 0
    while len(row.seeds) < count and seed < 500:
        seed += 1
        problem = make(seed)
        _, outcome = solve_problem(problem, time_limit=row.time_limit, gap=row.gap_target)
        if outcome.status not in ("optimal", "feasible"):
            continue  # infeasible (or nothing found in time): not a benchmark instance
        seconds, gap, _ = optimized(problem, row.time_limit, row.gap_target)
        naive_seconds, naive_gap, _ = naive(problem, 3 * row.time_limit, row.gap_target)
        row.seeds.append(seed)
        row.optimized.append(seconds)
        row.optimized_gaps.append(gap)
        row.naive.append(naive_seconds)
        row.naive_gaps.append(naive_gap)
        log(
            f"  {row.name} seed {seed}: optimized {seconds:.3f}s gap {gap:.1e}; "
            f"naive {naive_seconds:.3f}s gap {naive_gap:.1e}"
        )
    return row


def extras_time() -> dict[str, Any]:
    """5 alternatives and an explanation for every eligible fund, Danish example at region."""
    problem = parse_problem(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    started = time.perf_counter()
    proposal = propose(problem, time_limit=30, alternatives=5, explanations=True)
    seconds = time.perf_counter() - started
    extensions = proposal.extensions or {}
    return {
        "seconds": seconds,
        "status": proposal.status,
        "alternatives": len(extensions.get("alternatives", [])),
        "explanations": len(extensions.get("explanations", [])),
        "eligible": sum(1 for f in problem.funds if f.eligible),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=5)
    parser.add_argument("--scale-instances", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 instances, no scale row")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    count = 2 if args.quick else args.instances
    scale_count = 0 if args.quick else args.scale_instances
    rows_data, excluded = municipalities()

    def maker(funds: int, granularity: str, national: float = 0.5) -> Callable[[int], Problem]:
        def make(seed: int) -> Problem:
            data = generate(
                seed,
                rows_data,
                funds=funds,
                granularity=granularity,
                excluded=excluded,
                national_share=national,
            )
            return parse_problem(data)

        return make

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    rows = [
        # A national a-kasse covering its whole extent keeps only its frikommune members as a
        # comparison group (the 2019 lesson) and breaks the comparison rule at `fund`
        # granularity, so that row draws fewer national extents.
        measure(Row("fund", PROVEN, 30), maker(24, "fund", 0.2), count, log),
        measure(Row("region", PROVEN, 30), maker(24, "region"), count, log),
        measure(Row("municipality", MUNICIPALITY_GAP, 10), maker(24, "municipality"), count, log),
    ]
    if scale_count:
        rows.append(measure(Row("scale 200", PROVEN, 60), maker(200, "region"), scale_count, log))
    extras = extras_time() if EXAMPLE.exists() else None
    report(rows, extras)
    if args.json:
        payload = {"rows": [vars(r) for r in rows], "extras": extras}
        Path(args.json).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


def report(rows: list[Row], extras: dict[str, Any] | None) -> None:
    print(
        "| instances     |  n | opt med  | opt max  | opt gap  | naive med | naive gap | "
        "ratio  | per instance |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row.line())
    if extras is not None:
        print(
            f"\nalternatives + explanations (Danish example, region): {extras['seconds']:.2f} s "
            f"for {extras['alternatives']} alternatives and {extras['explanations']} explanations "
            f"({extras['eligible']} eligible a-kasser), status {extras['status']}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
