"""The input contract ``selection-problem/1``: frozen dataclasses and their validation.

``parse_problem`` turns plain JSON data into a ``Problem`` or raises ``ProblemError`` naming the
key (and fund) at fault. Defaults are the contract's; everything is resolved here once
(population shares, national inflow, extents), so the model, the checker and the texts read the
same facts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from selection.errors import ProblemError

SCHEMA = "selection-problem/1"
DIMENSIONS = ("field", "sector", "size", "region")
FUND_DIMENSIONS = ("field", "sector", "size")
GRANULARITIES = ("fund", "region", "municipality")
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "field": 1.0,
    "sector": 1.0,
    "size": 1.0,
    "region": 1.0,
    "volume": 0.25,
}
TARGET_KEYS = (
    "volume",
    "volume_tolerance",
    "min_share",
    "max_share",
    "funds_min",
    "funds_max",
    "treated_fraction",
    "max_treated_share",
    "min_comparison_share",
    "max_fund_share",
)
SHARE_SUM_TOLERANCE = 0.01


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    region: str


@dataclass(frozen=True)
class Fund:
    id: str
    name: str
    field: str
    sector: str
    size: str
    eligible: bool
    capacity: float | None
    score: float | None
    inflow: Mapping[str, float]
    extent: tuple[str, ...]

    def category(self, dimension: str) -> str:
        """The fund's category in a fund dimension (``field``, ``sector``, ``size``)."""
        return str(getattr(self, dimension))

    @property
    def total_inflow(self) -> float:
        return sum(self.inflow.values())


@dataclass(frozen=True)
class Targets:
    volume: float
    volume_tolerance: float = 0.10
    min_share: float = 0.25
    max_share: float = 1.0
    funds_min: int = 1
    funds_max: int = 0  # resolved to the number of funds by parse_problem
    treated_fraction: float = 1.0
    max_treated_share: Mapping[str, float] = field(default_factory=dict)
    min_comparison_share: float = 0.0
    max_fund_share: float = 1.0

    @property
    def band(self) -> tuple[float, float]:
        """The volume band (1 ± tolerance)·T."""
        return (1 - self.volume_tolerance) * self.volume, (1 + self.volume_tolerance) * self.volume


@dataclass(frozen=True)
class Problem:
    name: str
    years: float
    municipalities: Mapping[str, Municipality]
    excluded: frozenset[str]
    national_inflow: float
    funds: tuple[Fund, ...]
    population: Mapping[str, Mapping[str, float]]
    targets: Targets
    weights: Mapping[str, float]
    granularity: str
    locks_include: frozenset[str]
    locks_exclude: frozenset[str]
    baseline_rate: float = 0.5

    def fund(self, fund_id: str) -> Fund:
        for fund in self.funds:
            if fund.id == fund_id:
                return fund
        raise KeyError(fund_id)

    @property
    def fund_ids(self) -> tuple[str, ...]:
        return tuple(fund.id for fund in self.funds)

    def extent(self, fund: Fund) -> tuple[str, ...]:
        """The fund's approved extent as sorted municipality codes, minus excluded ones."""
        return resolve_extent(fund.extent, self.municipalities, self.excluded)

    def categories(self, dimension: str) -> tuple[str, ...]:
        """Every category of a dimension: the population's and the funds' (or regions'), sorted."""
        if dimension == "region":
            found = {m.region for m in self.municipalities.values()}
        else:
            found = {fund.category(dimension) for fund in self.funds}
        return tuple(sorted(found | set(self.population[dimension])))

    def share(self, dimension: str, category: str) -> float:
        return self.population[dimension].get(category, 0.0)

    def region_of(self, code: str) -> str:
        return self.municipalities[code].region

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({m.region for m in self.municipalities.values()}))


