"""What the diagnosis (``selection.diagnose``) and the relaxations (``selection.relax``) share.

* :class:`Oracle`: feasibility and extreme values of the model with some families left out;
* :class:`Sentence` and :class:`Relaxation`: what both hand back, in Danish and English;
* :func:`volume_limits`: the volume interval the targets leave.

Both modules import this one and neither imports the other's internals (``diagnose`` calls
``relax``; ``relax`` knows nothing of ``diagnose``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pulp

from selection import families
from selection import text as t
from selection.engine import run
from selection.model import Model, build_model
from selection.problem import Problem


@dataclass(frozen=True)
class Sentence:
    da: str
    en: str

    def text(self, lang: str) -> str:
        return t.pick(lang, self.da, self.en)

    def to_json(self) -> dict[str, str]:
        return {"da": self.da, "en": self.en}


@dataclass(frozen=True)
class Relaxation:
    """A change to one target (family) that makes the problem feasible (alone or together)."""

    target: str
    current: float | None
    needed: float | None  # None: changing this target alone does not help
    sentence: Sentence
    detail: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "current": self.current,
            "needed": self.needed,
            "helps": self.needed is not None,
            "text": self.sentence.to_json(),
            "detail": self.detail,
        }


class Oracle:
    """Feasibility and extreme values of the model with some families left out.

    ``omit`` names families (``volume_low``) or the model's row families (``min_share``); the
    feasibility answers are cached per set of rows left out.
    """

    def __init__(self, problem: Problem, time_limit: float) -> None:
        self.problem = problem
        self.time_limit = time_limit
        self.cache: dict[frozenset[str], bool | None] = {}

    def model(self, omit: Iterable[str]) -> Model:
        model = build_model(self.problem, omit=families.rows_of(omit))
        model.prob.setObjective(pulp.LpAffineExpression())
        return model

    def feasible(self, omit: Iterable[str]) -> bool | None:
        """True / False, or None when the solver could not tell in time."""
        key = frozenset(families.rows_of(omit))
        if key not in self.cache:
            outcome = run(self.model(key), time_limit=self.time_limit)
            self.cache[key] = None if outcome.status == "error" else outcome.status != "infeasible"
        return self.cache[key]

    def optimum(
        self, omit: Iterable[str], objective: Callable[[Model], Any], sense: int
    ) -> tuple[float, Model] | None:
        """The optimum of ``objective`` (built on the model), None if infeasible or unknown."""
        model = self.model(omit)
        model.prob.sense = sense
        model.prob.setObjective(objective(model))
        outcome = run(model, time_limit=self.time_limit)
        if outcome.status not in ("optimal", "feasible"):
            return None
        return float(pulp.value(model.prob.objective) or 0.0), model


def volume_limits(problem: Problem) -> tuple[float, float]:
    """The volume interval the band and the share bounds leave."""
    targets, n = problem.targets, problem.national_inflow
    low, high = targets.band
    return max(low, targets.min_share * n), min(high, targets.max_share * n)
