"""Pure Trin 2 rules: progress, sealed scoring, score checks, eligibility, calibration, extent."""

from __future__ import annotations

import pytest

from portal.assessment import rules
from portal.assessment.rules import (
    ExtentProblem,
    Progress,
    ScoreEntry,
    agreement_by_criterion,
    capacity_problem,
    deviation,
    extent_problems,
    flips_if_threshold_moves,
    is_conflicting,
    leniency,
    may_see_others_scores,
    progress_of,
    proposed_eligibility,
    score_problems,
    spread_by_criterion,
)

# --- progress ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "consolidated", "decided", "required", "expected"),
    [
        ([], False, False, 2, Progress.NOT_STARTED),
        (["draft"], False, False, 2, Progress.IN_PROGRESS),
        (["draft", "draft"], False, False, 2, Progress.IN_PROGRESS),
        (["submitted"], False, False, 2, Progress.IN_PROGRESS),
        (["submitted", "draft"], False, False, 2, Progress.IN_PROGRESS),
        (["submitted", "submitted"], False, False, 2, Progress.SUBMITTED),
        (["submitted"], False, False, 1, Progress.SUBMITTED),
        (["submitted", "submitted", "draft"], False, False, 2, Progress.SUBMITTED),
        (["submitted", "submitted"], True, False, 2, Progress.CONSOLIDATED),
        (["submitted", "submitted"], True, True, 2, Progress.DECIDED),
        ([], False, True, 2, Progress.DECIDED),
    ],
)
def test_progress_of_states(
    states: list[str], consolidated: bool, decided: bool, required: int, expected: Progress
) -> None:
    assert progress_of(states, consolidated, decided, required) is expected


def test_progress_of_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError, match="'done'"):
        progress_of(["submitted", "done"], False, False)


def test_progress_of_required_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="got 0"):
        progress_of([], False, False, required=0)


def test_progress_values_are_the_stored_strings() -> None:
    assert [p.value for p in Progress] == [
        "not_started",
        "in_progress",
        "submitted",
        "consolidated",
        "decided",
    ]


# --- sealed scoring ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("submitted", "lead", "consolidation", "expected"),
    [
        (False, False, False, False),  # a sealed assessor
        (True, False, False, True),  # submitted: may compare
        (False, True, False, True),  # the lead sees submitted assessments
        (True, True, False, True),
        (False, False, True, True),  # consolidation closed the individual round
        (True, False, True, True),
    ],
)
def test_may_see_others_scores_cases(
    submitted: bool, lead: bool, consolidation: bool, expected: bool
) -> None:
    assert may_see_others_scores(submitted, lead, consolidation) is expected


# --- score checks ------------------------------------------------------------------------------

SCALES = {1: 4, 2: 4, 3: 6}


@pytest.mark.parametrize(
    ("entry", "require_complete", "expected"),
    [
        (ScoreEntry(1, 3, "God begrundelse", False), False, None),
        (ScoreEntry(1, 0, "Nul er på skalaen", False), True, None),
        (ScoreEntry(1, 4, "Maks", False), True, None),
        (ScoreEntry(1, None, "Ikke belyst i ansøgningen", True), True, None),
        (ScoreEntry(1, 5, "For høj", False), False, rules.SCORE_OFF_SCALE),
        (ScoreEntry(1, -1, "For lav", False), False, rules.SCORE_OFF_SCALE),
        (ScoreEntry(1, 3, "", False), False, rules.JUSTIFICATION_MISSING),
        (ScoreEntry(1, 3, "   ", False), False, rules.JUSTIFICATION_MISSING),
        (ScoreEntry(1, None, "", True), False, rules.JUSTIFICATION_MISSING),
        (ScoreEntry(1, 2, "Begge", True), False, rules.SCORE_AND_CANNOT_ASSESS),
        (ScoreEntry(1, 9, "", True), False, rules.SCORE_AND_CANNOT_ASSESS),
        (ScoreEntry(1, 9, "", False), False, rules.SCORE_OFF_SCALE),
        (ScoreEntry(1, None, "", False), False, None),  # an untouched draft criterion
        (ScoreEntry(1, None, "Kun tekst", False), False, None),
        (ScoreEntry(1, None, "Kun tekst", False), True, rules.SCORE_MISSING),
        (ScoreEntry(1, None, "", False), True, rules.SCORE_MISSING),
    ],
)
def test_score_problems_single_entry(
    entry: ScoreEntry, require_complete: bool, expected: str | None
) -> None:
    problems = score_problems([entry], {1: 4}, require_complete)
    assert problems.get(1) == expected
    assert set(problems) <= {1}