def resolve_extent(
    entries: Sequence[str], municipalities: Mapping[str, Municipality], excluded: frozenset[str]
) -> tuple[str, ...]:
    """Extent entries (codes, ``region:<code>``, ``national``) -> municipality codes, sorted."""
    codes: set[str] = set()
    for entry in entries:
        if entry == "national":
            codes.update(municipalities)
        elif entry.startswith("region:"):
            region = entry.split(":", 1)[1]
            codes.update(c for c, m in municipalities.items() if m.region == region)
        else:
            codes.add(entry)
    return tuple(sorted(codes - excluded))


def with_targets(problem: Problem, **changes: Any) -> Problem:
    """A copy of ``problem`` with some targets changed (used by scenarios and diagnoses)."""
    return replace(problem, targets=replace(problem.targets, **changes))


# --- parsing -------------------------------------------------------------------------------


def parse_problem(data: Mapping[str, Any]) -> Problem:
    """Validate ``selection-problem/1`` data and return a resolved ``Problem``."""
    if not isinstance(data, Mapping):
        raise ProblemError("problem", "problemet skal være et JSON-objekt", "must be a JSON object")
    if data.get("schema") != SCHEMA:
        raise ProblemError(
            "schema",
            f"schema skal være '{SCHEMA}', fik {_show(data.get('schema'))}",
            f"schema must be '{SCHEMA}', got {_show(data.get('schema'))}",
        )
    municipalities = _municipalities(_required(data, "municipalities"))
    excluded = _excluded(data.get("excluded_municipalities", []), municipalities)
    funds = _funds(_required(data, "funds"), municipalities)
    total = sum(fund.total_inflow for fund in funds)
    national = _number(data, "national_inflow", total if total > 0 else None, low=0, strict=True)
    targets = _targets(_required(data, "targets"), len(funds))
    return Problem(
        name=str(data.get("name", "")),
        years=_number(data, "years", 4.0, low=0, strict=True),
        municipalities=municipalities,
        excluded=excluded,
        national_inflow=national,
        funds=funds,
        population=_population(data.get("population"), funds, municipalities),
        targets=targets,
        weights=_weights(data.get("weights")),
        granularity=_granularity(data.get("granularity", "fund")),
        locks_include=_locks(data, "include", funds),
        locks_exclude=_locks(data, "exclude", funds),
        baseline_rate=_baseline(data.get("evaluation")),
    )


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    if value is None:
        text = "null"
    return text if len(text) <= 40 else text[:37] + "..."


def _required(data: Mapping[str, Any], key: str) -> Any:
    if key not in data:
        raise ProblemError(key, f"{key} mangler (påkrævet)", f"{key} is missing (required)")
    return data[key]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(
    data: Mapping[str, Any],
    key: str,
    default: float | None,
    *,
    low: float | None = None,
    high: float | None = None,
    strict: bool = False,
    path: str | None = None,
    fund: str | None = None,
) -> float:
    """``data[key]`` as a number in [low, high] (``strict``: > low), or ``default`` if absent."""
    path = path or key
    value = data.get(key, default)
    if value is None and default is None:
        raise ProblemError(path, f"{key} mangler (påkrævet)", f"{key} is missing (required)")
    bounds_da, bounds_en = _bounds_text(low, high, strict)
    ok = _is_number(value)
    if ok and low is not None:
        ok = value > low if strict else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        raise ProblemError(
            path,
            f"{key} skal være et tal{bounds_da}, fik {_show(value)}",
            f"{key} must be a number{bounds_en}, got {_show(value)}",
            fund=fund,
        )
    return float(value)


def _bounds_text(low: float | None, high: float | None, strict: bool) -> tuple[str, str]:
    lo = "" if low is None else f" {'>' if strict else '≥'} {low:g}"
    hi = "" if high is None else f" og ≤ {high:g}"
    hi_en = "" if high is None else f" and ≤ {high:g}"
    return lo + hi, lo + hi_en


