"""The output contract ``selection-proposal/1`` as a frozen dataclass.

The figures in a proposal are recomputed from the chosen funds and municipalities with
``selection.figures``, so they are exactly what the contract's semantics give, whatever the solver
reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from selection.engine import relative_gap
from selection.figures import Selection, compute_figures
from selection.problem import DIMENSIONS, Problem

PROPOSAL_SCHEMA = "selection-proposal/1"


@dataclass(frozen=True)
class SelectedFund:
    """One chosen fund; ``municipality_names`` (code -> name, from the problem) is written after
    the contract keys so a reader of the JSON needs no problem file to name the places."""

    id: str
    municipalities: tuple[str, ...]
    treated_volume: float
    municipality_names: Mapping[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "municipalities": list(self.municipalities),
            "treated_volume": self.treated_volume,
        }
        if self.municipality_names is not None:
            data["municipality_names"] = {
                code: self.municipality_names[code] for code in self.municipalities
            }
        return data


@dataclass(frozen=True)
class Proposal:
    """A ``selection-proposal/1`` plus optional extensions (None when not asked for)."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    selected: tuple[SelectedFund, ...]
    volume: float | None
    share_of_national_inflow: float | None
    deviation: Mapping[str, float] | None
    shares: Mapping[str, Mapping[str, Mapping[str, float]]] | None
    solve_seconds: float
    infeasibility: tuple[str, ...] | None
    solver: str = "highs"
    message: str | None = None
    extensions: Mapping[str, Any] | None = None

    @property
    def selection(self) -> dict[str, tuple[str, ...]]:
        return {s.id: s.municipalities for s in self.selected}

    @property
    def selected_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.selected)

    def with_extensions(self, **extra: Any) -> Proposal:
        merged = dict(self.extensions or {})
        merged.update({k: v for k, v in extra.items() if v is not None})
        return _replace(self, extensions=merged)

    def to_json(self) -> dict[str, Any]:
        """The contract keys first, in the contract's order, then the extensions."""
        data: dict[str, Any] = {
            "schema": PROPOSAL_SCHEMA,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "selected": [s.to_json() for s in self.selected],
            "volume": self.volume,
            "share_of_national_inflow": self.share_of_national_inflow,
            "deviation": dict(self.deviation) if self.deviation is not None else None,
            "shares": _plain(self.shares),
            "solve_seconds": self.solve_seconds,
            "infeasibility": list(self.infeasibility) if self.infeasibility is not None else None,
            "solver": self.solver,
        }
        if self.message is not None:
            data["message"] = self.message
        for key, value in sorted((self.extensions or {}).items()):
            data[key] = _plain(value)
        return data


def _replace(proposal: Proposal, **changes: Any) -> Proposal:
    return replace(proposal, **changes)


def _plain(value: Any) -> Any:
    """Extensions may hold dataclasses with ``to_json``; turn everything into JSON data."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# --- proposals -------------------------------------------------------------------------------


def proposal_from_selection(
    problem: Problem,
    selection: Selection,
    *,
    status: str,
    bound: float | None,
    seconds: float,
    solver: str,
) -> Proposal:
    """A proposal whose figures are the semantics' figures of ``selection``."""
    figures = compute_figures(problem, selection)
    if bound is not None:
        bound = min(bound, figures.objective)
    return Proposal(
        status=status,
        objective=figures.objective,
        bound=bound,
        gap=relative_gap(figures.objective, bound) if bound is not None else None,
        selected=tuple(
            SelectedFund(
                f,
                tuple(selection[f]),
                figures.treated[f],
                {code: problem.municipalities[code].name for code in selection[f]},
            )
            for f in sorted(selection)
        ),
        volume=figures.volume,
        share_of_national_inflow=figures.share_of_national_inflow,
        deviation=dict(figures.deviation),
        shares={
            d: {
                c: {"target": problem.share(d, c), "achieved": figures.achieved(d, c)}
                for c in problem.categories(d)
            }
            for d in DIMENSIONS
        },
        solve_seconds=seconds,
        infeasibility=None,
        solver=solver,
    )


def empty_proposal(
    status: str,
    seconds: float,
    solver: str,
    *,
    infeasibility: tuple[str, ...] | None = None,
    message: str | None = None,
) -> Proposal:
    """A proposal without a selection (``infeasible`` or ``error``)."""
    return Proposal(
        status=status,
        objective=None,
        bound=None,
        gap=None,
        selected=(),
        volume=None,
        share_of_national_inflow=None,
        deviation=None,
        shares=None,
        solve_seconds=seconds,
        infeasibility=infeasibility,
        solver=solver,
        message=message,
    )
