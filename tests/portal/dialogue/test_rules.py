"""The pure rules of the dialogue meeting: distributions and what scores relied on."""

from __future__ import annotations

from portal.dialogue import rules


def test_distribution_has_every_scale_value_then_cannot_assess() -> None:
    dist = rules.distribution(0, 4, 2, [(3, None), (3, None), (None, None), (1, None)])
    assert [(b.score, b.count) for b in dist.bars] == [
        (0, 0),
        (1, 1),
        (2, 0),
        (3, 2),
        (4, 0),
        (None, 1),
    ]
    assert dist.total == 4
    assert dist.meeting == 2  # the two 3s; "cannot assess" never reaches a threshold


def test_distribution_names_only_the_funds_it_is_given_sorted() -> None:
    dist = rules.distribution(0, 4, 2, [(2, "HK"), (2, "3F"), (4, None)])
    assert {b.score: b.funds for b in dist.bars if b.count} == {2: ("3F", "HK"), 4: ()}


def test_a_score_off_the_scale_keeps_a_bar_of_its_own() -> None:
    dist = rules.distribution(1, 3, 2, [(5, None)])
    assert [b.score for b in dist.bars] == [1, 2, 3, 5, None]
    assert dist.total == 1


def test_empty_distribution() -> None:
    dist = rules.distribution(0, 4, 2, [])
    assert dist.total == 0 and dist.meeting == 0 and len(dist.bars) == 6


def test_reliance_counts_per_version_and_the_unlinked() -> None:
    relied = rules.reliance([2, 1, None, 2, None, 2])
    assert relied.by_version == ((1, 1), (2, 3))
    assert relied.unlinked == 2
