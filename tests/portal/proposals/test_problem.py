"""The `selection-problem/1` document built from a call's published Trin 2 decisions and
geo's modelled inflow."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from geo.reference import funds as reference_funds
from portal.assessment import services as assessment
from portal.models import ExclusionEntry, ExclusionList
from portal.proposals.problem import (
    Targets,
    build_problem,
    has_published_decisions,
    problem_hash,
    published_eligible,
)
from selection.problem import parse_problem
from tests.portal.proposals.arrange import (
    MIN_SHARE,
    OTHER_APPLICATIONS,
    PARTIAL,
    PENDING,
    PUBLISHED_ELIGIBLE,
    REJECTED,
    TARGET_VOLUME,
    UNDECIDED,
    arrange_trin3,
    expected_score,
)


def _funds(document):
    return {f["id"]: f for f in document["funds"]}


def _inflow_total(document) -> float:
    return sum(sum(f["inflow"].values()) for f in document["funds"])


def _cells(document) -> int:
    return sum(len(f["inflow"]) for f in document["funds"])


def test_only_published_approvals_make_an_a_kasse_eligible(db, trin3) -> None:
    document = build_problem(db, trin3.call, Targets()).document
    funds = _funds(document)

    assert {i for i, f in funds.items() if f["eligible"]} == set(PUBLISHED_ELIGIBLE)
    for short_id, (_extent, _capacity, scores) in PUBLISHED_ELIGIBLE.items():
        fund = funds[short_id]
        assert fund["extent"] == trin3.approved[short_id], short_id
        assert fund["capacity"] == trin3.capacity[short_id], short_id
        assert fund["score"] == expected_score(scores), short_id
    # The partial approval: half the requested municipalities, half the declared capacity.
    assert len(funds[PARTIAL]["extent"]) == len(trin3.approved[PARTIAL]) > 0
    assert funds[PARTIAL]["capacity"] == PUBLISHED_ELIGIBLE[PARTIAL][1] // 2 == 2500
    assert funds["3F"]["score"] == 3.33 and funds["FOA"]["score"] == 2.67
    # A rejection (published), a pending approval and an application without a decision: none.
    for short_id in (REJECTED, PENDING, UNDECIDED):
        assert funds[short_id]["eligible"] is False, short_id
        assert funds[short_id]["capacity"] is None
        assert funds[short_id]["score"] is None
        assert funds[short_id]["extent"] == []
    assert set(published_eligible(db, trin3.call)) == set(PUBLISHED_ELIGIBLE)
    # What the solver reads: the document satisfies the contract.
    parsed = parse_problem(document)
    assert {f.id for f in parsed.funds if f.eligible} == set(PUBLISHED_ELIGIBLE)


def test_every_reference_a_kasse_is_a_fund_with_its_categories(db, trin3) -> None:
    document = build_problem(db, trin3.call, Targets()).document
    reference = reference_funds()
    ids = [f["id"] for f in document["funds"]]

    assert len(ids) == len(set(ids)) == len(reference)
    assert set(ids) == {str(i) for i in reference.index}
    metal = _funds(document)["Metal"]
    assert (metal["field"], metal["sector"], metal["name"]) == (
        "industry_crafts",
        "private",
        reference.loc["Metal", "name"],
    )
    # Funds nobody applied for are in the document too, with their inflow, but not eligible.
    assert _funds(document)["AKA"]["eligible"] is False
    assert sum(_funds(document)["AKA"]["inflow"].values()) > 0


def test_excluded_municipalities_are_the_calls_exclusion_list(db, trin3) -> None:
    document = build_problem(db, trin3.call, Targets()).document
    listed = sorted(
        db.scalars(
            select(ExclusionEntry.municipality_code)
            .join(ExclusionList)
            .where(ExclusionList.name == trin3.call.exclusion_list)
        )
    )

    assert listed, "the call's exclusion list has entries"
    assert document["excluded_municipalities"] == listed
    assert set(listed) <= set(document["municipalities"])
    # No approved extent holds a frikommune.
    for fund in document["funds"]:
        assert not set(fund["extent"]) & set(listed), fund["id"]


def test_inflow_sums_to_the_national_inflow_and_the_factor_scales_it(db, trin3) -> None:
    base = build_problem(db, trin3.call, Targets()).document
    national = float(trin3.call.national_inflow)
    rounding = 0.005 * _cells(base)

    assert base["national_inflow"] == national == 150000.0
    assert _inflow_total(base) == pytest.approx(national, abs=rounding)
    for fund in base["funds"]:
        assert set(fund["inflow"]) <= set(base["municipalities"]), fund["id"]
        assert all(v > 0 for v in fund["inflow"].values()), fund["id"]

    scaled = build_problem(db, trin3.call, Targets(inflow_factor=1.3)).document
    assert scaled["national_inflow"] == pytest.approx(1.3 * national)
    assert _inflow_total(scaled) == pytest.approx(1.3 * national, abs=rounding * 1.3)
    before, after = _funds(base)["3F"]["inflow"], _funds(scaled)["3F"]["inflow"]
    assert before.keys() == after.keys()
    for code, value in before.items():
        assert after[code] == pytest.approx(1.3 * value, abs=0.02), code


def test_targets_default_to_the_calls_and_overrides_apply(db, trin3) -> None:
    default = build_problem(db, trin3.call, Targets()).document
    assert default["targets"] == {"volume": float(TARGET_VOLUME), "min_share": MIN_SHARE}
    assert default["granularity"] == "region"
    assert default["locks"] == {"include": [], "exclude": []}
    assert default["years"] == trin3.call.years
    assert default["name"] == trin3.call.title

    changed = build_problem(
        db,
        trin3.call,
        Targets(
            volume=25000,
            min_share=0.2,
            funds_min=2,
            funds_max=4,
            min_comparison_share=0.3,
            max_fund_share=0.5,
            granularity="municipality",
            include=("Metal", "FOA"),
            exclude=("3F",),
        ),
    ).document
    assert changed["targets"] == {
        "volume": 25000.0,
        "min_share": 0.2,
        "funds_min": 2,
        "funds_max": 4,
        "min_comparison_share": 0.3,
        "max_fund_share": 0.5,
    }
    assert changed["granularity"] == "municipality"
    assert changed["locks"] == {"include": ["FOA", "Metal"], "exclude": ["3F"]}
    parsed = parse_problem(changed)
    assert (parsed.targets.volume, parsed.targets.funds_max) == (25000.0, 4)
    assert parsed.locks_include == {"FOA", "Metal"}


def test_hash_is_stable_for_the_same_input_and_changes_with_it(db, trin3) -> None:
    first = build_problem(db, trin3.call, Targets())
    again = build_problem(db, trin3.call, Targets())

    assert len(first.sha256) == 64 and int(first.sha256, 16) >= 0
    assert again.sha256 == first.sha256
    assert problem_hash(first.document) == first.sha256
    # Key order does not matter; the content does.
    reordered = dict(reversed(list(first.document.items())))
    assert problem_hash(reordered) == first.sha256
    assert build_problem(db, trin3.call, Targets(volume=21000)).sha256 != first.sha256
    assert build_problem(db, trin3.call, Targets(exclude=("3F",))).sha256 != first.sha256
    assert build_problem(db, trin3.call, Targets(inflow_factor=1.1)).sha256 != first.sha256
    trin3.call.national_inflow = 160000
    db.flush()
    assert build_problem(db, trin3.call, Targets()).sha256 != first.sha256


def test_has_published_decisions(app, db) -> None:
    trin3 = arrange_trin3(app, db, publish=False)
    # Decisions exist, all pending.
    assert not has_published_decisions(db, trin3.call)
    assert build_problem(db, trin3.call, Targets()).eligible == {}

    assessment.publish(db, trin3.lead, trin3.call)
    db.commit()
    assert has_published_decisions(db, trin3.call)
    # Every decision of the call is published now, CA's approval too; MA stays rejected.
    eligible = build_problem(db, trin3.call, Targets()).eligible
    assert set(eligible) == set(PUBLISHED_ELIGIBLE) | {PENDING}
    assert REJECTED not in eligible
    assert eligible[PENDING].capacity == OTHER_APPLICATIONS[PENDING][1]
