"""Elastic models: the smallest change to the targets that makes the problem feasible.

Each relaxable family has an elastic form: its rows are left out of the model, the target becomes
a variable (or a slack per fund), and a cost measures the change *relative to the current value*
(a volume slack over T, a share change over the current share, one unit per dropped lock, ...):

* single: one family elastic, every other constraint hard; the solver minimises the change.
  "Lower the minimum share to 21.4%" is then guaranteed to suffice on its own.
* combined: every family of the conflict elastic at once, minimising the sum of relative changes;
  used when no single change suffices.

Needed values are rounded in the safe direction (a lowered target down, a raised cap up).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulp

from selection import families, lp
from selection import text as t
from selection.families import Family
from selection.model import Model
from selection.oracle import Oracle, Relaxation, Sentence, volume_limits
from selection.problem import Problem, with_targets

BISECTION_STEPS = 8


@dataclass
class Elastic:
    """The elastic form of one family: rows to add (returning a cost) and how to read it."""

    family: str
    omit: tuple[str, ...]
    add: Callable[[Model], Any]
    read: Callable[[Model], Relaxation | None]


def floor_to(value: float, step: float) -> float:
    return math.floor(value / step + 1e-9) * step


def ceil_to(value: float, step: float) -> float:
    return math.ceil(value / step - 1e-9) * step


def single(problem: Problem, oracle: Oracle, name: str) -> Relaxation:
    """The smallest change to the family ``name`` alone that makes the problem feasible."""
    if families.family(name).elastic == "fund_share":
        return _fund_share_bisection(problem, oracle)
    elastic = elastic_form(problem, name)
    found = oracle.optimum(elastic.omit, elastic.add, pulp.LpMinimize)
    if found is None:
        return _no_help(name)
    relaxation = elastic.read(found[1])
    return relaxation if relaxation is not None else _no_help(name)


def combined(problem: Problem, oracle: Oracle, names: tuple[str, ...]) -> list[Relaxation]:
    """Changes to several families together with the least total relative change."""
    forms = [elastic_form(problem, name) for name in names]
    omit = tuple(o for form in forms for o in form.omit)
    found = oracle.optimum(
        omit, lambda m: pulp.lpSum(form.add(m) for form in forms), pulp.LpMinimize
    )
    if found is None:
        return []
    read = [form.read(found[1]) for form in forms]
    return [r for r in read if r is not None]


def elastic_form(problem: Problem, name: str) -> Elastic:
    """The elastic form of the family called ``name`` (see ``selection.families``)."""
    family = families.family(name)
    return _FORMS[family.elastic](problem, family)


def _relaxation(
    target: str, current: float | None, needed: float | None, da: str, en: str, **detail: float
) -> Relaxation:
    return Relaxation(target, current, needed, Sentence(da, en), dict(detail))


def _no_help(name: str) -> Relaxation:
    family = families.family(name)
    return _relaxation(
        name,
        None,
        None,
        f"At ændre {family.da} alene er ikke nok.",
        f"Changing {family.en} alone is not enough.",
    )


def _value(variable: pulp.LpVariable) -> float:
    return float(variable.varValue or 0.0)


# --- volume ------------------------------------------------------------------------------------


def _volume_side(problem: Problem, family: Family) -> Elastic:
    low_side = family.name == "volume_low"
    low, high = volume_limits(problem)
    holder: dict[str, pulp.LpVariable] = {}

    def add(model: Model) -> Any:
        slack = holder["s"] = lp.variable(model.prob, f"slack__{family.name}", 0)
        if low_side:
            model.prob += model.volume + slack >= low, "elastic__volume_low"
        else:
            model.prob += model.volume - slack <= high, "elastic__volume_high"
        return slack / problem.targets.volume

    def read(model: Model) -> Relaxation | None:
        slack = _value(holder["s"])
        if slack <= 1e-6:
            return None
        reach = low - slack if low_side else high + slack
        return _volume_sentence(problem, reach, low_side)

    return Elastic(family.name, family.rows, add, read)


def bound(low_side: bool, lang: str = "da") -> str:
    """ "at most" for a lowered requirement, "at least" for a raised one."""
    if low_side:
        return t.pick(lang, "højst", "at most")
    return t.pick(lang, "mindst", "at least")


def _volume_sentence(problem: Problem, reach: float, low_side: bool) -> Relaxation:
    """Which targets must move so that the volume ``reach`` is allowed, in words."""
    tg, n = problem.targets, problem.national_inflow
    parts_da: list[str] = []
    parts_en: list[str] = []
    band = tg.band[0] if low_side else tg.band[1]
    if (band > reach) if low_side else (band < reach):
        factor = 1 - tg.volume_tolerance if low_side else 1 + tg.volume_tolerance
        target = floor_to(reach / factor, 1) if low_side else ceil_to(reach / factor, 1)
        tol = ceil_to(1 - reach / tg.volume if low_side else reach / tg.volume - 1, 0.001)
        bound_da, bound_en = ("højst", "at most") if low_side else ("mindst", "at least")
        parts_da.append(
            f"målet fra {t.number(tg.volume)} til {bound_da} {t.number(target)} forløb "
            f"(eller tolerancen fra {t.percent(tg.volume_tolerance)} til mindst {t.percent(tol)})"
        )
        parts_en.append(
            f"the target from {t.number(tg.volume, 'en')} to {bound_en} "
            f"{t.number(target, 'en')} courses (or the tolerance from "
            f"{t.percent(tg.volume_tolerance, 'en')} to at least {t.percent(tol, 'en')})"
        )
    share = tg.min_share if low_side else tg.max_share
    if (share * n > reach) if low_side else (share * n < reach):
        needed = floor_to(reach / n, 0.001) if low_side else ceil_to(reach / n, 0.001)
        word_da, word_en = (
            ("minimumsandelen", "the minimum share")
            if low_side
            else ("maksimumsandelen", "the maximum share")
        )
        parts_da.insert(
            0,
            f"{word_da} af den nationale tilgang fra {t.percent(share)} til {bound(low_side)} "
            f"{t.percent(needed)}",
        )
        parts_en.insert(
            0,
            f"{word_en} of the national inflow from {t.percent(share, 'en')} to "
            f"{bound(low_side, 'en')} {t.percent(needed, 'en')}",
        )
    if low_side:
        head_da = f"Sænk kravet om mindst antal forløb til {t.number(reach)} om året"
        head_en = f"Lower the minimum number of courses to {t.number(reach, 'en')} a year"
    else:
        head_da = f"Hæv loftet over antal forløb til {t.number(reach)} om året"
        head_en = f"Raise the maximum number of courses to {t.number(reach, 'en')} a year"
    verb_da, verb_en = ("sænk", "lower") if low_side else ("hæv", "raise")
    return _relaxation(
        "volume_low" if low_side else "volume_high",
        None,
        reach,
        f"{head_da}: {verb_da} {t.join_words(parts_da)}.",
        f"{head_en}: {verb_en} {t.join_words(parts_en, 'en')}.",
    )


# --- number of funds ---------------------------------------------------------------------------


def _funds_count(problem: Problem, family: Family) -> Elastic:
    at_least = family.name == "funds_min"
    current = problem.targets.funds_min if at_least else problem.targets.funds_max
    holder: dict[str, pulp.LpVariable] = {}

    def add(model: Model) -> Any:
        change = holder["d"] = lp.variable(
            model.prob, f"slack__{family.name}", 0, None, pulp.LpInteger
        )
        count = pulp.lpSum(model.x.values())
        if at_least:
            model.prob += count + change >= current, "elastic__funds_min"
        else:
            model.prob += count - change <= current, "elastic__funds_max"
        return change / max(current, 1)

    def read(model: Model) -> Relaxation | None:
        change = round(_value(holder["d"]))
        if change == 0:
            return None
        needed = current - change if at_least else current + change
        verb_da, verb_en = ("Sænk", "Lower") if at_least else ("Hæv", "Raise")
        return _relaxation(
            family.name,
            current,
            needed,
            f"{verb_da} {family.da} fra {current} til {needed}.",
            f"{verb_en} {family.en} from {current} to {needed}.",
        )

    return Elastic(family.name, family.rows, add, read)


# --- per-fund rules ----------------------------------------------------------------------------


def _capacity(problem: Problem, family: Family) -> Elastic:
    extra: dict[str, pulp.LpVariable] = {}

    def add(model: Model) -> Any:
        for fund_id in model.candidates:
            capacity = problem.fund(fund_id).capacity
            if capacity is None:
                continue
            token = model.names[fund_id]
            slack = extra[fund_id] = lp.variable(model.prob, f"extra__{token}", 0)
            expr = model.treated[fund_id] - slack - capacity * model.x[fund_id]
            model.prob += expr <= 0, f"elastic__capacity__{token}"
        return pulp.lpSum(extra.values()) / problem.targets.volume

    def read(model: Model) -> Relaxation | None:
        needs = {f: math.ceil(_value(v) - 1e-6) for f, v in sorted(extra.items())}
        needs = {f: v for f, v in needs.items() if v > 0}
        if not needs:
            return None
        total = float(sum(needs.values()))
        listing_da = ", ".join(f"{f} +{t.number(v)}" for f, v in needs.items())
        listing_en = ", ".join(f"{f} +{t.number(v, 'en')}" for f, v in needs.items())
        return _relaxation(
            family.name,
            None,
            total,
            f"Giv a-kasserne i alt {t.number(total)} forløb mere kapacitet om året ({listing_da}).",
            f"Give the funds {t.number(total, 'en')} more courses of capacity a year in all "
            f"({listing_en}).",
            **{f: float(v) for f, v in needs.items()},
        )

    return Elastic(family.name, family.rows, add, read)


def _comparison(problem: Problem, family: Family) -> Elastic:
    current = problem.targets.min_comparison_share
    holder: dict[str, pulp.LpVariable] = {}

    def add(model: Model) -> Any:
        c = holder["c"] = lp.variable(model.prob, "relaxed_comparison", 0, current)
        for fund_id in model.candidates:
            total = problem.fund(fund_id).total_inflow
            expr = model.treated[fund_id] + total * c
            model.prob += expr <= total, f"elastic__comparison__{model.names[fund_id]}"
        return (current - c) / current

    def read(model: Model) -> Relaxation | None:
        needed = floor_to(_value(holder["c"]), 0.001)
        if needed >= current - 1e-9:
            return None
        return _relaxation(
            family.name,
            current,
            needed,
            f"Sænk kravet til sammenligningsgruppen fra {t.percent(current)} til højst "
            f"{t.percent(needed)} af hver a-kasses tilgang.",
            f"Lower the comparison-group rule from {t.percent(current, 'en')} to at most "
            f"{t.percent(needed, 'en')} of each fund's inflow.",
        )

    return Elastic(family.name, family.rows, add, read)


def _fund_share(problem: Problem, family: Family) -> Elastic:
    # treated[f] ≤ s·V + slack[f]: linear (s·V with s a variable would not be); the needed cap is
    # then read off the solution as max_f treated[f] / V.
    current = problem.targets.max_fund_share
    slacks: dict[str, pulp.LpVariable] = {}

    def add(model: Model) -> Any:
        for fund_id in model.candidates:
            token = model.names[fund_id]
            slack = slacks[fund_id] = lp.variable(model.prob, f"slack__share__{token}", 0)
            expr = model.treated[fund_id] - current * model.volume - slack
            model.prob += expr <= 0, f"elastic__fund_share__{token}"
        return pulp.lpSum(slacks.values()) / problem.targets.volume

    def read(model: Model) -> Relaxation | None:
        volume = float(pulp.value(model.volume) or 0.0)
        if volume <= 0 or all(_value(s) <= 1e-6 for s in slacks.values()):
            return None
        largest = max(float(pulp.value(model.treated[f]) or 0.0) for f in model.candidates)
        return _fund_share_sentence(current, min(1.0, ceil_to(largest / volume, 0.001)))

    return Elastic(family.name, family.rows, add, read)


def _fund_share_sentence(current: float, needed: float) -> Relaxation:
    return _relaxation(
        "fund_share",
        current,
        needed,
        f"Hæv loftet for én a-kasses andel af volumen fra {t.percent(current)} til "
        f"{t.percent(needed)}.",
        f"Raise the cap on one fund's share of the volume from {t.percent(current, 'en')} to "
        f"{t.percent(needed, 'en')}.",
    )


def _fund_share_bisection(problem: Problem, oracle: Oracle) -> Relaxation:
    """The smallest cap s' ≥ s that is feasible (feasibility is monotone in s')."""
    current = problem.targets.max_fund_share
    if oracle.feasible(["fund_share"]) is not True:
        return _no_help("fund_share")
    low, high = current, 1.0
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        trial = Oracle(with_targets(problem, max_fund_share=middle), oracle.time_limit)
        if trial.feasible([]) is True:
            high = middle
        else:
            low = middle
    return _fund_share_sentence(current, min(1.0, ceil_to(high, 0.001)))


def _max_treated(problem: Problem, family: Family) -> Elastic:
    dimension = family.name.split(":", 1)[1]
    current = problem.targets.max_treated_share[dimension]
    holder: dict[str, pulp.LpVariable] = {}

    def add(model: Model) -> Any:
        u = holder["u"] = lp.variable(model.prob, f"relaxed_cap__{dimension}", current)
        for (d, category), expr in model.category_volume.items():
            if d == dimension:
                limit = problem.national_inflow * problem.share(d, category)
                name = f"elastic__cap__{d}__{model.names[category]}"
                model.prob += expr - limit * u <= 0, name
        return (u - current) / max(current, 1e-3)

    def read(model: Model) -> Relaxation | None:
        needed = ceil_to(_value(holder["u"]), 0.001)
        if needed <= current + 1e-9:
            return None
        word_da, word_en = t.dimension_word(dimension), t.dimension_word(dimension, "en")
        return _relaxation(
            family.name,
            current,
            needed,
            f"Hæv loftet for behandlede pr. {word_da} fra {t.percent(current)} til mindst "
            f"{t.percent(needed)} af tilgangen.",
            f"Raise the cap on treated per {word_en} from {t.percent(current, 'en')} to at least "
            f"{t.percent(needed, 'en')} of the inflow.",
        )

    return Elastic(family.name, family.rows, add, read)


def _locks(problem: Problem, family: Family) -> Elastic:
    include = family.name == "lock_include"
    locked = sorted(problem.locks_include if include else problem.locks_exclude)
    dropped: dict[str, pulp.LpVariable] = {}

    def add(model: Model) -> Any:
        for fund_id in locked:
            if fund_id in model.x:
                token = model.names[fund_id]
                r = dropped[fund_id] = lp.binary(model.prob, f"drop__{token}")
                x = model.x[fund_id]
                row = x + r >= 1 if include else x - r <= 0
                model.prob += row, f"elastic__lock__{token}"
        return pulp.lpSum(dropped.values())

    def read(model: Model) -> Relaxation | None:
        names = [f for f, r in dropped.items() if _value(r) > 0.5]
        if not names:
            return None
        side_da, side_en = ("låst ind", "locked in") if include else ("låst ude", "locked out")
        return _relaxation(
            family.name,
            None,
            float(len(names)),
            f"Ophæv låsen på {t.join_words(names)} ({side_da}).",
            f"Remove the lock on {t.join_words(names, 'en')} ({side_en}).",
        )

    return Elastic(family.name, family.rows, add, read)


# The elastic form of each family by its ``elastic`` key in ``selection.families``.
_FORMS: dict[str, Callable[[Problem, Family], Elastic]] = {
    families.VOLUME: _volume_side,
    "funds_count": _funds_count,
    "capacity": _capacity,
    "comparison": _comparison,
    "fund_share": _fund_share,
    "max_treated_share": _max_treated,
    "locks": _locks,
}
