"""The portal's extent value: parse, store, resolve against the call's own exclusion list."""

from __future__ import annotations

import pytest

from portal.extent import Extent, ExtentKind


@pytest.mark.parametrize(
    "entries",
    [["national"], ["region:1081", "region:1084"], ["101", "147"], []],
)
def test_extent_entries_round_trip(entries: list[str]) -> None:
    assert Extent.parse(entries).entries() == entries


def test_extent_chosen_keeps_only_the_list_of_its_kind() -> None:
    extent = Extent.chosen("regions", ["1084", "1081", "1084"], ["101"])
    assert extent == Extent(ExtentKind.REGIONS, regions=("1081", "1084"))
    assert Extent.chosen(None, ["1084"], ["101"]).is_empty


def test_extent_resolve_uses_the_named_exclusion_list() -> None:
    # Region Nordjylland (1081): Aalborg (851) is a 2019 frikommune.
    with_exclusions = Extent.parse(["region:1081"]).resolve("frikommuner-2019")
    without = Extent.parse(["region:1081"]).resolve("none")
    assert "851" in without and "851" not in with_exclusions
    assert set(with_exclusions) < set(without)


def test_extent_resolve_of_nothing_is_empty() -> None:
    assert Extent.parse([]).resolve("frikommuner-2019") == ()
