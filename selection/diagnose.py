"""Why no selection meets the targets, and the smallest change to each target that would help.

Three steps, each in words with the numbers:

1. Static conflicts that need no solver (a fund locked in that is not eligible, an empty volume
   band, more funds required than allowed).
2. A conflict: an irreducible set of constraint families that cannot hold together, found by a
   deletion filter over the relaxable families (drop a family; if the rest is still infeasible it
   was not needed). The headline gives the extreme value that every other requirement allows,
   e.g. the most volume the eligible funds can carry, against what is required, and then what
   that extreme would be without each other requirement of the conflict (what limits it).
3. Elastic models over the targets (``selection.relax``): per target of the conflict, the
   smallest change to it alone; when no single change is enough, the smallest combined change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pulp

from selection import families, relax
from selection import text as t
from selection.model import Model, build_model, candidates
from selection.oracle import Oracle, Relaxation, Sentence, volume_limits
from selection.problem import Problem

FEASIBILITY_TIME = 10.0
# The volume band and the share bounds both bound V from one side; for a reader they are one
# requirement ("at least so many courses"), so each side is one family (see selection.families).
VOLUME_FAMILIES = frozenset(f.name for f in families.FAMILIES if f.is_volume)
# The families that may limit an extreme volume or number of funds.
LIMITING = frozenset(f.name for f in families.FAMILIES if not f.is_volume)


@dataclass(frozen=True)
class Diagnosis:
    feasible: bool
    conflict: tuple[str, ...]  # the groups of constraints that cannot hold together
    findings: tuple[Sentence, ...]
    relaxations: tuple[Relaxation, ...]  # one per target of the conflict, each alone
    combined: tuple[Relaxation, ...] = ()  # together enough, when no single change is

    def lines(self, lang: str = "da") -> tuple[str, ...]:
        """The diagnosis as sentences for a policy adviser."""
        if self.feasible:
            return (t.pick(lang, "Målene kan opfyldes.", "The targets can be met."),)
        lines = [s.text(lang) for s in self.findings]
        helping = [r for r in self.relaxations if r.needed is not None]
        if len(helping) == 1:
            lines.append(
                t.pick(
                    lang,
                    "Denne ændring er alene nok til at gøre en udvælgelse mulig:",
                    "This change alone is enough to make a selection possible:",
                )
            )
        elif helping:
            lines.append(
                t.pick(
                    lang,
                    "Hver af disse ændringer er alene nok til at gøre en udvælgelse mulig:",
                    "Each of these changes alone is enough to make a selection possible:",
                )
            )
        lines += [f"– {r.sentence.text(lang)}" for r in helping]
        if self.combined:
            lines.append(self._combined_head(lang, bool(helping)))
            lines += [f"– {r.sentence.text(lang)}" for r in self.combined]
        return tuple(lines)

    def _combined_head(self, lang: str, alternative: bool) -> str:
        if alternative:
            return t.pick(
                lang,
                "Vil man fastholde volumenkravet, er den mindste samlede ændring "
                "af de øvrige krav:",
                "To keep the volume requirement, the smallest combined change to the other "
                "requirements is:",
            )
        return t.pick(
            lang,
            "Ingen enkelt ændring er nok. Den mindste samlede ændring er:",
            "No single change is enough. The smallest combined change is:",
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "feasible": self.feasible,
            "conflict": list(self.conflict),
            "findings": [s.to_json() for s in self.findings],
            "relaxations": [r.to_json() for r in self.relaxations],
            "combined": [r.to_json() for r in self.combined],
            "text": {"da": list(self.lines("da")), "en": list(self.lines("en"))},
        }


def diagnose(
    problem: Problem, lang: str = "da", *, time_limit: float = FEASIBILITY_TIME
) -> Diagnosis:
    """The diagnosis of ``problem`` (``feasible=True`` if a selection exists after all)."""
    t.check_lang(lang)
    oracle = Oracle(problem, time_limit)
    if oracle.feasible(omit=()):
        return Diagnosis(True, (), (), ())
    active = _active_groups(problem)
    conflict = _deletion_filter(oracle, active)
    findings = _static_findings(problem) or _conflict_sentences(problem, oracle, conflict, active)
    singles = tuple(relax.single(problem, oracle, group) for group in conflict)
    together: tuple[Relaxation, ...] = ()
    if VOLUME_FAMILIES & set(conflict):
        # The volume is the agreement's headline figure: also show how to keep it.
        others = tuple(g for g in active if g not in VOLUME_FAMILIES)
        together = tuple(relax.combined(problem, oracle, others)) if others else ()
    elif len(conflict) > 1 and not any(r.needed is not None for r in singles):
        together = tuple(relax.combined(problem, oracle, conflict))
    return Diagnosis(False, conflict, findings, singles, together)


# --- the conflict ------------------------------------------------------------------------------


def _active_groups(problem: Problem) -> tuple[str, ...]:
    """Relaxable families that put at least one row into the model, in deletion order."""
    present = {families.row_family(name) for name in build_model(problem).constraint_names()}
    return tuple(f.name for f in families.FAMILIES if present.intersection(f.rows))


def _deletion_filter(oracle: Oracle, active: tuple[str, ...]) -> tuple[str, ...]:
    """An irreducible set of families that is infeasible together with the structural rules."""
    kept = list(active)
    for group in active:
        trial = [g for g in kept if g != group]
        omit = [g for g in active if g not in trial]
        if oracle.feasible(omit) is False:
            kept = trial
    return tuple(kept)


# --- static findings ---------------------------------------------------------------------------


def _static_findings(problem: Problem) -> tuple[Sentence, ...]:
    found: list[Sentence] = []
    for fund_id in sorted(problem.locks_include):
        fund = problem.fund(fund_id)
        if not fund.eligible:
            found.append(
                Sentence(
                    f"{fund_id} er låst ind, men er ikke støtteberettiget efter Trin 2.",
                    f"{fund_id} is locked in but is not eligible after Trin 2.",
                )
            )
        elif not problem.extent(fund):
            found.append(
                Sentence(
                    f"{fund_id} er låst ind, men har ingen godkendt udstrækning "
                    "uden for frikommunerne.",
                    f"{fund_id} is locked in but has no approved extent "
                    "outside the excluded municipalities.",
                )
            )
    targets = problem.targets
    if targets.funds_min > targets.funds_max:
        found.append(
            Sentence(
                f"Der kræves mindst {targets.funds_min} a-kasser, "
                f"men der må højst vælges {targets.funds_max}.",
                f"At least {targets.funds_min} funds are required "
                f"but at most {targets.funds_max} may be chosen.",
            )
        )
    low, high = volume_limits(problem)
    if low > high:
        found.append(
            Sentence(
                f"Volumenkravene modsiger hinanden: mindst {t.number(low)} "
                f"og højst {t.number(high)} forløb om året.",
                f"The volume requirements contradict each other: at least {t.number(low, 'en')} "
                f"and at most {t.number(high, 'en')} courses a year.",
            )
        )
    selectable = len([f for f in candidates(problem) if f.eligible and problem.extent(f)])
    if selectable < targets.funds_min:
        found.append(
            Sentence(
                f"Kun {selectable} a-kasser er støtteberettigede med en godkendt udstrækning; "
                f"der kræves mindst {targets.funds_min}.",
                f"Only {selectable} funds are eligible with an approved extent; "
                f"at least {targets.funds_min} are required.",
            )
        )
    return tuple(found)


# --- the conflict in words ---------------------------------------------------------------------


def _context(problem: Problem, names: Iterable[str]) -> tuple[str, str]:
    """A phrase for the conditions under which an extreme value holds."""
    phrases = [_phrase(problem, name) for name in names]
    phrases.append(_structure_phrase(problem))
    return t.join_words((p[0] for p in phrases), "da"), t.join_words((p[1] for p in phrases), "en")


def _structure_phrase(problem: Problem) -> tuple[str, str]:
    unit = {
        "fund": ("hele udstrækninger", "whole extents"),
        "region": ("hele regioner", "whole regions"),
        "municipality": ("enkelte kommuner", "single municipalities"),
    }[problem.granularity]
    return (
        f"de godkendte udstrækninger uden frikommuner, dækket i {unit[0]}",
        f"the approved extents without the excluded municipalities, covered in {unit[1]}",
    )


def _phrase(problem: Problem, family: str) -> tuple[str, str]:
    tg = problem.targets
    if family.startswith("max_treated_share:"):
        dim = family.split(":", 1)[1]
        u = tg.max_treated_share[dim]
        return (
            f"loftet om højst {t.percent(u, 'da', 0)} behandlede af tilgangen "
            f"i hver {t.dimension_word(dim)}",
            f"the cap of {t.percent(u, 'en', 0)} treated of the inflow "
            f"in each {t.dimension_word(dim, 'en')}",
        )
    phrases: dict[str, tuple[str, str]] = {
        "capacity": ("a-kassernes kapacitetslofter", "the funds' capacity limits"),
        "comparison": (
            f"kravet om at mindst {t.percent(tg.min_comparison_share, 'da', 0)} af hver valgt "
            "a-kasses tilgang forbliver sammenligningsgruppe",
            f"the rule that at least {t.percent(tg.min_comparison_share, 'en', 0)} of each chosen "
            "fund's inflow stays a comparison group",
        ),
        "fund_share": (
            f"loftet om højst {t.percent(tg.max_fund_share, 'da', 0)} af volumen til én a-kasse",
            f"the cap of {t.percent(tg.max_fund_share, 'en', 0)} of the volume for one fund",
        ),
        "funds_min": (
            f"kravet om mindst {tg.funds_min} a-kasser",
            f"the requirement of at least {tg.funds_min} funds",
        ),
        "funds_max": (
            f"loftet på højst {tg.funds_max} a-kasser",
            f"the cap of at most {tg.funds_max} funds",
        ),
        "lock_include": (
            f"låsningen af {t.join_words(sorted(problem.locks_include))} (låst ind)",
            f"the lock on {t.join_words(sorted(problem.locks_include), 'en')} (locked in)",
        ),
        "lock_exclude": (
            f"låsningen af {t.join_words(sorted(problem.locks_exclude))} (låst ude)",
            f"the lock on {t.join_words(sorted(problem.locks_exclude), 'en')} (locked out)",
        ),
        "volume_low": (
            f"kravet om mindst {t.number(volume_limits(problem)[0])} forløb om året",
            f"the requirement of at least {t.number(volume_limits(problem)[0], 'en')} "
            "courses a year",
        ),
        "volume_high": (
            f"kravet om højst {t.number(volume_limits(problem)[1])} forløb om året",
            f"the requirement of at most {t.number(volume_limits(problem)[1], 'en')} "
            "courses a year",
        ),
    }
    return phrases[family]


def _conflict_sentences(
    problem: Problem, oracle: Oracle, conflict: tuple[str, ...], active: tuple[str, ...]
) -> tuple[Sentence, ...]:
    for group, extreme in _EXTREMES.items():
        if group in conflict:
            # What limits the extreme may lie outside this conflict too: try every group.
            rest = tuple(g for g in active if g != group and g in conflict or g in LIMITING)
            found = _extreme(oracle, group, rest, extreme.objective, extreme.sense)
            if found is not None:
                head = extreme.headline(problem, found[0])
                up = extreme.sense == pulp.LpMaximize
                return (head, *_limits(problem, found[0], found[1], extreme.unit, up))
    da, en = _context(problem, conflict)
    return (
        Sentence(
            f"Disse krav kan ikke opfyldes samtidig: {da}.",
            f"These requirements cannot all hold at once: {en}.",
        ),
    )


def _volume(model: Model) -> Any:
    return model.volume


def _count(model: Model) -> Any:
    return pulp.lpSum(model.x.values())


def _extreme(
    oracle: Oracle,
    group: str,
    rest: tuple[str, ...],
    objective: Callable[[Model], Any],
    sense: int,
) -> tuple[float, list[tuple[str, float]]] | None:
    """The extreme under every other requirement, and what it becomes without each of ``rest``."""
    found = oracle.optimum([group], objective, sense)
    if found is None:
        return None
    without = []
    for other in rest:
        better = oracle.optimum([group, other], objective, sense)
        if better is not None:
            without.append((other, better[0]))
    return found[0], without


def _limits(
    problem: Problem,
    base: float,
    without: list[tuple[str, float]],
    unit: tuple[str, str],
    up: bool,
) -> tuple[Sentence, ...]:
    """What limits the extreme: its value without each requirement that moves it."""
    result = []
    for family, value in without:
        if (value > base + 0.5) if up else (value < base - 0.5):
            da, en = _phrase(problem, family)
            result.append(
                Sentence(
                    f"Uden {da} ville grænsen være {t.number(value)} {unit[0]}.",
                    f"Without {en} the limit would be {t.number(value, 'en')} {unit[1]}.",
                )
            )
    return tuple(result)


def _volume_low_headline(problem: Problem, most: float) -> Sentence:
    low, _ = volume_limits(problem)
    reason_da, reason_en = _low_reason(problem)
    return Sentence(
        f"De støtteberettigede a-kasser kan højst bære {t.number(most)} forløb om året, når alle "
        f"de øvrige krav skal holde; der kræves mindst {t.number(low)} ({reason_da}).",
        f"The eligible funds can carry at most {t.number(most, 'en')} courses a year when every "
        f"other requirement holds; at least {t.number(low, 'en')} are required ({reason_en}).",
    )


def _low_reason(problem: Problem) -> tuple[str, str]:
    tg = problem.targets
    if tg.band[0] >= tg.min_share * problem.national_inflow:
        share = 1 - tg.volume_tolerance
        return (
            f"målbåndet starter ved {t.percent(share, 'da', 0)} af målet på "
            f"{t.number(tg.volume)} forløb",
            f"the target band starts at {t.percent(share, 'en', 0)} of the target of "
            f"{t.number(tg.volume, 'en')} courses",
        )
    return (
        f"{t.percent(tg.min_share, 'da', 0)} af den nationale tilgang på "
        f"{t.number(problem.national_inflow)} nyindplacerede; målbåndet alene starter ved "
        f"{t.number(tg.band[0])}",
        f"{t.percent(tg.min_share, 'en', 0)} of the national inflow of "
        f"{t.number(problem.national_inflow, 'en')} newly registered; the target band alone "
        f"starts at {t.number(tg.band[0], 'en')}",
    )


def _volume_high_headline(problem: Problem, least: float) -> Sentence:
    _, high = volume_limits(problem)
    return Sentence(
        f"Selv det mindste mulige valg giver {t.number(least)} forløb om året, når alle de "
        f"øvrige krav skal holde; der må højst være {t.number(high)}.",
        f"Even the smallest possible selection gives {t.number(least, 'en')} courses a year when "
        f"every other requirement holds; at most {t.number(high, 'en')} are allowed.",
    )


def _funds_min_headline(problem: Problem, most: float) -> Sentence:
    need = problem.targets.funds_min
    return Sentence(
        f"Der kan højst vælges {round(most)} a-kasser, når alle de øvrige krav skal holde; "
        f"der kræves mindst {need}.",
        f"At most {round(most)} funds can be chosen when every other requirement holds; "
        f"at least {need} are required.",
    )


def _funds_max_headline(problem: Problem, least: float) -> Sentence:
    cap = problem.targets.funds_max
    return Sentence(
        f"Der skal vælges mindst {round(least)} a-kasser, når alle de øvrige krav skal holde; "
        f"der må højst vælges {cap}.",
        f"At least {round(least)} funds must be chosen when every other requirement holds; "
        f"at most {cap} may be.",
    )


@dataclass(frozen=True)
class _Extreme:
    """The extreme value that a family in the conflict is measured against, and its headline."""

    objective: Callable[[Model], Any]
    sense: int
    headline: Callable[[Problem, float], Sentence]
    unit: tuple[str, str]


# In the order they are tried for the headline.
_EXTREMES: dict[str, _Extreme] = {
    "volume_low": _Extreme(_volume, pulp.LpMaximize, _volume_low_headline, ("forløb", "courses")),
    "volume_high": _Extreme(_volume, pulp.LpMinimize, _volume_high_headline, ("forløb", "courses")),
    "funds_min": _Extreme(_count, pulp.LpMaximize, _funds_min_headline, ("a-kasser", "funds")),
    "funds_max": _Extreme(_count, pulp.LpMinimize, _funds_max_headline, ("a-kasser", "funds")),
}
