"""The registry of the optimizer's relaxable constraint families.

One entry per target a diagnosis may leave out or make elastic, in the order the deletion filter
tries them. The model (``selection.model``) leaves out the rows named in ``rows`` when asked
to, the diagnosis (``selection.diagnose``) works on the entries' names, and the relaxations
(``selection.relax``) find each entry's elastic form by its ``elastic`` key and name it to the
user with ``da`` / ``en``. Everything else in the model (eligibility, links, cover, the
objective) is structural and never relaxed.

Two names per family: ``name`` is what a reader sees as one requirement and what a
diagnosis reports (``volume_low``); ``rows`` are the model's row families it stands for
(``volume_band_low`` and ``min_share`` both bound the volume from below). A row family is the
first part of its rows' names (``capacity__HK``); for the caps on treated volume it also
carries the dimension (rows ``max_treated_share__field__…`` belong to
``max_treated_share:field``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from selection.problem import DIMENSIONS

VOLUME = "volume"
"""The ``elastic`` key of the two volume families, the agreement's headline figure."""


@dataclass(frozen=True)
class Family:
    """One relaxable family: its name, its rows in the model, its elastic form, its words."""

    name: str
    rows: tuple[str, ...]  # the model's row families (build_model's ``omit`` keys)
    elastic: str  # the key of its elastic form in ``selection.relax``
    da: str  # what a user calls it, Danish: "kapaciteten"
    en: str  # and English: "the capacities"

    @property
    def is_volume(self) -> bool:
        """A bound on the volume (the agreement's headline figure) rather than a rule that
        may limit it."""
        return self.elastic == VOLUME


def capped(dimension: str) -> str:
    """The family (and row family) of the cap on treated volume per category of ``dimension``."""
    return f"max_treated_share:{dimension}"


def row_family(constraint: str) -> str:
    """The row family of a constraint name: ``capacity__HK`` -> ``capacity``,
    ``max_treated_share__field__academic`` -> ``max_treated_share:field``."""
    head, *rest = constraint.split("__")
    return capped(rest[0]) if head == "max_treated_share" and rest else head


def _alone(name: str, elastic: str, da: str, en: str) -> Family:
    """A family of one row family with the same name."""
    return Family(name, (name,), elastic, da, en)


FAMILIES: tuple[Family, ...] = (
    _alone("lock_exclude", "locks", "låsene (låst ude)", "the locks (locked out)"),
    _alone("lock_include", "locks", "låsene (låst ind)", "the locks (locked in)"),
    _alone("fund_share", "fund_share", "loftet for én a-kasses andel", "the cap per fund"),
    *(
        _alone(capped(d), "max_treated_share", "loftet for behandlede", "the cap on treated")
        for d in DIMENSIONS
    ),
    _alone("funds_max", "funds_count", "det største antal a-kasser", "the maximum number of funds"),
    _alone("funds_min", "funds_count", "det mindste antal a-kasser", "the minimum number of funds"),
    _alone(
        "comparison", "comparison", "kravet til sammenligningsgruppen", "the comparison-group rule"
    ),
    _alone("capacity", "capacity", "kapaciteten", "the capacities"),
    Family(
        "volume_high",
        ("volume_band_high", "max_share"),
        VOLUME,
        "volumenkravet opadtil",
        "the upper volume requirement",
    ),
    Family(
        "volume_low",
        ("volume_band_low", "min_share"),
        VOLUME,
        "volumenkravet nedadtil",
        "the lower volume requirement",
    ),
)
"""Every relaxable family, in the deletion filter's order."""

BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}
ROWS: tuple[str, ...] = tuple(row for f in FAMILIES for row in f.rows)
"""Every relaxable row family of the model."""


def family(name: str) -> Family:
    """The family called ``name``; ``KeyError`` for an unknown name."""
    return BY_NAME[name]


def rows_of(names: Iterable[str]) -> tuple[str, ...]:
    """Families and row families -> the model's row families (a row family stays as it is)."""
    result: list[str] = []
    for name in names:
        result += BY_NAME[name].rows if name in BY_NAME else (name,)
    return tuple(result)