def _string(value: Any, path: str, key: str, fund: str | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProblemError(
            path,
            f"{key} skal være en ikke-tom tekst, fik {_show(value)}",
            f"{key} must be a non-empty string, got {_show(value)}",
            fund=fund,
        )
    return value


def _mapping(value: Any, key: str, fund: str | None = None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        leaf = key.rsplit(".", 1)[-1]
        raise ProblemError(
            key,
            f"{leaf} skal være et JSON-objekt, fik {_show(value)}",
            f"{leaf} must be a JSON object, got {_show(value)}",
            fund=fund,
        )
    return value


def _list(value: Any, key: str, fund: str | None = None) -> list[Any]:
    if not isinstance(value, list):
        leaf = key.rsplit(".", 1)[-1]
        raise ProblemError(
            key,
            f"{leaf} skal være en liste, fik {_show(value)}",
            f"{leaf} must be a list, got {_show(value)}",
            fund=fund,
        )
    return value


def _municipalities(value: Any) -> Mapping[str, Municipality]:
    raw = _mapping(value, "municipalities")
    if not raw:
        raise ProblemError("municipalities", "der er ingen kommuner", "there are no municipalities")
    result: dict[str, Municipality] = {}
    for code in sorted(raw):
        entry = _mapping(raw[code], f"municipalities.{code}")
        name = str(entry.get("name", code))
        region = _string(entry.get("region"), f"municipalities.{code}.region", "region")
        result[code] = Municipality(code=code, name=name, region=region)
    return result


def _unknown_code(path: str, code: Any, fund: str | None = None) -> ProblemError:
    return ProblemError(
        path,
        f"{_show(code)} er ikke en kendt kommunekode",
        f"{_show(code)} is not a known municipality code",
        fund=fund,
    )


def _excluded(value: Any, municipalities: Mapping[str, Municipality]) -> frozenset[str]:
    codes = _list(value, "excluded_municipalities")
    for i, code in enumerate(codes):
        if code not in municipalities:
            raise _unknown_code(f"excluded_municipalities[{i}]", code)
    return frozenset(codes)


def _funds(value: Any, municipalities: Mapping[str, Municipality]) -> tuple[Fund, ...]:
    raw = _list(value, "funds")
    if not raw:
        raise ProblemError("funds", "der er ingen a-kasser", "there are no funds")
    funds: list[Fund] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        fund = _fund(entry, i, municipalities)
        if fund.id in seen:
            raise ProblemError(
                f"funds[{i}].id",
                f"id '{fund.id}' optræder mere end én gang",
                f"id '{fund.id}' occurs more than once",
                fund=fund.id,
            )
        seen.add(fund.id)
        funds.append(fund)
    return tuple(sorted(funds, key=lambda f: f.id))


def _fund(entry: Any, i: int, municipalities: Mapping[str, Municipality]) -> Fund:
    raw = _mapping(entry, f"funds[{i}]")
    fund_id = _string(raw.get("id"), f"funds[{i}].id", "id")
    here = f"funds[{i}]"
    eligible = raw.get("eligible", False)
    if not isinstance(eligible, bool):
        raise ProblemError(
            f"{here}.eligible",
            f"eligible skal være true eller false, fik {_show(eligible)}",
            f"eligible must be true or false, got {_show(eligible)}",
            fund=fund_id,
        )
    capacity = raw.get("capacity")
    score = raw.get("score")
    return Fund(
        id=fund_id,
        name=str(raw.get("name") or fund_id),
        field=_string(raw.get("field"), f"{here}.field", "field", fund_id),
        sector=_string(raw.get("sector"), f"{here}.sector", "sector", fund_id),
        size=_string(raw.get("size"), f"{here}.size", "size", fund_id),
        eligible=eligible,
        capacity=None
        if capacity is None
        else _number(raw, "capacity", None, low=0, path=f"{here}.capacity", fund=fund_id),
        score=None if score is None else _number(raw, "score", None, path=f"{here}.score"),
        inflow=_inflow(raw.get("inflow", {}), here, fund_id, municipalities),
        extent=_extent(raw.get("extent") or [], here, fund_id, municipalities),
    )


def _inflow(
    value: Any, here: str, fund_id: str, municipalities: Mapping[str, Municipality]
) -> Mapping[str, float]:
    raw = _mapping(value, f"{here}.inflow", fund_id)
    inflow: dict[str, float] = {}
    for code in sorted(raw):
        if code not in municipalities:
            raise _unknown_code(f"{here}.inflow.{code}", code, fund_id)
        amount = raw[code]
        if not _is_number(amount) or amount < 0:
            raise ProblemError(
                f"{here}.inflow.{code}",
                f"inflow for kommune {code} skal være et tal ≥ 0, fik {_show(amount)}",
                f"inflow for municipality {code} must be a number ≥ 0, got {_show(amount)}",
                fund=fund_id,
            )
        if amount > 0:
            inflow[code] = float(amount)
    return inflow


def _extent(
    value: Any, here: str, fund_id: str, municipalities: Mapping[str, Municipality]
) -> tuple[str, ...]:
    entries = _list(value, f"{here}.extent", fund_id)
    regions = {m.region for m in municipalities.values()}
    for j, entry in enumerate(entries):
        known = entry == "national" or entry in municipalities
        if isinstance(entry, str) and entry.startswith("region:"):
            known = entry.split(":", 1)[1] in regions
        if not isinstance(entry, str) or not known:
            raise ProblemError(
                f"{here}.extent[{j}]",
                f"extent-elementet {_show(entry)} er hverken en kendt kommunekode, "
                "'region:<kode>' eller 'national'",
                f"extent entry {_show(entry)} is neither a known municipality code, "
                "'region:<code>' nor 'national'",
                fund=fund_id,
            )
    return tuple(entries)


def _targets(value: Any, n_funds: int) -> Targets:
    raw = _mapping(value, "targets")
    for key in raw:
        if key not in TARGET_KEYS:
            raise ProblemError(
                f"targets.{key}",
                f"ukendt mål '{key}'; kendte mål: {', '.join(TARGET_KEYS)}",
                f"unknown target '{key}'; known targets: {', '.join(TARGET_KEYS)}",
            )

    def num(key: str, default: float | None, **bounds: Any) -> float:
        return _number(raw, key, default, path=f"targets.{key}", **bounds)

    return Targets(
        volume=num("volume", None, low=0, strict=True),
        volume_tolerance=num("volume_tolerance", 0.10, low=0, high=1),
        min_share=num("min_share", 0.25, low=0, high=1),
        max_share=num("max_share", 1.0, low=0, high=1),
        funds_min=_count(raw, "funds_min", 1),
        funds_max=_count(raw, "funds_max", n_funds),
        treated_fraction=num("treated_fraction", 1.0, low=0, high=1, strict=True),
        max_treated_share=_max_treated(raw.get("max_treated_share", {})),
        min_comparison_share=num("min_comparison_share", 0.0, low=0, high=1),
        max_fund_share=num("max_fund_share", 1.0, low=0, high=1, strict=True),
    )


def _count(raw: Mapping[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if not _is_number(value) or value != int(value) or value < 0:
        raise ProblemError(
            f"targets.{key}",
            f"{key} skal være et helt tal ≥ 0, fik {_show(value)}",
            f"{key} must be a whole number ≥ 0, got {_show(value)}",
        )
    return int(value)


def _max_treated(value: Any) -> Mapping[str, float]:
    raw = _mapping(value, "targets.max_treated_share")
    result: dict[str, float] = {}
    for dimension in sorted(raw):
        path = f"targets.max_treated_share.{dimension}"
        if dimension not in DIMENSIONS:
            raise ProblemError(
                path,
                f"ukendt dimension '{dimension}'; brug {', '.join(DIMENSIONS)}",
                f"unknown dimension '{dimension}'; use {', '.join(DIMENSIONS)}",
            )
        result[dimension] = _number(raw, dimension, None, low=0, path=path)
    return result


def _weights(value: Any) -> Mapping[str, float]:
    raw = _mapping(value if value is not None else {}, "weights")
    for key in raw:
        if key not in DEFAULT_WEIGHTS:
            raise ProblemError(
                f"weights.{key}",
                f"ukendt vægt '{key}'; kendte vægte: {', '.join(DEFAULT_WEIGHTS)}",
                f"unknown weight '{key}'; known weights: {', '.join(DEFAULT_WEIGHTS)}",
            )
    return {
        key: _number(raw, key, default, low=0, path=f"weights.{key}")
        for key, default in DEFAULT_WEIGHTS.items()
    }


def _granularity(value: Any) -> str:
    if value not in GRANULARITIES:
        raise ProblemError(
            "granularity",
            f"granularity skal være en af {', '.join(GRANULARITIES)}, fik {_show(value)}",
            f"granularity must be one of {', '.join(GRANULARITIES)}, got {_show(value)}",
        )
    return str(value)


def _locks(data: Mapping[str, Any], side: str, funds: Sequence[Fund]) -> frozenset[str]:
    locks = _mapping(data.get("locks") or {}, "locks")
    ids = _list(locks.get(side, []), f"locks.{side}")
    known = {fund.id for fund in funds}
    for j, fund_id in enumerate(ids):
        if fund_id not in known:
            raise ProblemError(
                f"locks.{side}[{j}]",
                f"{_show(fund_id)} er ikke id for en a-kasse i funds",
                f"{_show(fund_id)} is not the id of a fund in funds",
            )
    if side == "exclude":
        both = sorted(set(ids) & set(locks.get("include", [])))
        if both:
            raise ProblemError(
                "locks.exclude",
                f"{', '.join(both)} står både i include og exclude",
                f"{', '.join(both)} is both in include and exclude",
                fund=both[0],
            )
    return frozenset(ids)


def _baseline(value: Any) -> float:
    raw = _mapping(value if value is not None else {}, "evaluation")
    return _number(raw, "baseline_rate", 0.5, low=0, high=1, path="evaluation.baseline_rate")


def _population(
    value: Any, funds: Sequence[Fund], municipalities: Mapping[str, Municipality]
) -> Mapping[str, Mapping[str, float]]:
    raw = _mapping(value if value is not None else {}, "population")
    for key in raw:
        if key not in DIMENSIONS:
            raise ProblemError(
                f"population.{key}",
                f"ukendt dimension '{key}'; brug {', '.join(DIMENSIONS)}",
                f"unknown dimension '{key}'; use {', '.join(DIMENSIONS)}",
            )
    computed = computed_population(funds, municipalities)
    return {
        dimension: _given_shares(raw[dimension], dimension)
        if dimension in raw
        else computed[dimension]
        for dimension in DIMENSIONS
    }


def _given_shares(value: Any, dimension: str) -> Mapping[str, float]:
    raw = _mapping(value, f"population.{dimension}")
    shares = {
        category: _number(
            raw, category, None, low=0, high=1, path=f"population.{dimension}.{category}"
        )
        for category in sorted(raw)
    }
    total = sum(shares.values())
    if abs(total - 1) > SHARE_SUM_TOLERANCE:
        raise ProblemError(
            f"population.{dimension}",
            f"andelene for {dimension} skal summere til 1, men summerer til {total:.4g}",
            f"the shares for {dimension} must sum to 1 but sum to {total:.4g}",
        )
    return shares


def computed_population(
    funds: Sequence[Fund], municipalities: Mapping[str, Municipality]
) -> dict[str, dict[str, float]]:
    """Population shares from all funds' inflow, as the contract defines them."""
    sums: dict[str, dict[str, float]] = {d: {} for d in DIMENSIONS}
    for fund in funds:
        for dimension in FUND_DIMENSIONS:
            bucket = sums[dimension]
            key = fund.category(dimension)
            bucket[key] = bucket.get(key, 0.0) + fund.total_inflow
        for code, amount in fund.inflow.items():
            region = municipalities[code].region
            sums["region"][region] = sums["region"].get(region, 0.0) + amount
    total = sum(fund.total_inflow for fund in funds)
    return {
        dimension: {key: (v / total if total > 0 else 0.0) for key, v in sorted(bucket.items())}
        for dimension, bucket in sums.items()
    }
