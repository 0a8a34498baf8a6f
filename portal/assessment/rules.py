"""Pure rules of the agency's assessment (Trin 2): progress, sealed scoring, score checks,
consolidation, the eligibility proposal, calibration figures and the approved extent.

No Flask, no database: plain values in, plain values out. Texts are Danish message ids
(``N_``) that the caller translates. Ids are plain ints (applications, assessors, criteria)
and municipality codes are 3-digit strings.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import NamedTuple

from portal.i18n import N_

DRAFT = "draft"
SUBMITTED = "submitted"
ASSESSMENT_STATES = (DRAFT, SUBMITTED)

Cell = tuple[int, int]  # (application id, criterion id)

# --- progress ----------------------------------------------------------------------------------


class Progress(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    CONSOLIDATED = "consolidated"
    DECIDED = "decided"


def progress_of(
    assessment_states: Sequence[str], consolidated: bool, decided: bool, required: int = 2
) -> Progress:
    """Where one application stands. ``assessment_states`` holds one state per assigned
    assessor's assessment ("draft" or "submitted"); ``submitted`` means at least ``required``
    assessments are submitted. A decision outranks a consolidation, which outranks the rest."""
    if required < 1:
        raise ValueError(f"required must be at least 1, got {required}")
    unknown = [state for state in assessment_states if state not in ASSESSMENT_STATES]
    if unknown:
        raise ValueError(f"unknown assessment state {unknown[0]!r}")
    if decided:
        return Progress.DECIDED
    if consolidated:
        return Progress.CONSOLIDATED
    if assessment_states.count(SUBMITTED) >= required:
        return Progress.SUBMITTED
    return Progress.IN_PROGRESS if assessment_states else Progress.NOT_STARTED


# --- sealed scoring ----------------------------------------------------------------------------


def may_see_others_scores(
    viewer_submitted: bool, viewer_is_lead: bool, consolidation_started: bool
) -> bool:
    """Whether the viewer may see the other assessors' *submitted* scores of one application.

    Sealed scoring keeps the individual scores independent:

    * an assessor sees the others' scores only after submitting their own;
    * the lead assessor, who consolidates, sees every submitted assessment of every
      application, submitted their own or not (also of an application the lead assesses too:
      assign the lead as an assessor only where that is acceptable);
    * once consolidation has started the individual round is closed, and every assessor of
      the application sees the submitted scores. The services must then refuse to submit or
      change a draft, or the sealing is broken.

    Drafts are never shown to anyone but their author; this predicate does not open them.
    """
    return viewer_submitted or viewer_is_lead or consolidation_started


# --- scores ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreEntry:
    """One assessor's entry for one criterion: a score, or "cannot assess", with a reason."""

    criterion_id: int
    score: int | None
    justification: str
    cannot_assess: bool = False


SCORE_AND_CANNOT_ASSESS = N_("Angiv enten en score eller 'kan ikke vurderes', ikke begge.")
SCORE_OFF_SCALE = N_("Scoren ligger uden for kriteriets skala.")
JUSTIFICATION_MISSING = N_("Skriv en begrundelse.")
SCORE_MISSING = N_("Angiv en score eller 'kan ikke vurderes'.")


def score_problems(
    entries: Iterable[ScoreEntry],
    scale_max_by_criterion: Mapping[int, int],
    require_complete: bool,
) -> dict[int, str]:
    """The first problem of each criterion, as criterion id -> Danish message id.

    In this order: both a score and "cannot assess"; a score outside 0..scale max; a missing
    justification (required as soon as a score or "cannot assess" is given, and on submit for
    every criterion); on submit (``require_complete``) a criterion with neither a score nor
    "cannot assess", whether it has an entry or not. Criteria without problems are absent.
    Raises ValueError for an entry of an unknown criterion or two entries of one criterion.
    """
    by_criterion = _entries_by_criterion(entries, scale_max_by_criterion)
    problems: dict[int, str] = {}
    for criterion_id, scale_max in sorted(scale_max_by_criterion.items()):
        entry = by_criterion.get(criterion_id, ScoreEntry(criterion_id, None, ""))
        problem = _entry_problem(entry, scale_max, require_complete)
        if problem is not None:
            problems[criterion_id] = problem
    return problems


