"""A geographic extent as the portal keeps it: requested by an a-kasse or approved by STAR.

One value type for the form, the pages, the receipt and the approved extent. It is stored as
a list of entries: `["national"]`, `["region:1084", ...]` or municipality codes (`["101"]`).
Resolving it to covered municipalities always names the call's own exclusion list: there is
no default list in the portal.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext, ngettext

from geo.errors import GeoError
from geo.extents import resolve_extent
from geo.geometry import MapGeometry
from geo.mapdata import MapWords
from geo.maps import render_map
from geo.reference import exclusion_list, municipalities, regions
from portal.maps import map_geometry, map_words

NATIONAL = "national"
REGION_PREFIX = "region:"


class ExtentKind(enum.StrEnum):
    NATIONAL = "national"
    REGIONS = "regions"
    MUNICIPALITIES = "municipalities"


@dataclass(frozen=True)
class Extent:
    kind: ExtentKind | None
    regions: tuple[str, ...] = ()  # region codes
    municipalities: tuple[str, ...] = ()  # municipality codes

    @classmethod
    def parse(cls, entries: Sequence[str] | None) -> Extent:
        """The extent stored as entries (an empty list is "not chosen yet")."""
        entries = list(entries or [])
        if not entries:
            return cls(None)
        if NATIONAL in entries:
            return cls(ExtentKind.NATIONAL)
        regions = tuple(sorted({e.removeprefix(REGION_PREFIX) for e in entries if _is_region(e)}))
        codes = tuple(sorted({e for e in entries if not _is_region(e)}))
        if regions and not codes:
            return cls(ExtentKind.REGIONS, regions=regions)
        return cls(ExtentKind.MUNICIPALITIES, regions=regions, municipalities=codes)

    @classmethod
    def chosen(
        cls, kind: str | None, regions: Sequence[str], municipalities: Sequence[str]
    ) -> Extent:
        """From a form's choice: the kind decides which of the two lists counts."""
        if kind == ExtentKind.NATIONAL:
            return cls(ExtentKind.NATIONAL)
        if kind == ExtentKind.REGIONS:
            return cls(ExtentKind.REGIONS, regions=tuple(sorted(set(regions))))
        if kind == ExtentKind.MUNICIPALITIES:
            return cls(ExtentKind.MUNICIPALITIES, municipalities=tuple(sorted(set(municipalities))))
        return cls(None)

    @classmethod
    def of_municipalities(cls, codes: Sequence[str]) -> Extent:
        return cls(ExtentKind.MUNICIPALITIES, municipalities=tuple(sorted(set(codes))))

    @property
    def is_empty(self) -> bool:
        return self.kind is None

    def entries(self) -> list[str]:
        """The stored form."""
        if self.kind == ExtentKind.NATIONAL:
            return [NATIONAL]
        return [f"{REGION_PREFIX}{code}" for code in self.regions] + list(self.municipalities)

    def resolve(self, exclusion_list_name: str) -> tuple[str, ...]:
        """The covered municipality codes, minus the call's exclusion list."""
        if self.is_empty:
            return ()
        return _resolved(tuple(self.entries()), exclusion_list_name)

    def excluded(self, exclusion_list_name: str) -> tuple[str, ...]:
        """The requested municipality codes that the call's exclusion list takes out."""
        if self.is_empty:
            return ()
        return _excluded(tuple(self.entries()), exclusion_list_name)

    def describe_effective(
        self, exclusion_list_name: str, municipality_names: Mapping[str, str]
    ) -> str:
        """What remains of the request once the call's frikommuner are taken out, in words:
        the number of municipalities that can take part, and which ones were taken out."""
        if self.is_empty:
            return gettext("Ingen geografisk udstrækning angivet")
        try:
            covered = self.resolve(exclusion_list_name)
            excluded = self.excluded(exclusion_list_name)
        except GeoError:  # stored before validation was this strict
            return gettext("Kan ikke opgøres")
        if not covered:
            return gettext("Ingen kommuner: alle de ønskede kommuner er frikommuner")
        count = ngettext("%(num)d kommune", "%(num)d kommuner", len(covered))
        if not excluded:
            return count
        names = ", ".join(sorted(municipality_names.get(c, c) for c in excluded))
        return gettext("%(count)s (frikommuner taget fra: %(names)s)", count=count, names=names)

    def describe(
        self, region_names: Mapping[str, str], municipality_names: Mapping[str, str]
    ) -> str:
        """In words, in the user's language: "Hele landet", region names, or municipalities."""
        if self.is_empty:
            return gettext("Ingen geografisk udstrækning angivet")
        if self.kind == ExtentKind.NATIONAL:
            return gettext("Hele landet")
        parts = [", ".join(region_names.get(c, c) for c in self.regions)] if self.regions else []
        if self.municipalities:
            names = sorted(municipality_names.get(c, c) for c in self.municipalities)
            count = ngettext("%(num)d kommune", "%(num)d kommuner", len(names))
            parts.append(f"{count}: {', '.join(names)}")
        return "; ".join(parts)