def test_score_problems_draft_ignores_criteria_without_entries() -> None:
    assert score_problems([ScoreEntry(1, 2, "Ok")], SCALES, require_complete=False) == {}


def test_score_problems_submit_names_every_incomplete_criterion() -> None:
    entries = [ScoreEntry(1, 2, "Ok"), ScoreEntry(3, 7, "Uden for")]
    assert score_problems(entries, SCALES, require_complete=True) == {
        2: rules.SCORE_MISSING,
        3: rules.SCORE_OFF_SCALE,
    }


def test_score_problems_uses_each_criterions_own_scale() -> None:
    entries = [ScoreEntry(1, 6, "x"), ScoreEntry(3, 6, "x")]
    assert score_problems(entries, SCALES, require_complete=False) == {1: rules.SCORE_OFF_SCALE}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([ScoreEntry(9, 1, "x")], "unknown criterion 9"),
        ([ScoreEntry(1, 1, "x"), ScoreEntry(1, 2, "y")], "two entries for criterion 1"),
    ],
)
def test_score_problems_bad_entries_are_refused(entries: list[ScoreEntry], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_problems(entries, SCALES, require_complete=False)


def test_score_messages_are_distinct_danish_ids() -> None:
    messages = [
        rules.SCORE_AND_CANNOT_ASSESS,
        rules.SCORE_OFF_SCALE,
        rules.JUSTIFICATION_MISSING,
        rules.SCORE_MISSING,
    ]
    assert len(set(messages)) == len(messages)


# --- deviation and conflict --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected_deviation", "conflicting"),
    [
        ([], 0, False),
        ([3], 0, False),
        ([2, 2], 0, False),
        ([1, 2], 1, False),
        ([1, 3], 2, True),
        ([4, 0, 2], 4, True),
        ([3, 1, 2], 2, True),
    ],
)
def test_deviation_and_is_conflicting(
    scores: list[int], expected_deviation: int, conflicting: bool
) -> None:
    assert deviation(scores) == expected_deviation
    assert is_conflicting(scores) is conflicting


def test_is_conflicting_threshold_is_inclusive() -> None:
    assert is_conflicting([1, 4], threshold=3)
    assert not is_conflicting([1, 4], threshold=4)


# --- eligibility -------------------------------------------------------------------------------

THRESHOLDS = {1: 2, 2: 2, 3: 3}


@pytest.mark.parametrize(
    ("consolidated", "eligible", "failing"),
    [
        ({1: 2, 2: 3, 3: 3}, True, []),
        ({1: 4, 2: 4, 3: 4}, True, []),
        ({1: 1, 2: 3, 3: 3}, False, [1]),
        ({1: 2, 2: 2, 3: 2}, False, [3]),
        ({1: None, 2: 3, 3: 3}, False, [1]),
        ({1: 2, 3: 3}, False, [2]),
        ({3: 0, 2: 0, 1: 0}, False, [1, 2, 3]),
        ({1: 2, 2: 2, 3: 3, 99: 0}, True, []),
    ],
)
def test_proposed_eligibility_cases(
    consolidated: dict[int, int | None], eligible: bool, failing: list[int]
) -> None:
    assert proposed_eligibility(consolidated, THRESHOLDS) == (eligible, failing)


# --- calibration -------------------------------------------------------------------------------

# assessor -> (application, criterion) -> score
INDIVIDUAL = {
    10: {(1, 1): 3, (1, 2): 2, (2, 1): 4, (2, 2): 1},
    20: {(1, 1): 1, (1, 2): 2, (2, 1): 3, (2, 2): 3},
    30: {(3, 1): 2},
}
CONSOLIDATED = {(1, 1): 2, (1, 2): 2, (2, 1): 3, (2, 2): 2}


def test_leniency_is_mean_signed_deviation_over_shared_cells() -> None:
    # 10: +1, 0, +1, -1 -> 0.25; 20: -1, 0, 0, +1 -> 0.0; 30 shares no cell: absent.
    assert leniency(INDIVIDUAL, CONSOLIDATED) == {10: 0.25, 20: 0.0}


