"""The coverage of a ``selection-proposal/1`` (from ``python -m selection propose``) as map input.

Read from the proposal alone: ``selected[].id`` and ``selected[].municipalities``. Per
municipality the value is how many chosen a-kasser cover it (0 where none does) and the label
names them; ``status``, ``volume`` and ``share_of_national_inflow`` go into the note. geo does
not import ``selection``: this reads the JSON as plain data.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from geo.errors import MapInputError
from geo.maps import format_number, format_percent

PROPOSAL_SCHEMA = "selection-proposal/1"
TITLE = "De valgte a-kassers dækning"
LEGEND_TITLE = "Antal valgte a-kasser"
STATUS_WORDS = {"optimal": "bevist optimalt", "feasible": "gyldigt, ikke bevist optimalt"}


def is_proposal(data: Mapping[str, Any]) -> bool:
    """Whether ``data`` is a ``selection-proposal/1`` (and not a coverage JSON)."""
    return data.get("schema") == PROPOSAL_SCHEMA


@dataclass(frozen=True)
class ProposalCoverage:
    """Which chosen a-kasser cover each municipality, with the proposal's headline figures."""

    funds: Mapping[str, tuple[str, ...]]
    """Municipality code -> sorted ids of the chosen funds covering it (covered ones only)."""
    status: str
    fund_count: int
    volume: float | None
    share: float | None

    def values(self, codes: Collection[str]) -> dict[str, float | None]:
        """The number of covering funds for every code in ``codes`` and every covered code."""
        result: dict[str, float | None] = dict.fromkeys(codes, 0.0)
        result.update({code: float(len(ids)) for code, ids in self.funds.items()})
        return result

    def labels(self) -> dict[str, str]:
        """Covered municipality code -> ``"AKA, HK"``, for the map's titles."""
        return {code: ", ".join(ids) for code, ids in self.funds.items()}

    def note(self) -> str:
        """One Danish sentence on the proposal: status, number of funds, volume and share."""
        funds = f"{self.fund_count} a-kasse" + ("" if self.fund_count == 1 else "r")
        text = f"Forslag ({STATUS_WORDS.get(self.status, self.status)}): {funds}"
        if self.volume is not None:
            text += f", {format_number(round(self.volume))} forløb om året"
        if self.share is not None:
            text += f" ({format_percent(self.share)} af tilgangen)"
        return text + "."

    def covered_excluded(self, excluded: Collection[str]) -> dict[str, tuple[str, ...]]:
        """Covered municipalities that are on ``excluded``, with the funds covering them."""
        return {code: ids for code, ids in sorted(self.funds.items()) if code in excluded}


def proposal_coverage(data: Mapping[str, Any]) -> ProposalCoverage:
    """Read the coverage of a proposal; ``MapInputError`` names what is missing or wrong."""
    status = data.get("status")
    selected = data.get("selected")
    if not isinstance(selected, list):
        raise MapInputError("forslaget mangler listen 'selected'")
    if not selected:
        raise MapInputError(
            f"forslaget har status {status!r} og ingen valgte a-kasser; der er intet at tegne"
        )
    covering: dict[str, set[str]] = {}
    for i, entry in enumerate(selected):
        fund = entry.get("id") if isinstance(entry, Mapping) else None
        codes = entry.get("municipalities") if isinstance(entry, Mapping) else None
        if not isinstance(fund, str) or not fund:
            raise MapInputError(f"selected[{i}]: 'id' skal være en tekst, fik {fund!r}")
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise MapInputError(
                f"selected[{i}] (id '{fund}'): 'municipalities' skal være en liste af "
                f"kommunekoder, fik {codes!r}"
            )
        for code in codes:
            covering.setdefault(code, set()).add(fund)
    return ProposalCoverage(
        funds={code: tuple(sorted(ids)) for code, ids in sorted(covering.items())},
        status=str(status),
        fund_count=len({entry["id"] for entry in selected}),
        volume=_number(data.get("volume")),
        share=_number(data.get("share_of_national_inflow")),
    )


def problem_exclusions(data: Mapping[str, Any]) -> frozenset[str]:
    """The frikommuner of a ``selection-problem/1``: its ``excluded_municipalities``."""
    codes = data.get("excluded_municipalities", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise MapInputError(
            f"problemets 'excluded_municipalities' skal være en liste af kommunekoder, "
            f"fik {codes!r}"
        )
    return frozenset(codes)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
