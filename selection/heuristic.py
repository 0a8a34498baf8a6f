"""A quick feasible start for the solver (placeholder: none yet)."""

from __future__ import annotations

from selection.model import Model


def warm_start(model: Model) -> dict[str, float] | None:
    """Variable name -> value of a feasible selection, or None when none is found quickly."""
    del model
    return None
