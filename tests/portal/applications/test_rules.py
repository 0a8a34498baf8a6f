"""The pure rules behind a save conflict and an extent with nothing eligible."""

from __future__ import annotations

from dataclasses import replace

from portal.applications import rules


def _digests(values: dict[str, str]) -> dict[str, str]:
    return {name: rules.value_digest(value) for name, value in values.items()}


def test_merge_keeps_one_sided_changes_and_names_the_two_sided_ones() -> None:
    loaded = {"a": "x", "b": "x", "c": "x", "d": "x"}
    mine = {"a": "mine", "b": "x", "c": "mine", "d": "same"}
    theirs = {"a": "x", "b": "theirs", "c": "theirs", "d": "same"}
    merge = rules.merge_draft(_digests(loaded), mine, theirs)
    assert merge.taken == ("b",)  # only they changed it
    assert merge.conflicts == ("c",)  # both changed it differently; a and d need nothing


def test_merge_without_digests_asks_about_every_difference() -> None:
    merge = rules.merge_draft({}, {"a": "mine", "b": "x"}, {"a": "theirs", "b": "x"})
    assert merge == rules.Merge(taken=(), conflicts=("a",))


def _draft(**changes: object) -> rules.Draft:
    draft = rules.Draft(
        cvr="12345678",
        members=1,
        field="office_commerce",
        sector="mixed",
        answers={1: "Svar."},
        criteria=[(1, "Kapacitet")],
        extent=["region:1081"],
        capacity_courses=1,
        staff_fte=1.0,
        interviews_per_fte_week=1.0,
        contact_name="K",
        contact_email="k@example.dk",
        annex_pages=0,
        page_limit=10,
        page_limit_with_annexes=20,
    )
    return replace(draft, **changes)  # type: ignore[arg-type]


def _extent_item(draft: rules.Draft) -> rules.ChecklistItem:
    return next(item for item in rules.checklist(draft) if item.key == "extent")


def test_extent_with_nothing_eligible_is_not_done() -> None:
    item = _extent_item(_draft(eligible_municipalities=0))
    assert not item.done and item.problem and "kun frikommuner" in item.problem
    assert _extent_item(_draft(eligible_municipalities=25)).done
    assert _extent_item(_draft()).done  # not worked out: chosen is enough
    assert not _extent_item(_draft(extent=[], eligible_municipalities=0)).done
