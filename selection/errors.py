"""The one exception hierarchy of the selection package.

Every error carries a Danish and an English text; ``str(error)`` is the Danish one, which is what
a user of the portal or the command line reads first.
"""

from __future__ import annotations


class SelectionError(Exception):
    """Base class: something the caller can act on, described in Danish and English."""

    def __init__(self, da: str, en: str) -> None:
        super().__init__(da)
        self.da = da
        self.en = en

    def text(self, lang: str = "da") -> str:
        """The message in ``lang`` ("da" or "en")."""
        return self.en if lang == "en" else self.da


class ProblemError(SelectionError):
    """The problem JSON is unreadable or invalid.

    ``key`` is the full path of the offending value (``funds[3].capacity``), ``fund`` the id of
    the fund at fault when there is one. The message starts with where the error is, so a user can
    find it: ``funds[3] (id 'HK'): capacity skal være et tal ≥ 0, fik 'mange'``.
    """

    def __init__(self, key: str, da: str, en: str, *, fund: str | None = None) -> None:
        where = _where(key, fund)
        prefix = f"{where}: " if where else ""
        super().__init__(prefix + da, prefix + en)
        self.key = key
        self.fund = fund


class ProposalError(SelectionError):
    """A proposal JSON handed to ``check`` or ``explain`` cannot be read."""


class SolverError(SelectionError):
    """The solver failed or is not available (not: the problem is infeasible)."""


def _where(key: str, fund: str | None) -> str:
    """``funds[3].capacity`` with fund ``HK`` -> ``funds[3] (id 'HK')``; otherwise the parent."""
    if "." not in key:
        return ""
    parent = key.rsplit(".", 1)[0]
    if parent.endswith(".inflow"):
        parent = parent[: -len(".inflow")]
    if fund is not None and parent.startswith("funds["):
        head = parent.split("]", 1)[0] + "]"
        return f"{head} (id '{fund}')" + parent[len(head) :]
    return parent
