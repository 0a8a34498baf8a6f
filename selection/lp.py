"""The few PuLP calls that differ between PuLP 2.x and 3.x (pyproject allows both).

PuLP 3 deprecates constructing ``LpVariable`` directly and using ``prob.constraints`` as a
mapping (PuLP 4 removes both); PuLP 2 lacks the replacements.
"""

from __future__ import annotations

import pulp


def variable(
    prob: pulp.LpProblem,
    name: str,
    low: float | None = None,
    up: float | None = None,
    cat: str = pulp.LpContinuous,
) -> pulp.LpVariable:
    """A new variable of ``prob``."""
    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, lowBound=low, upBound=up, cat=cat)
    return pulp.LpVariable(name, lowBound=low, upBound=up, cat=cat)


def binary(prob: pulp.LpProblem, name: str) -> pulp.LpVariable:
    return variable(prob, name, 0, 1, pulp.LpBinary)


def constraint_names(prob: pulp.LpProblem) -> tuple[str, ...]:
    """The names of all constraints, in insertion order."""
    constraints = prob.constraints
    if callable(constraints):
        return tuple(str(c.name) for c in constraints())
    return tuple(constraints)
