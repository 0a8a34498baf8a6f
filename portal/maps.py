"""Which geometry the portal's maps are drawn on: official municipality boundaries when the
`BOUNDARY_FILE` setting names a boundary file (DAGI's municipalities as GeoJSON, GeoPackage or
Shapefile, with `KOMKODE`), else `geo`'s embedded tile map.

Every map the portal draws (the extents, the coverage of a proposal on its page and in the
PDFs) takes its geometry from `map_geometry()`. The boundaries are read once per process and
file version (`geo.boundaries.load_boundaries` caches them by path, modification time and
size), so a page costs one `stat` of the file; the first map after a start or a change of the
file costs the reading (about a second for DAGI's municipalities). Their attribution is drawn
under each map.

A configured file that cannot be used does not break a page: the error is logged once per file
version, and the maps are drawn on the tile map with a note under them saying that the
boundaries could not be loaded. Checking the file when the app starts would make every command
and the worker, which draw no maps, pay for reading it, and take the portal down over an
illustration whose facts are also in the tables beside it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import lru_cache

from flask import current_app, has_app_context
from flask_babel import gettext

from geo.boundaries import load_boundaries
from geo.errors import GeoError
from geo.files import boundary_file_signature
from geo.geometry import MapGeometry
from geo.mapdata import MapWords
from geo.tiles import tile_geometry
from portal.i18n import N_

log = logging.getLogger(__name__)

_reported: set[str] = set()

# The tile map's note, as `geo` draws it in Danish; other languages get their own.
TILE_NOTE = N_("Hver kommune vises som en lige stor sekskant, placeret efter dens beliggenhed.")


def map_words() -> MapWords:
    """The fixed words of every map (legend, tooltips) in the page's language."""
    return MapWords(
        excluded=gettext("frikommune – udelukket"),
        missing=gettext("ingen værdi"),
        region_border=gettext("regionsgrænse"),
    )


def map_geometry() -> MapGeometry | None:
    """The geometry for `geo.maps.render_map`: the official boundaries when configured and
    readable; None (the tile map) when not configured, or outside an app; the tile map with a
    note when the configured file cannot be used."""
    if not has_app_context():
        return None
    path = current_app.config.get("BOUNDARY_FILE")
    if not path:
        note = gettext(TILE_NOTE)
        return None if note == tile_geometry().note else _tiles_noted(note)
    found = _boundaries(str(path))
    if found is not None:
        return found
    return _tiles_with_note(
        gettext(
            "De officielle kommunegrænser kunne ikke indlæses, så kortet vises med sekskanter. "
            "Administratoren kan se årsagen i portalens log."
        )
    )


def _boundaries(path: str) -> MapGeometry | None:
    try:
        signature = boundary_file_signature(path)
    except GeoError as error:
        _report(path, error)
        return None
    return _load(signature)


@lru_cache(maxsize=4)
def _load(signature: tuple[str, int, int]) -> MapGeometry | None:
    """Per file version, failures included: a broken file is not read again on every map."""
    try:
        return load_boundaries(signature[0])
    except Exception as error:  # noqa: BLE001 - whatever is wrong with the file, pages draw on
        _report(signature[0], error)
        return None


def _report(path: str, error: Exception) -> None:
    """Log a file that cannot be used, once per process and error (not on every map)."""
    message = f"{type(error).__name__}: {error}"
    if message in _reported:
        return
    _reported.add(message)
    log.error("BOUNDARY_FILE %s cannot be used; maps are drawn on the tile map: %s", path, message)


@lru_cache(maxsize=4)
def _tiles_with_note(note: str) -> MapGeometry:
    """The tile map with `note` added under it (one object per language, so callers that
    cache maps by their geometry keep hitting their cache)."""
    return _tiles_noted(f"{gettext(TILE_NOTE)} {note}".strip())


@lru_cache(maxsize=8)
def _tiles_noted(note: str) -> MapGeometry:
    """The tile map with its note in another language (one object per note)."""
    return replace(tile_geometry(), note=note)
