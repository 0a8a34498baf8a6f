"""The one exception hierarchy of the geo package.

Messages are written for the people who read them (Danish); every error carries the
structured facts (entry, line, key) as attributes so callers can present them differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class GeoError(Exception):
    """Base class of every error raised on purpose by geo."""


class UnknownEntryError(GeoError):
    """An extent entry (code, name or region) that matches nothing."""

    def __init__(self, entry: str, kind: str, suggestion: str | None) -> None:
        self.entry = entry
        self.kind = kind
        self.suggestion = suggestion
        hint = f" — mente du '{suggestion}'?" if suggestion else ""
        super().__init__(f"ukendt {kind} '{entry}'{hint}")


class ExclusionListError(GeoError):
    """An exclusion list that cannot be found or read."""


class ExcludedCoverageError(GeoError):
    """Chosen pairs cover a municipality on the exclusion list."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.pairs = tuple(pairs)
        listed = ", ".join(f"{fund} i {code}" for fund, code in self.pairs)
        super().__init__(f"udelukkede kommuner kan ikke dækkes: {listed}")


class UnknownKeyError(GeoError):
    """A fund id or municipality code that is not in the reference data."""


@dataclass(frozen=True)
class CSVProblem:
    """One problem on one line of an imported CSV file.

    ``code`` names the kind of problem for callers that word it themselves
    (``missing_columns``, ``unknown_fund``, ``unknown_municipality``, ``bad_year``,
    ``not_a_number``, ``negative``, ``duplicate``); ``first_line`` is the earlier line a
    duplicate repeats.
    """

    line: int
    key: str
    value: str
    message: str
    code: str = ""
    first_line: int | None = None

    def __str__(self) -> str:
        return f"linje {self.line}: {self.message} ({self.key}={self.value!r})"


class InflowCSVError(GeoError):
    """An inflow CSV file with at least one invalid line; nothing of it was used."""

    def __init__(self, problems: Sequence[CSVProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(f"tilgangsfilen har {count} fejl, intet er indlæst:\n{lines}")


class BoundaryFileError(GeoError):
    """A boundary file that cannot be read or lacks the expected columns."""


class MapInputError(GeoError):
    """Map input (values, coverage JSON) that cannot be drawn."""
