"""Trin 3 services: runs (start, re-run, what-if, relaxation, cancel), party notes and
positions, the meeting's presented proposal, and the parties' decision.

The caller commits, then enqueues the run (`jobs.enqueue`), so a worker never picks up a run
that is not in the database yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.errors import ProposalError
from portal.models import (
    Call,
    MeetingPresentation,
    PartyNote,
    PartyPosition,
    Role,
    RunKind,
    RunStatus,
    SelectionDecision,
    SelectionProposal,
    SelectionRun,
    Stance,
    User,
    utcnow,
)
from portal.proposals.problem import Targets, build_problem, has_published_decisions

DEFAULT_OPTIONS = {"alternatives": 3, "time_limit": 30.0, "explanations": True}
RUNNERS = frozenset({Role.ADMIN, Role.LEAD_ASSESSOR})


def _require_runner(actor: User) -> None:
    if Role(actor.role) not in RUNNERS:
        raise ProposalError("not_allowed")


def decision_of(db: Session, call_id: int) -> SelectionDecision | None:
    return db.scalar(select(SelectionDecision).where(SelectionDecision.call_id == call_id))


def start_run(
    db: Session,
    actor: User,
    call: Call,
    targets: Targets,
    *,
    label: str,
    kind: RunKind = RunKind.BASE,
    parent: SelectionRun | None = None,
    options: Mapping[str, Any] | None = None,
) -> SelectionRun:
    """A queued run. The lead and the administrator start any run; an agreement-party
    member may ask what-ifs and relaxations from an existing run (exploring, not deciding)."""
    exploring = kind in (RunKind.WHAT_IF, RunKind.RELAXATION) and parent is not None
    if not (exploring and actor.role == Role.PARTY_MEMBER):
        _require_runner(actor)
    if not has_published_decisions(db, call):
        raise ProposalError("no_published_decisions")
    if decision_of(db, call.id) is not None:
        raise ProposalError("call_decided")
    built = build_problem(db, call, targets, parent=parent)
    if not built.eligible:
        raise ProposalError("no_eligible_funds")
    run = SelectionRun(
        call_id=call.id,
        created_by_id=actor.id,
        label=label,
        problem=built.document,
        input_hash=built.sha256,
        status=RunStatus.QUEUED,
        kind=kind,
        parent_id=parent.id if parent else None,
        options={
            **DEFAULT_OPTIONS,
            **(options or {}),
            "targets": targets.to_json(),
            "inflow": built.inflow,
        },
    )
    db.add(run)
    db.flush()
    audit.record(
        db,
        actor.id,
        "selection.run_started",
        run,
        kind=str(kind),
        hash=built.sha256,
        inflow=built.inflow.get("sha256") or built.inflow["source"],
    )
    return run


def rerun(db: Session, actor: User, run: SelectionRun) -> SelectionRun:
    """The same stored problem and options again, to show that it gives the same proposal."""
    _require_runner(actor)
    if decision_of(db, run.call_id) is not None:
        raise ProposalError("call_decided")
    again = SelectionRun(
        call_id=run.call_id,
        created_by_id=actor.id,
        label=run.label,
        problem=run.problem,
        input_hash=run.input_hash,
        status=RunStatus.QUEUED,
        kind=RunKind.RERUN,
        parent_id=run.id,
        options=dict(run.options),
    )
    db.add(again)
    db.flush()
    audit.record(db, actor.id, "selection.run_repeated", again, of=run.id)
    return again


def cancel(db: Session, actor: User, run: SelectionRun) -> None:
    _require_runner(actor)
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise ProposalError("not_running")
    run.cancel_requested = True
    if run.status == RunStatus.QUEUED:
        run.status = RunStatus.CANCELLED
        run.finished_at = utcnow()
    db.flush()
    audit.record(db, actor.id, "selection.run_cancelled", run)


def targets_of(run: SelectionRun) -> Targets:
    return Targets.from_json(run.options.get("targets") or {})


# --- what the parties compare ------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    added: list[str]
    removed: list[str]
    objective_change: float | None


def difference(base: Mapping[str, Any], other: Mapping[str, Any]) -> Difference:
    before = {s["id"] for s in base.get("selected") or []}
    after = {s["id"] for s in other.get("selected") or []}
    change = None
    if base.get("objective") is not None and other.get("objective") is not None:
        change = float(other["objective"]) - float(base["objective"])
    return Difference(sorted(after - before), sorted(before - after), change)


def same_result(first: SelectionRun, second: SelectionRun) -> bool:
    """Same fund sets, municipalities and objective (to the solver's tolerance) in every rank."""
    if len(first.proposals) != len(second.proposals):
        return False
    for a, b in zip(first.proposals, second.proposals, strict=True):
        left, right = a.proposal, b.proposal
        if {(s["id"], tuple(s["municipalities"])) for s in left.get("selected") or []} != {
            (s["id"], tuple(s["municipalities"])) for s in right.get("selected") or []
        }:
            return False
        if (left.get("objective") is None) != (right.get("objective") is None):
            return False
        if left.get("objective") is not None and abs(left["objective"] - right["objective"]) > 1e-6:
            return False
    return True


# --- notes and positions -----------------------------------------------------------------------


def _require_party(actor: User) -> str:
    if actor.role != Role.PARTY_MEMBER or not (actor.party or "").strip():
        raise ProposalError("not_a_party_member")
    return str(actor.party)


def add_note(db: Session, actor: User, proposal: SelectionProposal, text: str) -> PartyNote:
    _require_party(actor)
    text = text.strip()
    if not text:
        raise ProposalError("note_missing")
    note = PartyNote(proposal_id=proposal.id, author_id=actor.id, text=text)
    db.add(note)
    db.flush()
    return note


def notes_of(db: Session, actor: User, proposal: SelectionProposal) -> list[PartyNote]:
    """The actor's own notes only: a note is private to its author."""
    return list(
        db.scalars(
            select(PartyNote)
            .where(PartyNote.proposal_id == proposal.id, PartyNote.author_id == actor.id)
            .order_by(PartyNote.created_at, PartyNote.id)
        )
    )


def set_position(
    db: Session, actor: User, proposal: SelectionProposal, stance: str, comment: str
) -> PartyPosition:
    """The actor's party's position on the proposal (one per party, changed by its members);
    fixed once the parties have decided (the decision keeps them as they stood)."""
    party = _require_party(actor)
    if stance not in set(Stance):
        raise ProposalError("unknown_stance")
    run = db.get(SelectionRun, proposal.run_id)
    assert run is not None
    if decision_of(db, run.call_id) is not None:
        raise ProposalError("call_decided")
    position = db.scalar(
        select(PartyPosition).where(
            PartyPosition.proposal_id == proposal.id, PartyPosition.party == party
        )
    )
    if position is None:
        position = PartyPosition(
            proposal_id=proposal.id, party=party, stance=stance, author_id=actor.id
        )
        db.add(position)
    position.stance, position.comment = stance, comment.strip()
    position.author_id, position.updated_at = actor.id, utcnow()
    db.flush()
    audit.record(db, actor.id, "selection.position_recorded", position, party=party, stance=stance)
    return position


def positions_of(db: Session, proposal: SelectionProposal) -> list[PartyPosition]:
    return list(
        db.scalars(
            select(PartyPosition)
            .where(PartyPosition.proposal_id == proposal.id)
            .order_by(PartyPosition.party)
        )
    )


# --- the meeting -------------------------------------------------------------------------------


def present(db: Session, actor: User, proposal: SelectionProposal) -> None:
    _require_runner(actor)
    run = db.get(SelectionRun, proposal.run_id)
    assert run is not None
    row = db.get(MeetingPresentation, run.call_id)
    if row is None:
        row = MeetingPresentation(
            call_id=run.call_id, proposal_id=proposal.id, presented_by_id=actor.id
        )
        db.add(row)
    row.proposal_id, row.presented_by_id, row.presented_at = proposal.id, actor.id, utcnow()
    db.flush()


def presented(db: Session, call_id: int) -> MeetingPresentation | None:
    return db.get(MeetingPresentation, call_id)


# --- the decision ------------------------------------------------------------------------------


def record_decision(
    db: Session, actor: User, proposal: SelectionProposal, decided_on: date, minutes: str
) -> SelectionDecision:
    """Once per call, by the lead or the administrator, for a finished run's feasible proposal."""
    _require_runner(actor)
    run = db.get(SelectionRun, proposal.run_id)
    assert run is not None
    if run.status != RunStatus.DONE or proposal.proposal.get("status") not in (
        "optimal",
        "feasible",
    ):
        raise ProposalError("not_decidable")
    if decision_of(db, run.call_id) is not None:
        raise ProposalError("call_decided")
    minutes = minutes.strip()
    if not minutes:
        raise ProposalError("minutes_missing")
    snapshot = [
        {"party": p.party, "stance": p.stance, "comment": p.comment}
        for p in positions_of(db, proposal)
    ]
    decision = SelectionDecision(
        call_id=run.call_id,
        proposal_id=proposal.id,
        decided_on=decided_on,
        minutes=minutes,
        recorded_by_id=actor.id,
        positions=snapshot,
    )
    db.add(decision)
    db.flush()
    audit.record(db, actor.id, "selection.decided", decision, proposal=proposal.id)
    return decision
