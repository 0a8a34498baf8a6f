"""An independent check of a proposal against its problem.

Written apart from the model and from ``selection.figures`` on purpose: plain Python arithmetic
over the problem, so a bug in the optimizer's formulation or bookkeeping shows up as a
disagreement here. ``check`` returns every violation and mismatch it finds (empty list: the
proposal is valid and its figures are right).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selection.problem import Problem
from selection.text import number, percent, pick

STATUSES = ("optimal", "feasible", "infeasible", "error")
RELATIVE = 1e-6
GAP_OPTIMAL = 1e-6


def check(problem: Problem, proposal: Mapping[str, Any], lang: str = "da") -> list[str]:
    """Every violated constraint and every misreported figure of ``proposal``."""
    notes = _Notes(lang)
    if proposal.get("schema") != "selection-proposal/1":
        notes.add("schema er ikke 'selection-proposal/1'", "schema is not 'selection-proposal/1'")
    status = proposal.get("status")
    if status not in STATUSES:
        notes.add(f"ukendt status {status!r}", f"unknown status {status!r}")
        return notes.items
    chosen = _read_selected(problem, proposal.get("selected"), notes)
    _check_names(problem, proposal.get("selected"), notes)
    if status in ("infeasible", "error"):
        _check_without_selection(proposal, chosen, status, notes)
        return notes.items
    if chosen is not None:
        _check_selection(problem, proposal, chosen, notes)
    return notes.items


class _Notes:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.items: list[str] = []

    def add(self, da: str, en: str) -> None:
        self.items.append(pick(self.lang, da, en))


def _da(value: float) -> str:
    return number(value, "da", 0 if abs(value) >= 100 else 2)


def _en(value: float) -> str:
    return number(value, "en", 0 if abs(value) >= 100 else 2)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= RELATIVE * max(1.0, abs(a), abs(b))


def _at_most(value: float, limit: float) -> bool:
    return value <= limit + RELATIVE * max(1.0, abs(limit))


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _read_selected(
    problem: Problem, raw: Any, notes: _Notes
) -> dict[str, tuple[list[str], float | None]] | None:
    """id -> (municipalities, reported treated volume), or None when unreadable."""
    if not isinstance(raw, list):
        notes.add("selected er ikke en liste", "selected is not a list")
        return None
    known = {fund.id for fund in problem.funds}
    result: dict[str, tuple[list[str], float | None]] = {}
    for entry in raw:
        fund_id = entry.get("id") if isinstance(entry, Mapping) else None
        codes = entry.get("municipalities") if isinstance(entry, Mapping) else None
        if fund_id not in known or not isinstance(codes, list):
            notes.add(
                f"ulæselig eller ukendt a-kasse i selected: {entry!r}",
                f"unreadable or unknown fund in selected: {entry!r}",
            )
            continue
        if fund_id in result:
            notes.add(f"{fund_id} er valgt mere end én gang", f"{fund_id} is chosen more than once")
        result[str(fund_id)] = ([str(c) for c in codes], _number(entry.get("treated_volume")))
    return result


def _check_names(problem: Problem, raw: Any, notes: _Notes) -> None:
    """``selected[].municipality_names`` is optional; when present it must name exactly the
    entry's municipalities, as the problem does."""
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, Mapping) or "municipality_names" not in entry:
            continue
        fund_id, codes, names = (
            entry.get("id"),
            entry.get("municipalities"),
            entry["municipality_names"],
        )
        if not isinstance(codes, list):
            continue
        if not isinstance(names, Mapping) or set(names) != {str(c) for c in codes}:
            notes.add(
                f"{fund_id}: municipality_names skal have netop a-kassens kommuner som nøgler",
                f"{fund_id}: municipality_names must name exactly the fund's municipalities",
            )
            continue
        for code, name in sorted(names.items()):
            known = problem.municipalities.get(code)
            if known is not None and name != known.name:
                notes.add(
                    f"{fund_id}: kommune {code} hedder {known.name!r}, ikke {name!r}",
                    f"{fund_id}: municipality {code} is called {known.name!r}, not {name!r}",
                )