def _entries_by_criterion(
    entries: Iterable[ScoreEntry], scale_max_by_criterion: Mapping[int, int]
) -> dict[int, ScoreEntry]:
    by_criterion: dict[int, ScoreEntry] = {}
    for entry in entries:
        if entry.criterion_id not in scale_max_by_criterion:
            raise ValueError(f"unknown criterion {entry.criterion_id}")
        if entry.criterion_id in by_criterion:
            raise ValueError(f"two entries for criterion {entry.criterion_id}")
        by_criterion[entry.criterion_id] = entry
    return by_criterion


def _entry_problem(entry: ScoreEntry, scale_max: int, require_complete: bool) -> str | None:
    given = entry.score is not None or entry.cannot_assess
    if entry.score is not None and entry.cannot_assess:
        return SCORE_AND_CANNOT_ASSESS
    if entry.score is not None and not 0 <= entry.score <= scale_max:
        return SCORE_OFF_SCALE
    if require_complete and not given:
        return SCORE_MISSING
    if (given or require_complete) and not entry.justification.strip():
        return JUSTIFICATION_MISSING
    return None


# --- consolidation and eligibility -------------------------------------------------------------


def deviation(scores: Sequence[int]) -> int:
    """The spread of the individual scores of one criterion: max - min (0 for fewer than two)."""
    return max(scores) - min(scores) if scores else 0


def is_conflicting(scores: Sequence[int], threshold: int = 2) -> bool:
    """Scores conflict when they are ``threshold`` or more apart; the lead then discusses them."""
    return deviation(scores) >= threshold


def proposed_eligibility(
    consolidated: Mapping[int, int | None], thresholds: Mapping[int, int]
) -> tuple[bool, list[int]]:
    """(eligible, failing criterion ids in id order). Eligible iff every criterion of
    ``thresholds`` has a consolidated score at or above its threshold; a missing or None score
    fails. Scores of criteria without a threshold are ignored."""
    failing = [
        criterion_id
        for criterion_id, threshold in sorted(thresholds.items())
        if (score := consolidated.get(criterion_id)) is None or score < threshold
    ]
    return not failing, failing


# --- calibration -------------------------------------------------------------------------------


def leniency(
    individual: Mapping[int, Mapping[Cell, int]], consolidated: Mapping[Cell, int]
) -> dict[int, float]:
    """Assessor id -> mean (own score - consolidated score) over the (application, criterion)
    cells both have: positive is lenient, negative strict. Assessors sharing no cell with the
    consolidation are absent (no data is not zero)."""
    result: dict[int, float] = {}
    for assessor_id, scores in sorted(individual.items()):
        differences = [
            score - consolidated[cell] for cell, score in scores.items() if cell in consolidated
        ]
        if differences:
            result[assessor_id] = fmean(differences)
    return result


def _scores_by_cell(individual: Mapping[int, Mapping[Cell, int]]) -> dict[Cell, list[int]]:
    """(application, criterion) -> the individual scores, for cells with two or more."""
    cells: dict[Cell, list[int]] = defaultdict(list)
    for scores in individual.values():
        for cell, score in scores.items():
            cells[cell].append(score)
    return {cell: scores for cell, scores in cells.items() if len(scores) >= 2}


def _by_criterion(individual: Mapping[int, Mapping[Cell, int]]) -> dict[int, list[list[int]]]:
    grouped: dict[int, list[list[int]]] = defaultdict(list)
    for (_, criterion_id), scores in sorted(_scores_by_cell(individual).items()):
        grouped[criterion_id].append(scores)
    return dict(sorted(grouped.items()))


def spread_by_criterion(individual: Mapping[int, Mapping[Cell, int]]) -> dict[int, float]:
    """Criterion id -> mean (max - min) of the individual scores, over the applications with two
    or more scores of it. ``individual`` is assessor id -> (application, criterion) -> score."""
    return {
        criterion_id: fmean(deviation(scores) for scores in cells)
        for criterion_id, cells in _by_criterion(individual).items()
    }