def extent_map(extent: Extent, exclusion_list_name: str, *, title: str, legend: str) -> str:
    """The extent on the portal's map (SVG, see `portal.maps`); the call's frikommuner hatched,
    never covered."""
    try:
        codes = extent.resolve(exclusion_list_name)
    except GeoError:  # stored before validation was this strict: show the map without it
        codes = ()
    return _map_svg(
        codes,
        exclusion_list_name,
        str(title),
        str(legend),
        gettext("ja"),
        map_geometry(),
        map_words(),
    )


@lru_cache(maxsize=512)
def _map_svg(
    codes: tuple[str, ...],
    exclusion_list_name: str,
    title: str,
    legend: str,
    yes: str,
    geometry: MapGeometry | None,
    words: MapWords,
) -> str:
    """Rendering costs milliseconds and depends only on its arguments: kept per process (the
    geometry is the same object while its file is unchanged, see `portal.maps`)."""
    values: dict[str, float | None] = {code: None for code in municipalities().index}
    values.update({code: 1.0 for code in codes})
    return render_map(
        values,
        title=title,
        geometry=geometry,
        excluded=exclusion_list(exclusion_list_name),
        legend_title=legend,
        value_format=lambda _v: yes,
        id_prefix="extent",
        words=words,
    )


@lru_cache(maxsize=4096)
def _resolved(entries: tuple[str, ...], exclusion_list_name: str) -> tuple[str, ...]:
    """Resolution depends only on `geo`'s reference data, which is fixed for the process."""
    return resolve_extent(list(entries), exclusion_list(exclusion_list_name)).codes


@lru_cache(maxsize=4096)
def _excluded(entries: tuple[str, ...], exclusion_list_name: str) -> tuple[str, ...]:
    resolved = resolve_extent(list(entries), exclusion_list(exclusion_list_name))
    return tuple(str(code) for code in resolved.excluded.index)


@dataclass(frozen=True)
class ReferenceNames:
    """Names of the regions and municipalities and each municipality's region, from `geo`'s
    reference data (which `load-reference-data` puts in the database): fixed for the process."""

    regions: dict[str, str]
    municipalities: dict[str, str]
    region_of: dict[str, str]


@lru_cache(maxsize=1)
def reference_names() -> ReferenceNames:
    munis = municipalities()
    return ReferenceNames(
        regions={str(code): str(name) for code, name in regions()["name"].items()},
        municipalities={str(code): str(name) for code, name in munis["name"].items()},
        region_of={str(code): str(region) for code, region in munis["region_code"].items()},
    )


def extent_in_words(entries: list[str] | None) -> str:
    """A requested or approved extent in words ("Region Hovedstaden, Aarhus")."""
    names = reference_names()
    return Extent.parse(entries).describe(names.regions, names.municipalities)


def _is_region(entry: str) -> bool:
    return entry.startswith(REGION_PREFIX)