def _check_without_selection(
    proposal: Mapping[str, Any],
    chosen: Mapping[str, Any] | None,
    status: str,
    notes: _Notes,
) -> None:
    if chosen:
        notes.add(
            f"status {status} må ikke have valgte a-kasser",
            f"status {status} must not select funds",
        )
    reasons = proposal.get("infeasibility")
    if status == "infeasible" and (not isinstance(reasons, list) or not reasons):
        notes.add(
            "status infeasible uden forklaring i infeasibility",
            "status infeasible without an explanation in infeasibility",
        )


# --- a proposal with a selection --------------------------------------------------------------


def _check_selection(
    problem: Problem,
    proposal: Mapping[str, Any],
    chosen: Mapping[str, tuple[list[str], float | None]],
    notes: _Notes,
) -> None:
    phi = problem.targets.treated_fraction
    treated: dict[str, float] = {}
    for fund_id, (codes, reported) in sorted(chosen.items()):
        _check_fund_rules(problem, fund_id, codes, notes)
        fund = problem.fund(fund_id)
        treated[fund_id] = phi * sum(fund.inflow.get(c, 0.0) for c in set(codes))
        if reported is None or not _close(reported, treated[fund_id]):
            notes.add(
                f"{fund_id}: treated_volume er {reported}, men giver {treated[fund_id]:.6f}",
                f"{fund_id}: treated_volume is {reported} but comes to {treated[fund_id]:.6f}",
            )
    volume = sum(treated.values())
    _check_locks_and_count(problem, chosen, notes)
    _check_volume(problem, proposal, volume, notes)
    _check_per_fund_limits(problem, treated, volume, notes)
    by_category = _category_volumes(problem, chosen)
    _check_max_treated_share(problem, by_category, notes)
    _check_objective(problem, proposal, by_category, volume, notes)


def _own_extent(problem: Problem, fund_id: str) -> set[str]:
    fund = problem.fund(fund_id)
    codes: set[str] = set()
    for entry in fund.extent:
        if entry == "national":
            codes |= set(problem.municipalities)
        elif entry.startswith("region:"):
            region = entry[len("region:") :]
            codes |= {c for c, m in problem.municipalities.items() if m.region == region}
        else:
            codes.add(entry)
    return codes - set(problem.excluded)


def _check_fund_rules(problem: Problem, fund_id: str, codes: list[str], notes: _Notes) -> None:
    fund = problem.fund(fund_id)
    extent = _own_extent(problem, fund_id)
    if not fund.eligible:
        notes.add(f"{fund_id} er ikke støtteberettiget", f"{fund_id} is not eligible")
    if not codes:
        notes.add(f"{fund_id} dækker ingen kommune", f"{fund_id} covers no municipality")
    if len(set(codes)) != len(codes):
        notes.add(f"{fund_id}: en kommune står flere gange", f"{fund_id}: a municipality repeats")
    excluded = sorted(set(codes) & set(problem.excluded))
    if excluded:
        notes.add(
            f"{fund_id} dækker frikommune(r) {', '.join(excluded)}",
            f"{fund_id} covers excluded municipalities {', '.join(excluded)}",
        )
    outside = sorted(set(codes) - extent - set(problem.excluded))
    if outside:
        notes.add(
            f"{fund_id} dækker kommuner uden for sin udstrækning: {', '.join(outside)}",
            f"{fund_id} covers municipalities outside its extent: {', '.join(outside)}",
        )
    _check_granularity(problem, fund_id, set(codes) & extent, extent, notes)


def _check_granularity(
    problem: Problem, fund_id: str, covered: set[str], extent: set[str], notes: _Notes
) -> None:
    if problem.granularity == "fund" and covered != extent:
        notes.add(
            f"{fund_id} skal dække hele sin udstrækning (granularity fund)",
            f"{fund_id} must cover its whole extent (granularity fund)",
        )
    if problem.granularity == "region":
        regions = {problem.municipalities[c].region for c in covered}
        whole = {c for c in extent if problem.municipalities[c].region in regions}
        if whole != covered:
            notes.add(
                f"{fund_id} skal dække hele regioner af sin udstrækning (granularity region)",
                f"{fund_id} must cover whole regions of its extent (granularity region)",
            )


