"""Geographic extents: resolve entries to the covered municipalities.

An entry is ``national``, ``region:<code or name>``, a municipality code (``101`` or DAGI's
``0101``) or a municipality name (case-insensitive; hyphen and space are the same, so
``Høje Taastrup`` is ``Høje-Taastrup``; a trailing ``Kommune`` is ignored). The result is the
sorted set of covered codes minus the exclusion list, with a report of what was excluded
and why.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from geo.errors import UnknownEntryError
from geo.reference import ExclusionList, exclusion_list, municipalities, normalise_code, regions

NATIONAL = "national"
REGION_PREFIX = "region:"
_ASCII_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u"})


@dataclass(frozen=True)
class Extent:
    """Resolved extent: covered codes, and the excluded ones with name, reason and source."""

    codes: tuple[str, ...]
    excluded: pd.DataFrame
    exclusion_list: str

    def __len__(self) -> int:
        return len(self.codes)


def resolve_extent(entries: Iterable[str], exclusions: ExclusionList | None = None) -> Extent:
    """Resolve extent entries to covered municipality codes minus ``exclusions``.

    ``exclusions`` defaults to the ``frikommuner-2019`` list. Raises
    :class:`~geo.errors.UnknownEntryError` for the first entry that matches nothing.
    """
    excl = exclusion_list() if exclusions is None else exclusions
    requested: dict[str, list[str]] = {}
    for entry in entries:
        for code in resolve_entry(entry):
            requested.setdefault(code, []).append(entry.strip())
    covered = tuple(sorted(c for c in requested if c not in excl))
    excluded = excl.to_frame().loc[sorted(c for c in requested if c in excl)]
    excluded.insert(0, "requested_by", [", ".join(requested[c]) for c in excluded.index])
    return Extent(codes=covered, excluded=excluded, exclusion_list=excl.name)


def resolve_entry(entry: str) -> tuple[str, ...]:
    """The municipality codes one entry stands for (before exclusions)."""
    text = entry.strip()
    if text.casefold() == NATIONAL:
        return tuple(municipalities().index)
    if text.casefold().startswith(REGION_PREFIX):
        return _region_members(text[len(REGION_PREFIX) :].strip(), text)
    return (_municipality_code(text),)


def normalise_name(name: str) -> str:
    """Compare names case-insensitively with hyphens, dots and repeated spaces folded."""
    folded = re.sub(r"[\s\-.]+", " ", name.casefold()).strip()
    return re.sub(r" kommune$", "", folded)


def _region_members(key: str, entry: str) -> tuple[str, ...]:
    code = _region_code(key, entry)
    towns = municipalities()
    return tuple(towns.index[towns["region_code"] == code])


def _region_code(key: str, entry: str) -> str:
    table = regions()
    if key in table.index:
        return key
    names = {normalise_name(n): c for c, n in table["name"].items()}
    names.update({k.removeprefix("region "): c for k, c in names.items()})
    if normalise_name(key) in names:
        return str(names[normalise_name(key)])
    by_name = {
        str(n).removeprefix("Region "): f"{REGION_PREFIX}{c}" for c, n in table["name"].items()
    }
    match = _closest(key.removeprefix("Region ").removeprefix("region "), list(by_name))
    raise UnknownEntryError(entry, "region", by_name[match] if match else None)


def _municipality_code(text: str) -> str:
    towns = municipalities()
    if text.isdigit():
        code = normalise_code(text)
        if code in towns.index:
            return code
        raise UnknownEntryError(text, "kommunekode", _closest(code, list(towns.index)))
    by_name = {normalise_name(n): c for c, n in towns["name"].items()}
    code_or_none = by_name.get(normalise_name(text))
    if code_or_none is None:
        raise UnknownEntryError(text, "kommune", _closest(text, list(towns["name"])))
    return str(code_or_none)


def _closest(text: str, candidates: list[str]) -> str | None:
    """The candidate closest to ``text``, comparing ASCII-folded lower-case forms."""

    def fold(s: str) -> str:
        return normalise_name(s).translate(_ASCII_FOLD)

    folded = {fold(c): c for c in candidates}
    match = difflib.get_close_matches(fold(text), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None