def agreement_by_criterion(
    individual: Mapping[int, Mapping[Cell, int]], within: int = 1
) -> dict[int, float]:
    """Criterion id -> the share (0..1) of applications, among those with two or more
    individual scores of it, where all the scores lie within ``within`` points of each other
    (max - min <= within). The default 1 counts adjacent scores as agreement; 0 asks for
    identical scores."""
    return {
        criterion_id: fmean(1.0 if deviation(scores) <= within else 0.0 for scores in cells)
        for criterion_id, cells in _by_criterion(individual).items()
    }


def flips_if_threshold_moves(
    consolidated: Mapping[int, Mapping[int, int | None]], thresholds: Mapping[int, int]
) -> dict[int, tuple[int, int]]:
    """Criterion id -> (flips if its threshold moved one point down, flips if one point up):
    how many applications' proposed eligibility would change. ``consolidated`` is application
    id -> criterion id -> consolidated score. Steps off the criterion's scale are the caller's
    to ignore."""
    base = {
        app: proposed_eligibility(scores, thresholds)[0] for app, scores in consolidated.items()
    }
    result: dict[int, tuple[int, int]] = {}
    for criterion_id, threshold in sorted(thresholds.items()):
        down = _flips(consolidated, {**thresholds, criterion_id: threshold - 1}, base)
        up = _flips(consolidated, {**thresholds, criterion_id: threshold + 1}, base)
        result[criterion_id] = (down, up)
    return result


def _flips(
    consolidated: Mapping[int, Mapping[int, int | None]],
    thresholds: Mapping[int, int],
    base: Mapping[int, bool],
) -> int:
    return sum(
        1
        for app, scores in consolidated.items()
        if proposed_eligibility(scores, thresholds)[0] != base[app]
    )


# --- the decision: approved extent and capacity ------------------------------------------------


class ExtentProblem(NamedTuple):
    """A problem with the approved extent: a Danish message id and the sorted municipality
    codes it concerns (empty when it concerns the extent as a whole); the caller names them."""

    message: str
    codes: tuple[str, ...]


EXTENT_NOT_REQUESTED = N_("Kommunerne indgår ikke i den ansøgte geografiske udstrækning.")
EXTENT_EXCLUDED = N_("Kommunerne er undtaget fra forsøget (frikommuner).")
EXTENT_EMPTY = N_("En egnet ansøgning skal have en godkendt geografisk udstrækning.")
EXTENT_NOT_ELIGIBLE = N_("En ansøgning, der ikke er egnet, kan ikke få en godkendt udstrækning.")


def extent_problems(
    approved: set[str], requested_covered: set[str], excluded: set[str], eligible: bool = True
) -> list[ExtentProblem]:
    """What is wrong with an approved extent, as ``ExtentProblem(message id, codes)``:
    approved municipalities outside the requested (covered) extent; approved municipalities on
    the exclusion list (frikommuner); an empty approval of an eligible application; any approval
    of an ineligible one. A code can be in more than one problem. Empty list: all is well."""
    if not eligible:
        return [ExtentProblem(EXTENT_NOT_ELIGIBLE, ())] if approved else []
    if not approved:
        return [ExtentProblem(EXTENT_EMPTY, ())]
    problems = [
        ExtentProblem(EXTENT_NOT_REQUESTED, tuple(sorted(approved - requested_covered))),
        ExtentProblem(EXTENT_EXCLUDED, tuple(sorted(approved & excluded))),
    ]
    return [problem for problem in problems if problem.codes]


CAPACITY_MISSING = N_("Angiv den godkendte kapacitet.")
CAPACITY_TOO_SMALL = N_("Den godkendte kapacitet skal være mindst 1 forløb.")
CAPACITY_OVER_DECLARED = N_("Den godkendte kapacitet må ikke overstige den ansøgte kapacitet.")


def capacity_problem(approved: int | None, declared: int | None) -> str | None:
    """A Danish message id when the approved capacity (courses a year) is missing, below 1 or
    above the capacity the application declared (not checked when none was declared)."""
    if approved is None:
        return CAPACITY_MISSING
    if approved < 1:
        return CAPACITY_TOO_SMALL
    if declared is not None and approved > declared:
        return CAPACITY_OVER_DECLARED
    return None