def _check_locks_and_count(problem: Problem, chosen: Mapping[str, Any], notes: _Notes) -> None:
    for fund_id in sorted(problem.locks_include - set(chosen)):
        notes.add(f"{fund_id} er låst ind men ikke valgt", f"{fund_id} is locked in but not chosen")
    for fund_id in sorted(problem.locks_exclude & set(chosen)):
        notes.add(f"{fund_id} er låst ude men valgt", f"{fund_id} is locked out but chosen")
    count, targets = len(chosen), problem.targets
    if not targets.funds_min <= count <= targets.funds_max:
        notes.add(
            f"{count} a-kasser valgt; skal være mellem {targets.funds_min} og {targets.funds_max}",
            f"{count} funds chosen; must be between {targets.funds_min} and {targets.funds_max}",
        )


def _check_volume(
    problem: Problem, proposal: Mapping[str, Any], volume: float, notes: _Notes
) -> None:
    t, n = problem.targets, problem.national_inflow
    low = max((1 - t.volume_tolerance) * t.volume, t.min_share * n)
    high = min((1 + t.volume_tolerance) * t.volume, t.max_share * n)
    if not _at_most(low, volume):
        notes.add(
            f"volumen på {_da(volume)} forløb er under kravet om mindst {_da(low)}",
            f"the volume of {_en(volume)} courses is below the required {_en(low)}",
        )
    if not _at_most(volume, high):
        notes.add(
            f"volumen på {_da(volume)} forløb er over loftet på {_da(high)}",
            f"the volume of {_en(volume)} courses is above the cap of {_en(high)}",
        )
    for key, value in (("volume", volume), ("share_of_national_inflow", volume / n)):
        reported = _number(proposal.get(key))
        if reported is None or not _close(reported, value):
            notes.add(
                f"{key} er {proposal.get(key)}, men giver {value:.6f}",
                f"{key} is {proposal.get(key)} but comes to {value:.6f}",
            )


def _check_per_fund_limits(
    problem: Problem, treated: Mapping[str, float], volume: float, notes: _Notes
) -> None:
    t = problem.targets
    for fund_id, amount in sorted(treated.items()):
        fund = problem.fund(fund_id)
        if fund.capacity is not None and not _at_most(amount, fund.capacity):
            notes.add(
                f"{fund_id}: {_da(amount)} forløb er over kapaciteten på {_da(fund.capacity)}",
                f"{fund_id}: {_en(amount)} courses exceed the capacity of {_en(fund.capacity)}",
            )
        total = sum(fund.inflow.values())
        if not _at_most(amount, (1 - t.min_comparison_share) * total):
            notes.add(
                f"{fund_id}: for lille sammenligningsgruppe ({_da(total - amount)} af "
                f"{_da(total)})",
                f"{fund_id}: comparison group too small ({_en(total - amount)} of {_en(total)})",
            )
        if not _at_most(amount, t.max_fund_share * volume):
            notes.add(
                f"{fund_id}: bærer mere end {percent(t.max_fund_share)} af volumen",
                f"{fund_id}: carries more than {percent(t.max_fund_share, 'en')} of the volume",
            )


def _category_volumes(
    problem: Problem, chosen: Mapping[str, tuple[list[str], float | None]]
) -> dict[str, dict[str, float]]:
    phi = problem.targets.treated_fraction
    result: dict[str, dict[str, float]] = {"field": {}, "sector": {}, "size": {}, "region": {}}
    for fund_id, (codes, _) in chosen.items():
        fund = problem.fund(fund_id)
        for code in set(codes):
            amount = phi * fund.inflow.get(code, 0.0)
            keys = {
                "field": fund.field,
                "sector": fund.sector,
                "size": fund.size,
                "region": problem.municipalities[code].region,
            }
            for dimension, category in keys.items():
                bucket = result[dimension]
                bucket[category] = bucket.get(category, 0.0) + amount
    return result


