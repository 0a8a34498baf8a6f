"""The next-best proposals: distinct sets of a-kasser in objective order.

One model is reused: after each solve a no-good cut on the fund-selection binaries removes the
set just found (``selection.model.add_nogood``), and the model is solved again. Each alternative
is solved to the same standard as the best proposal, so they come out in objective order; the
distance to the best and a diff ("HK ud, Krifa ind") come with each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from selection import text as t
from selection.engine import OPTIMALITY_GAP, solve_model
from selection.model import Model, add_nogood
from selection.proposal import Proposal, proposal_from_selection


@dataclass(frozen=True)
class Alternative:
    rank: int  # 1 = the best proposal's first runner-up
    proposal: Proposal
    distance: float  # objective − the best proposal's objective
    added: tuple[str, ...]  # funds in this alternative but not in the best
    removed: tuple[str, ...]  # funds in the best but not in this alternative

    def diff(self, lang: str = "da") -> str:
        """``HK ud, Krifa ind`` (da) / ``HK out, Krifa in`` (en)."""
        out_word, in_word = t.pick(lang, "ud", "out"), t.pick(lang, "ind", "in")
        parts = [f"{f} {out_word}" for f in self.removed] + [f"{f} {in_word}" for f in self.added]
        return ", ".join(parts)

    def text(self, lang: str = "da") -> str:
        p = self.proposal
        objective = t.decimal(p.objective or 0.0, lang)
        distance = t.decimal(self.distance, lang)
        return t.pick(
            lang,
            f"Alternativ {self.rank}: {self.diff('da')}; samlet afvigelse {objective} "
            f"(+{distance}), {t.number(p.volume or 0.0)} forløb om året.",
            f"Alternative {self.rank}: {self.diff('en')}; total deviation {objective} "
            f"(+{distance}), {t.number(p.volume or 0.0, 'en')} courses a year.",
        )

    def to_json(self) -> dict[str, Any]:
        data = self.proposal.to_json()
        for key in ("schema", "infeasibility", "solver"):
            data.pop(key, None)
        data.update(
            {
                "rank": self.rank,
                "distance": self.distance,
                "added": list(self.added),
                "removed": list(self.removed),
                "diff": {"da": self.diff("da"), "en": self.diff("en")},
                "text": {"da": self.text("da"), "en": self.text("en")},
            }
        )
        return data


def find_alternatives(
    model: Model,
    best: Proposal,
    count: int,
    *,
    time_limit: float,
    solver: str = "highs",
    gap: float = OPTIMALITY_GAP,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[Alternative, ...]:
    """Up to ``count`` next-best distinct fund sets (fewer if no more exist)."""
    found: list[Alternative] = []
    add_nogood(model, frozenset(best.selected_ids))
    best_ids = set(best.selected_ids)
    for rank in range(1, count + 1):
        outcome = solve_model(model, time_limit=time_limit, solver=solver, gap=gap, clock=clock)
        if outcome.selection is None:
            break
        proposal = proposal_from_selection(
            model.problem,
            outcome.selection,
            status=outcome.status,
            bound=outcome.bound,
            seconds=outcome.seconds,
            solver=solver,
        )
        ids = set(proposal.selected_ids)
        found.append(
            Alternative(
                rank=rank,
                proposal=proposal,
                distance=(proposal.objective or 0.0) - (best.objective or 0.0),
                added=tuple(sorted(ids - best_ids)),
                removed=tuple(sorted(best_ids - ids)),
            )
        )
        add_nogood(model, frozenset(ids))
    return tuple(found)
