"""Trin 3 services: starting, repeating and cancelling runs; private notes; one position per
party; the decision, once per call."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.errors import ProposalError
from portal.models import (
    AuditEvent,
    PartyPosition,
    RunKind,
    RunStatus,
    SelectionDecision,
    SelectionRun,
)
from portal.proposals import jobs, services
from portal.proposals.problem import Targets
from tests.portal.proposals.arrange import PARTY_A, PARTY_B, arrange_trin3, signed_in
from tests.portal.proposals.conftest import BASE_TARGETS, computed_run


def _refused(code: str):
    return pytest.raises(ProposalError, match=rf"^proposals\.{code}$")


def _runs(db) -> int:
    return db.scalar(select(func.count()).select_from(SelectionRun))


# --- runs ----------------------------------------------------------------------------------------


def test_start_run_stores_the_problem_its_hash_and_the_options(db, trin3) -> None:
    run = services.start_run(
        db, trin3.lead, trin3.call, BASE_TARGETS, label="Forslag", options={"alternatives": 2}
    )
    db.commit()

    assert run.status == RunStatus.QUEUED and run.kind == RunKind.BASE
    assert run.problem["schema"] == "selection-problem/1"
    assert run.problem["targets"]["funds_max"] == 4
    assert len(run.input_hash) == 64
    assert run.options == {
        "alternatives": 2,
        "time_limit": 30.0,
        "explanations": True,
        "targets": BASE_TARGETS.to_json(),
        "inflow": {"source": "modelleret"},
    }
    assert services.targets_of(run) == BASE_TARGETS
    assert db.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "selection.run_started", AuditEvent.object_id == str(run.id)
        )
    )


def test_start_run_without_published_decisions_is_refused(app, db) -> None:
    trin3 = arrange_trin3(app, db, publish=False)

    with _refused("no_published_decisions"):
        services.start_run(db, trin3.lead, trin3.call, Targets(), label="Forslag")
    assert _runs(db) == 0


def test_a_party_member_starts_no_run_of_its_own(db, trin3) -> None:
    for actor in (trin3.member_a, trin3.member_b):
        with _refused("not_allowed"):
            services.start_run(db, actor, trin3.call, Targets(), label="Forslag")
        # A what-if needs a run to explore.
        with _refused("not_allowed"):
            services.start_run(
                db, actor, trin3.call, Targets(), label="Hvad nu hvis", kind=RunKind.WHAT_IF
            )
    assert _runs(db) == 0
    # The administrator may.
    run = services.start_run(db, trin3.admin, trin3.call, Targets(), label="Forslag")
    assert run.created_by_id == trin3.admin.id


def test_a_party_member_explores_an_existing_run(db, trin3, base_run) -> None:
    targets = Targets(funds_max=4, include=("Metal",))
    for kind in (RunKind.WHAT_IF, RunKind.RELAXATION):
        run = services.start_run(
            db,
            trin3.member_b,
            trin3.call,
            targets,
            label="Hvad nu hvis Metal er med?",
            kind=kind,
            parent=base_run,
        )
        assert (run.kind, run.parent_id, run.created_by_id) == (
            kind,
            base_run.id,
            trin3.member_b.id,
        )
        assert run.status == RunStatus.QUEUED
        assert run.problem["locks"]["include"] == ["Metal"]
    # Repeating, cancelling and deciding stay with the lead and the administrator.
    with _refused("not_allowed"):
        services.rerun(db, trin3.member_b, base_run)
    with _refused("not_allowed"):
        services.cancel(db, trin3.member_b, run)


def test_after_the_decision_nothing_more_is_started(db, trin3, base_run) -> None:
    services.record_decision(db, trin3.lead, base_run.proposals[0], date(2026, 3, 2), "Referat.")
    db.commit()
    before = _runs(db)

    with _refused("call_decided"):
        services.start_run(db, trin3.lead, trin3.call, Targets(), label="Forslag")
    with _refused("call_decided"):
        services.rerun(db, trin3.lead, base_run)
    assert _runs(db) == before


def test_rerun_copies_the_problem_hash_and_options(db, trin3) -> None:
    first = services.start_run(
        db,
        trin3.lead,
        trin3.call,
        Targets(exclude=("3F",), inflow_factor=1.2),
        label="Hvad nu hvis 3F ikke er med?",
        kind=RunKind.WHAT_IF,
        options={"alternatives": 0, "explanations": False},
    )
    db.commit()
    again = services.rerun(db, trin3.admin, first)
    db.commit()

    assert again.id != first.id
    assert again.kind == RunKind.RERUN and again.parent_id == first.id
    assert again.status == RunStatus.QUEUED and again.proposals == []
    assert again.problem == first.problem
    assert again.input_hash == first.input_hash
    assert again.options == first.options
    assert again.label == first.label
    assert again.created_by_id == trin3.admin.id
    with _refused("not_allowed"):
        services.rerun(db, trin3.member_a, first)


def test_cancel_of_a_queued_run(app, db, trin3) -> None:
    run = services.start_run(db, trin3.lead, trin3.call, Targets(), label="Forslag")
    db.commit()
    with _refused("not_allowed"):
        services.cancel(db, trin3.member_a, run)
    assert run.status == RunStatus.QUEUED

    services.cancel(db, trin3.lead, run)
    db.commit()
    assert run.status == RunStatus.CANCELLED
    assert run.cancel_requested is True
    assert run.finished_at is not None
    with _refused("not_running"):
        services.cancel(db, trin3.lead, run)
    # A worker that picks the task up afterwards leaves it alone.
    with app.app_context():
        jobs.execute(run.id)
    db.rollback()
    db.expire_all()
    run = db.get(SelectionRun, run.id)
    assert run.status == RunStatus.CANCELLED and run.started_at is None and run.proposals == []


def test_a_finished_run_cannot_be_cancelled(db, trin3, base_run) -> None:
    with _refused("not_running"):
        services.cancel(db, trin3.lead, base_run)
    assert base_run.status == RunStatus.DONE


def test_same_result_compares_the_fund_sets_in_every_rank(db, trin3, base_run) -> None:
    again = services.rerun(db, trin3.lead, base_run)
    jobs.run_now(db, again)
    other = computed_run(db, trin3, Targets(funds_max=4, include=("Metal",)), alternatives=3)

    assert services.same_result(base_run, again)
    assert not services.same_result(base_run, other)
    difference = services.difference(base_run.proposals[0].proposal, other.proposals[0].proposal)
    assert "Metal" in difference.added and difference.removed


# --- notes -----------------------------------------------------------------------------------


def test_notes_are_private_to_their_author(app, db, trin3, base_run) -> None:
    best = base_run.proposals[0]
    services.add_note(db, trin3.member_a, best, "  Spørg til sammenligningsgruppen for 3F.  ")
    db.commit()

    mine = services.notes_of(db, trin3.member_a, best)
    assert [n.text for n in mine] == ["Spørg til sammenligningsgruppen for 3F."]
    assert services.notes_of(db, trin3.member_b, best) == []
    assert services.notes_of(db, trin3.member_a2, best) == []  # same party, still private
    assert services.notes_of(db, trin3.lead, best) == []

    url = f"/udvaelgelse/forslag/{best.id}"
    author = signed_in(app, trin3.member_a).get(url).get_data(as_text=True)
    assert "Spørg til sammenligningsgruppen for 3F." in author
    for other in (trin3.member_b, trin3.member_a2, trin3.lead):
        page = signed_in(app, other).get(url)
        assert page.status_code == 200, other.email
        assert "sammenligningsgruppen for 3F" not in page.get_data(as_text=True), other.email


def test_a_note_needs_a_party_member_and_a_text(db, trin3, base_run) -> None:
    best = base_run.proposals[0]
    with _refused("not_a_party_member"):
        services.add_note(db, trin3.lead, best, "Lederens note.")
    with _refused("note_missing"):
        services.add_note(db, trin3.member_a, best, "   ")
    assert services.notes_of(db, trin3.member_a, best) == []


# --- positions ---------------------------------------------------------------------------------


def _position(db, proposal, party: str) -> PartyPosition | None:
    return db.scalar(
        select(PartyPosition).where(
            PartyPosition.proposal_id == proposal.id, PartyPosition.party == party
        )
    )


def test_one_position_per_party_and_another_party_cannot_change_it(db, trin3, base_run) -> None:
    best = base_run.proposals[0]
    services.set_position(db, trin3.member_a, best, "supports", "Et bredt udvalg.")
    db.commit()
    a_before = _position(db, best, PARTY_A)
    assert a_before is not None
    snapshot = (a_before.id, a_before.stance, a_before.comment, a_before.author_id)

    written = services.set_position(db, trin3.member_b, best, "against", "For få små a-kasser.")
    db.commit()

    assert written.party == PARTY_B and written.id != a_before.id
    db.expire_all()
    a_after = _position(db, best, PARTY_A)
    assert (a_after.id, a_after.stance, a_after.comment, a_after.author_id) == snapshot
    assert [(p.party, p.stance) for p in services.positions_of(db, best)] == [
        (PARTY_A, "supports"),
        (PARTY_B, "against"),
    ]

    # Another member of party A changes A's position: still one row for the party.
    services.set_position(db, trin3.member_a2, best, "can_accept", "Kan leve med det.")
    db.commit()
    rows = db.scalars(
        select(PartyPosition).where(
            PartyPosition.proposal_id == best.id, PartyPosition.party == PARTY_A
        )
    ).all()
    assert len(rows) == 1
    assert (rows[0].id, rows[0].stance, rows[0].author_id) == (
        a_before.id,
        "can_accept",
        trin3.member_a2.id,
    )
    assert _position(db, best, PARTY_B).stance == "against"


def test_positions_need_a_party_member_and_a_known_stance(db, trin3, base_run) -> None:
    best = base_run.proposals[0]
    with _refused("not_a_party_member"):
        services.set_position(db, trin3.lead, best, "supports", "")
    with _refused("unknown_stance"):
        services.set_position(db, trin3.member_a, best, "maybe", "")
    assert services.positions_of(db, best) == []


def test_positions_show_to_everyone_on_the_page(app, db, trin3, base_run) -> None:
    best = base_run.proposals[0]
    services.set_position(db, trin3.member_a, best, "supports", "Et bredt udvalg, der når målet.")
    services.set_position(db, trin3.member_b, best, "can_accept", "Hellere en lille a-kasse med.")
    db.commit()

    for viewer in (trin3.lead, trin3.admin, trin3.member_a, trin3.member_b):
        html = signed_in(app, viewer).get(f"/udvaelgelse/forslag/{best.id}").get_data(as_text=True)
        section = html.split('id="holdninger"', 1)[1]
        assert PARTY_A in section and "Støtter" in section, viewer.email
        assert "Et bredt udvalg, der når målet." in section, viewer.email
        assert PARTY_B in section and "Kan acceptere" in section, viewer.email
        assert "Hellere en lille a-kasse med." in section, viewer.email


# --- the decision ------------------------------------------------------------------------------


def test_record_decision_keeps_the_positions_as_they_stood(db, trin3, base_run) -> None:
    best = base_run.proposals[0]
    services.set_position(db, trin3.member_b, best, "can_accept", "Hellere en lille a-kasse med.")
    services.set_position(db, trin3.member_a, best, "supports", "Et bredt udvalg.")
    db.commit()

    decision = services.record_decision(
        db, trin3.lead, best, date(2026, 3, 2), "  Partierne valgte forslaget.  "
    )
    db.commit()

    assert decision.call_id == trin3.call.id
    assert decision.proposal_id == best.id
    assert decision.decided_on == date(2026, 3, 2)
    assert decision.minutes == "Partierne valgte forslaget."
    assert decision.recorded_by_id == trin3.lead.id
    assert decision.positions == [
        {"party": PARTY_A, "stance": "supports", "comment": "Et bredt udvalg."},
        {"party": PARTY_B, "stance": "can_accept", "comment": "Hellere en lille a-kasse med."},
    ]
    assert services.decision_of(db, trin3.call.id).id == decision.id
    # The positions are fixed now: the decision keeps them as they stood.
    with _refused("call_decided"):
        services.set_position(db, trin3.member_b, best, "against", "Fortryder.")
    db.rollback()
    db.expire_all()
    assert db.get(SelectionDecision, decision.id).positions[1]["stance"] == "can_accept"
    assert [p.stance for p in services.positions_of(db, best)] == ["supports", "can_accept"]


def test_the_decision_is_recorded_once_per_call(db, trin3, base_run) -> None:
    services.record_decision(db, trin3.lead, base_run.proposals[0], date(2026, 3, 2), "Referat.")
    db.commit()

    with _refused("call_decided"):
        services.record_decision(
            db, trin3.admin, base_run.proposals[1], date(2026, 3, 3), "Et andet referat."
        )
    db.rollback()
    assert db.scalar(select(func.count()).select_from(SelectionDecision)) == 1
    assert services.decision_of(db, trin3.call.id).proposal_id == base_run.proposals[0].id


def test_an_alternative_of_a_finished_run_may_be_chosen(db, trin3, base_run) -> None:
    alternative = base_run.proposals[1]
    assert alternative.rank == 2

    decision = services.record_decision(db, trin3.admin, alternative, date(2026, 3, 2), "Alt 1.")
    assert decision.proposal_id == alternative.id


def test_the_decision_is_refused_for_an_infeasible_or_unfinished_proposal(
    db, trin3, base_run
) -> None:
    infeasible = computed_run(
        db,
        trin3,
        Targets(granularity="fund", exclude=("3F", "FOA")),
        alternatives=0,
        explanations=False,
    )
    assert infeasible.result_status == "infeasible"
    with _refused("not_decidable"):
        services.record_decision(db, trin3.lead, infeasible.proposals[0], date.today(), "Nej.")

    # A run that did not finish (here: marked failed after its proposal was stored).
    base_run.status = RunStatus.FAILED
    db.flush()
    with _refused("not_decidable"):
        services.record_decision(db, trin3.lead, base_run.proposals[0], date.today(), "Nej.")
    base_run.status = RunStatus.DONE
    db.flush()

    with _refused("not_allowed"):
        services.record_decision(db, trin3.member_a, base_run.proposals[0], date.today(), "Ja.")
    with _refused("minutes_missing"):
        services.record_decision(db, trin3.lead, base_run.proposals[0], date.today(), "  ")
    assert services.decision_of(db, trin3.call.id) is None


# --- the meeting -------------------------------------------------------------------------------


def test_present_follows_the_latest_proposal(db, trin3, base_run) -> None:
    first, second = base_run.proposals[0], base_run.proposals[1]
    with _refused("not_allowed"):
        services.present(db, trin3.member_a, first)
    assert services.presented(db, trin3.call.id) is None

    services.present(db, trin3.lead, first)
    services.present(db, trin3.admin, second)
    db.commit()
    shown = services.presented(db, trin3.call.id)
    assert (shown.proposal_id, shown.presented_by_id) == (second.id, trin3.admin.id)