def _check_max_treated_share(
    problem: Problem, by_category: Mapping[str, Mapping[str, float]], notes: _Notes
) -> None:
    for dimension, u in problem.targets.max_treated_share.items():
        for category, amount in sorted(by_category[dimension].items()):
            limit = u * problem.national_inflow * problem.population[dimension].get(category, 0.0)
            if not _at_most(amount, limit):
                notes.add(
                    f"{dimension} {category}: {_da(amount)} behandlede er over loftet på "
                    f"{_da(limit)}",
                    f"{dimension} {category}: {_en(amount)} treated exceed the cap of {_en(limit)}",
                )


def _check_objective(
    problem: Problem,
    proposal: Mapping[str, Any],
    by_category: Mapping[str, Mapping[str, float]],
    volume: float,
    notes: _Notes,
) -> None:
    target = problem.targets.volume
    objective = problem.weights["volume"] * abs(volume - target) / target
    reported_dev = proposal.get("deviation") or {}
    reported_shares = proposal.get("shares") or {}
    for dimension, volumes in by_category.items():
        shares = problem.population[dimension]
        categories = set(shares) | set(volumes) | _all_categories(problem, dimension)
        total = sum(abs(volumes.get(c, 0.0) - shares.get(c, 0.0) * volume) for c in categories)
        deviation = total / (2 * target)
        objective += problem.weights[dimension] * deviation
        got = _number(reported_dev.get(dimension))
        if got is None or not _close(got, deviation):
            notes.add(
                f"deviation.{dimension} er {got}, men giver {deviation:.6f}",
                f"deviation.{dimension} is {got} but comes to {deviation:.6f}",
            )
        _check_shares(dimension, reported_shares.get(dimension), volumes, shares, volume, notes)
    _check_bound_and_gap(proposal, objective, notes)


def _all_categories(problem: Problem, dimension: str) -> set[str]:
    if dimension == "region":
        return {m.region for m in problem.municipalities.values()}
    return {getattr(fund, dimension) for fund in problem.funds}


def _check_shares(
    dimension: str,
    reported: Any,
    volumes: Mapping[str, float],
    shares: Mapping[str, float],
    volume: float,
    notes: _Notes,
) -> None:
    if not isinstance(reported, Mapping):
        notes.add(f"shares.{dimension} mangler", f"shares.{dimension} is missing")
        return
    for category, entry in reported.items():
        achieved = volumes.get(category, 0.0) / volume if volume > 0 else 0.0
        target = shares.get(category, 0.0)
        got = entry if isinstance(entry, Mapping) else {}
        ok_target = _number(got.get("target")) is not None and _close(got["target"], target)
        ok_achieved = _number(got.get("achieved")) is not None and _close(got["achieved"], achieved)
        if not (ok_target and ok_achieved):
            notes.add(
                f"shares.{dimension}.{category} stemmer ikke ({target:.6f}, {achieved:.6f})",
                f"shares.{dimension}.{category} is wrong ({target:.6f}, {achieved:.6f})",
            )


def _check_bound_and_gap(proposal: Mapping[str, Any], objective: float, notes: _Notes) -> None:
    got = _number(proposal.get("objective"))
    if got is None or not _close(got, objective):
        notes.add(
            f"objective er {proposal.get('objective')}, men giver {objective:.8f}",
            f"objective is {proposal.get('objective')} but comes to {objective:.8f}",
        )
    bound, gap = _number(proposal.get("bound")), _number(proposal.get("gap"))
    if bound is not None and not _at_most(bound, objective):
        notes.add(
            f"bound {bound} er større end objective {objective:.8f}",
            f"bound {bound} exceeds objective {objective:.8f}",
        )
    if bound is not None and gap is not None:
        expected = max(0.0, objective - bound)
        expected = 0.0 if expected <= 1e-9 else expected / max(abs(objective), 1e-9)
        if abs(gap - expected) > 1e-6:
            notes.add(
                f"gap er {gap}, men giver {expected:.2e}",
                f"gap is {gap} but comes to {expected:.2e}",
            )
    if proposal.get("status") == "optimal" and (gap is None or gap > GAP_OPTIMAL):
        notes.add(f"status optimal med gap {gap}", f"status optimal with gap {gap}")