def test_leniency_lenient_assessor_is_positive() -> None:
    individual = {1: {(1, 1): 4, (2, 1): 3}}
    assert leniency(individual, {(1, 1): 2, (2, 1): 2, (3, 1): 0}) == {1: 1.5}


def test_spread_by_criterion_averages_over_cells_with_two_scores() -> None:
    # criterion 1: |3-1| = 2 and |4-3| = 1 -> 1.5 (application 3 has one score: skipped);
    # criterion 2: 0 and 2 -> 1.0.
    assert spread_by_criterion(INDIVIDUAL) == {1: 1.5, 2: 1.0}


def test_agreement_by_criterion_counts_within_one_by_default() -> None:
    # criterion 1: spreads 2, 1 -> 1 of 2; criterion 2: spreads 0, 2 -> 1 of 2.
    assert agreement_by_criterion(INDIVIDUAL) == {1: 0.5, 2: 0.5}


def test_agreement_by_criterion_within_zero_needs_identical_scores() -> None:
    assert agreement_by_criterion(INDIVIDUAL, within=0) == {1: 0.0, 2: 0.5}
    assert agreement_by_criterion(INDIVIDUAL, within=2) == {1: 1.0, 2: 1.0}


def test_calibration_without_shared_cells_is_empty() -> None:
    lonely = {1: {(1, 1): 2}, 2: {(2, 1): 3}}
    assert spread_by_criterion(lonely) == {}
    assert agreement_by_criterion(lonely) == {}


def test_flips_if_threshold_moves_counts_outcome_changes() -> None:
    thresholds = {1: 2, 2: 2}
    consolidated: dict[int, dict[int, int | None]] = {
        1: {1: 2, 2: 3},  # eligible; fails if criterion 1 moves up
        2: {1: 1, 2: 4},  # fails on 1 only; eligible if criterion 1 moves down
        3: {1: 1, 2: 1},  # fails on both: no single move flips it
        4: {1: 3, 2: 2},  # eligible; fails if criterion 2 moves up
        5: {1: None, 2: 3},  # None fails whatever the threshold
    }
    assert flips_if_threshold_moves(consolidated, thresholds) == {1: (1, 1), 2: (0, 1)}


def test_flips_if_threshold_moves_for_no_applications_is_zero() -> None:
    assert flips_if_threshold_moves({}, {1: 2}) == {1: (0, 0)}


# --- approved extent and capacity --------------------------------------------------------------

REQUESTED = {"101", "147", "151", "851"}
EXCLUDED = {"851"}


@pytest.mark.parametrize(
    ("approved", "eligible", "expected"),
    [
        ({"101", "147"}, True, []),
        ({"101", "265"}, True, [ExtentProblem(rules.EXTENT_NOT_REQUESTED, ("265",))]),
        ({"101", "851"}, True, [ExtentProblem(rules.EXTENT_EXCLUDED, ("851",))]),
        (
            {"851", "265", "173"},
            True,
            [
                ExtentProblem(rules.EXTENT_NOT_REQUESTED, ("173", "265")),
                ExtentProblem(rules.EXTENT_EXCLUDED, ("851",)),
            ],
        ),
        (set(), True, [ExtentProblem(rules.EXTENT_EMPTY, ())]),
        (set(), False, []),
        ({"101"}, False, [ExtentProblem(rules.EXTENT_NOT_ELIGIBLE, ())]),
    ],
)
def test_extent_problems_cases(
    approved: set[str], eligible: bool, expected: list[ExtentProblem]
) -> None:
    assert extent_problems(approved, REQUESTED, EXCLUDED, eligible=eligible) == expected


def test_extent_problems_code_both_unrequested_and_excluded_is_in_both() -> None:
    problems = extent_problems({"999"}, REQUESTED, {"999"})
    assert [p.codes for p in problems] == [("999",), ("999",)]


@pytest.mark.parametrize(
    ("approved", "declared", "expected"),
    [
        (5, 10, None),
        (10, 10, None),
        (1, None, None),
        (None, 10, rules.CAPACITY_MISSING),
        (0, 10, rules.CAPACITY_TOO_SMALL),
        (-3, None, rules.CAPACITY_TOO_SMALL),
        (11, 10, rules.CAPACITY_OVER_DECLARED),
    ],
)
def test_capacity_problem_cases(approved: int | None, declared: int | None, expected: str) -> None:
    assert capacity_problem(approved, declared) == expected
