"""The dialogue services against the database: the interpretation register and its versions,
the link from consolidated scores to the interpretation they relied on, what the parties may
see, the meeting, its minutes and the parties' comments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from portal.dialogue import services
from portal.dialogue.services import CommentData, InterpretationData, MeetingData
from portal.errors import DialogueError
from portal.models import (
    AuditEvent,
    ConsolidatedScore,
    CriterionInterpretation,
    DialogueMeeting,
    PartyComment,
    utcnow,
)
from tests.portal.dialogue.conftest import HK_SCORES, THREEF_SCORES, World, sign_off

# --- helpers -----------------------------------------------------------------------------------


def _refused(code: str, service: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    with pytest.raises(DialogueError) as caught:
        service(*args, **kwargs)
    assert caught.value.code == code


def _count(db: Session, model: type[Any], *where: Any) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _events(db: Session, action: str) -> int:
    return _count(db, AuditEvent, AuditEvent.action == action)


def _published(db: Session, w: World, position: int, text: str, note: str = "") -> Any:
    row = services.save_interpretation(
        db, w.t.lead, w.t.call, w.criteria[position - 1], InterpretationData(text, "", note)
    )
    services.publish_interpretation(db, w.t.lead, row)
    db.commit()
    return row


def _meeting(db: Session, w: World, starts_at: datetime, names: bool = False) -> DialogueMeeting:
    meeting = services.save_meeting(
        db,
        w.t.lead,
        w.t.call,
        MeetingData(starts_at, "Njalsgade 72A", "1. Velkomst\n2. Fortolkningerne", names),
    )
    db.commit()
    return meeting


def _links(db: Session, criterion_id: int) -> list[int | None]:
    db.expire_all()
    return sorted(
        db.scalars(
            select(ConsolidatedScore.interpretation_id).where(
                ConsolidatedScore.criterion_id == criterion_id
            )
        ),
        key=lambda v: v or 0,
    )


# --- the register ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_an_interpretation_without_text_is_refused_and_nothing_is_stored(
    db: Session, world: World, text: str
) -> None:
    _refused(
        "text_missing",
        services.save_interpretation,
        db,
        world.t.lead,
        world.t.call,
        world.criteria[0],
        InterpretationData(text, "Grænsetilfælde uden fortolkning."),
    )
    db.rollback()
    assert _count(db, CriterionInterpretation) == 0
    assert _events(db, "dialogue.interpretation_saved") == 0


def test_only_the_lead_writes_and_publishes_interpretations(db: Session, world: World) -> None:
    for someone in (world.t.sara, world.admin, world.fh):
        _refused(
            "lead_only",
            services.save_interpretation,
            db,
            someone,
            world.t.call,
            world.criteria[0],
            InterpretationData("Fortolkning."),
        )
    draft = services.save_interpretation(
        db, world.t.lead, world.t.call, world.criteria[0], InterpretationData("Fortolkning.")
    )
    db.commit()
    _refused("lead_only", services.publish_interpretation, db, world.t.sara, draft)
    assert draft.published_at is None


def test_saving_before_publication_changes_the_one_draft(db: Session, world: World) -> None:
    criterion = world.criteria[0]
    first = services.save_interpretation(
        db, world.t.lead, world.t.call, criterion, InterpretationData("Første udkast.", " Eks. ")
    )
    again = services.save_interpretation(
        db, world.t.lead, world.t.call, criterion, InterpretationData("Andet udkast.")
    )
    db.commit()
    assert again.id == first.id and again.version == 1
    assert again.text == "Andet udkast." and again.published_at is None
    assert _count(db, CriterionInterpretation) == 1
    assert _events(db, "dialogue.interpretation_saved") == 2


def test_a_change_after_publication_is_a_new_version_that_says_what_changed(
    db: Session, world: World
) -> None:
    criterion = world.criteria[1]
    first = _published(db, world, 2, "Fysiske samtaler i de søgte kommuner.")
    published_at = first.published_at
    _refused(
        "change_note_missing",
        services.save_interpretation,
        db,
        world.t.lead,
        world.t.call,
        criterion,
        InterpretationData("Også lånte lokaler tæller."),
    )
    db.rollback()
    assert _count(db, CriterionInterpretation) == 1
    second = services.save_interpretation(
        db,
        world.t.lead,
        world.t.call,
        criterion,
        InterpretationData("Også lånte lokaler tæller.", "", "Lånte lokaler tilføjet."),
    )
    db.commit()
    assert (second.version, second.published_at, second.change_note) == (
        2,
        None,
        "Lånte lokaler tilføjet.",
    )
    db.refresh(first)
    assert first.text == "Fysiske samtaler i de søgte kommuner."
    assert first.published_at == published_at

    # Until version 2 is published, the parties read version 1 and see no draft.
    entry = next(
        e for e in services.register(db, world.t.call, world.fh) if e.criterion.id == criterion.id
    )
    assert entry.current is first and entry.draft is None and entry.history == [first]
    lead_entry = next(
        e
        for e in services.register(db, world.t.call, world.t.lead)
        if e.criterion.id == criterion.id
    )
    assert lead_entry.draft is second

    services.publish_interpretation(db, world.t.lead, second)
    db.commit()
    entry = next(
        e for e in services.register(db, world.t.call, world.fh) if e.criterion.id == criterion.id
    )
    assert entry.current is second and entry.history == [second, first]
    assert [
        v.version for v in services.visible_versions(db, world.t.call, criterion, world.fh)
    ] == [2, 1]
    _refused("already_published", services.publish_interpretation, db, world.t.lead, second)


def test_the_database_refuses_to_change_or_delete_a_published_interpretation(
    db: Session, world: World
) -> None:
    row = _published(db, world, 1, "Offentliggjort tekst.")
    with pytest.raises(DBAPIError):
        db.execute(
            update(CriterionInterpretation)
            .where(CriterionInterpretation.id == row.id)
            .values(text="Ændret i smug.")
        )
    db.rollback()
    with pytest.raises(DBAPIError):
        db.execute(
            CriterionInterpretation.__table__.delete().where(CriterionInterpretation.id == row.id)
        )
    db.rollback()
    assert db.get(CriterionInterpretation, row.id).text == "Offentliggjort tekst."  # type: ignore[union-attr]


def test_publish_drafts_publishes_every_draft_once(db: Session, world: World) -> None:
    _refused("nothing_to_publish", services.publish_drafts, db, world.t.lead, world.t.call)
    for criterion in world.criteria[:3]:
        services.save_interpretation(
            db, world.t.lead, world.t.call, criterion, InterpretationData(f"Om {criterion.title}.")
        )
    published = services.publish_drafts(db, world.t.lead, world.t.call)
    db.commit()
    assert len(published) == 3
    assert _count(db, CriterionInterpretation, CriterionInterpretation.published_at.is_(None)) == 0
    _refused("nothing_to_publish", services.publish_drafts, db, world.t.lead, world.t.call)
    standing = services.standings(db, [world.t.call], world.t.lead)[world.t.call.id]
    assert (standing.criteria, standing.published, standing.drafts) == (6, 3, 0)


def test_a_criterion_of_another_call_is_refused(db: Session, world: World) -> None:
    from tests.portal.helpers import open_call

    other = open_call(db)
    _refused(
        "criterion_not_in_call",
        services.save_interpretation,
        db,
        world.t.lead,
        world.t.call,
        other.criteria_set.criteria[0],
        InterpretationData("Fortolkning."),
    )


# --- which interpretation each consolidated score relied on ------------------------------------


def test_first_publication_links_the_scores_signed_off_before_it(db: Session, world: World) -> None:
    sign_off(db, world.t, world.t.hk_version, HK_SCORES)
    first, second = world.criteria[0], world.criteria[1]
    assert _links(db, first.id) == [None]
    row = services.save_interpretation(
        db, world.t.lead, world.t.call, first, InterpretationData("Kapacitet.")
    )
    linked = services.publish_interpretation(db, world.t.lead, row)
    db.commit()
    assert linked == 1
    assert _links(db, first.id) == [row.id]
    assert _links(db, second.id) == [None]  # another criterion keeps none


def test_a_score_signed_off_later_relies_on_the_newest_published_version(
    db: Session, world: World
) -> None:
    sign_off(db, world.t, world.t.hk_version, HK_SCORES)
    first = _published(db, world, 1, "Version 1.")
    second = services.save_interpretation(
        db,
        world.t.lead,
        world.t.call,
        world.criteria[0],
        InterpretationData("Version 2.", "", "Skærpet."),
    )
    db.commit()
    # A draft is not what anyone relied on.
    sign_off(db, world.t, world.t.threef_version, THREEF_SCORES)
    assert _links(db, world.criteria[0].id) == [first.id, first.id]
    assert services.publish_interpretation(db, world.t.lead, second) == 0  # links never move
    db.commit()
    assert _links(db, world.criteria[0].id) == [first.id, first.id]

    entry = services.register(db, world.t.call, world.t.lead)[0]
    assert entry.reliance.by_version == ((1, 2),) and entry.reliance.unlinked == 0
    assert services.register(db, world.t.call, world.t.lead)[1].reliance.unlinked == 2


def test_sign_off_after_a_revision_links_the_revision(db: Session, world: World) -> None:
    sign_off(db, world.t, world.t.hk_version, HK_SCORES)
    first = _published(db, world, 1, "Version 1.")
    second = _published(db, world, 1, "Version 2.", note="Skærpet.")
    sign_off(db, world.t, world.t.threef_version, THREEF_SCORES)
    assert _links(db, world.criteria[0].id) == [first.id, second.id]
    entry = services.register(db, world.t.call, world.fh)[0]
    assert entry.reliance.by_version == ((1, 1), (2, 1))


# --- what the parties see ----------------------------------------------------------------------


def test_a_draft_is_invisible_to_the_parties_and_visible_to_the_agency(
    db: Session, world: World
) -> None:
    draft = services.save_interpretation(
        db, world.t.lead, world.t.call, world.criteria[0], InterpretationData("Kladdetekst.")
    )
    db.commit()
    assert services.visible_interpretation(db, draft.id, world.fh) is None
    for agency in (world.t.lead, world.t.sara, world.admin):
        assert services.visible_interpretation(db, draft.id, agency) is draft
    assert services.visible_versions(db, world.t.call, world.criteria[0], world.fh) == []
    assert services.register(db, world.t.call, world.fh)[0].draft is None
    assert services.standings(db, [world.t.call], world.fh)[world.t.call.id].published == 0


def test_distributions_count_consolidated_scores_and_name_funds_only_when_published(
    db: Session, decided: World
) -> None:
    w = decided
    dists = services.distributions(db, w.t.call)
    first = dists[w.criteria[0].id]
    # HK 3 and 3F 2 on criterion 1 (the assessors gave 4 and 1: never counted).
    assert [(b.score, b.count) for b in first.bars] == [
        (0, 0),
        (1, 0),
        (2, 1),
        (3, 1),
        (4, 0),
        (None, 0),
    ]
    assert first.total == 2 and first.meeting == 2
    fifth = dists[w.criteria[4].id]
    assert [(b.score, b.count) for b in fifth.bars if b.count] == [(2, 1), (None, 1)]
    assert fifth.meeting == 1
    assert all(bar.funds == () for d in dists.values() for bar in d.bars)

    _meeting(db, w, utcnow() + timedelta(days=10), names=True)
    named = services.distributions(db, w.t.call)[w.criteria[0].id]
    hk_name = w.t.hk.organisation.name  # type: ignore[union-attr]
    threef_name = w.t.threef.organisation.name  # type: ignore[union-attr]
    assert {b.score: b.funds for b in named.bars if b.count} == {
        2: (threef_name,),
        3: (hk_name,),
    }


def test_an_unsigned_consolidation_is_not_in_the_distribution(db: Session, world: World) -> None:
    from portal.assessment import services as assessment
    from tests.portal.dialogue.conftest import _assessed

    _assessed(db, world.t, world.t.hk_version)
    entries = [assessment.ConsolidatedEntry(c.id, 3, "Kladde.") for c in world.criteria]
    assessment.save_consolidation(db, world.t.lead, world.t.hk_version, entries, sign_off=False)
    db.commit()
    assert services.distributions(db, world.t.call)[world.criteria[0].id].total == 0


def test_published_decisions_and_the_approvals_per_municipality(
    db: Session, decided: World
) -> None:
    rows = services.published_decisions(db, decided.t.call)
    by_name = {r.fund: r for r in rows}
    hk = by_name[decided.t.hk.organisation.name]  # type: ignore[union-attr]
    threef = by_name[decided.t.threef.organisation.name]  # type: ignore[union-attr]
    assert hk.eligible and hk.capacity == 1000 and "101" in hk.municipalities
    assert not threef.eligible and threef.municipalities == ()
    counts = services.approvals_per_municipality(rows)
    assert counts["101"] == 1 and "461" not in counts  # Odense: outside HK's region


# --- the meeting and its minutes ---------------------------------------------------------------


def test_the_meeting_needs_place_and_agenda_and_sets_the_calls_date(
    db: Session, world: World
) -> None:
    starts = datetime(2027, 3, 15, 23, 30, tzinfo=services.COPENHAGEN)
    _refused(
        "meeting_incomplete",
        services.save_meeting,
        db,
        world.t.lead,
        world.t.call,
        MeetingData(starts, " ", "Dagsorden"),
    )
    _refused(
        "lead_only",
        services.save_meeting,
        db,
        world.t.sara,
        world.t.call,
        MeetingData(starts, "Sted", "Dagsorden"),
    )
    db.rollback()
    assert _count(db, DialogueMeeting) == 0
    meeting = _meeting(db, world, starts)
    assert meeting.starts_at == starts
    db.refresh(world.t.call)
    assert world.t.call.dialogue_meeting_on.isoformat() == "2027-03-15"  # type: ignore[union-attr]


def test_minutes_are_recorded_after_the_meeting_and_then_fix_it(db: Session, world: World) -> None:
    _refused("meeting_missing", services.record_minutes, db, world.t.lead, world.t.call, "Referat")
    starts = utcnow() + timedelta(days=2)
    _meeting(db, world, starts)
    _refused("meeting_not_held", services.record_minutes, db, world.t.lead, world.t.call, "Referat")
    later = starts + timedelta(hours=3)
    _refused(
        "minutes_missing", services.record_minutes, db, world.t.lead, world.t.call, "  ", now=later
    )
    _refused(
        "lead_only", services.record_minutes, db, world.t.sara, world.t.call, "Referat", now=later
    )
    meeting = services.record_minutes(
        db, world.t.lead, world.t.call, "Parterne drøftede kriterium 2.", now=later
    )
    db.commit()
    assert meeting.minutes == "Parterne drøftede kriterium 2."
    assert meeting.minutes_recorded_by_id == world.t.lead.id
    assert meeting.minutes_recorded_at == later
    _refused(
        "meeting_held",
        services.save_meeting,
        db,
        world.t.lead,
        world.t.call,
        MeetingData(starts, "Andet sted", "Dagsorden"),
    )
    services.record_minutes(db, world.t.lead, world.t.call, "Rettet referat.", now=later)
    db.commit()
    events = list(
        db.scalars(select(AuditEvent).where(AuditEvent.action == "dialogue.minutes_recorded"))
    )
    assert [e.data["corrected"] for e in events] == [False, True]
    assert "Rettet" not in str(events[-1].data)  # a fingerprint, not the text


# --- the parties' comments ---------------------------------------------------------------------


def test_parties_comment_and_read_their_own_partys_comments_only(db: Session, world: World) -> None:
    services.add_comment(
        db, world.fh, world.t.call, CommentData("FH om kriterium 2.", world.criteria[1].id)
    )
    services.add_comment(db, world.da, world.t.call, CommentData("DA om det hele."))
    db.commit()
    assert [c.text for c in services.comments_for(db, world.t.call, world.fh)] == [
        "FH om kriterium 2."
    ]
    assert [c.party for c in services.comments_for(db, world.t.call, world.da)] == [
        "Dansk Arbejdsgiverforening"
    ]
    assert len(services.comments_for(db, world.t.call, world.t.lead)) == 2
    assert len(services.comments_for(db, world.t.call, world.t.sara)) == 2
    assert services.comments_for(db, world.t.call, world.t.hk) == []


def test_a_comment_needs_text_a_labour_party_and_an_open_meeting(db: Session, world: World) -> None:
    _refused("comment_missing", services.add_comment, db, world.fh, world.t.call, CommentData(" "))
    for someone in (world.t.lead, world.t.hk):
        _refused(
            "not_a_labour_party",
            services.add_comment,
            db,
            someone,
            world.t.call,
            CommentData("Tekst."),
        )
    starts = utcnow() + timedelta(days=1)
    _meeting(db, world, starts)
    _refused(
        "comments_closed",
        services.add_comment,
        db,
        world.fh,
        world.t.call,
        CommentData("For sent."),
        now=starts,
    )
    db.rollback()
    assert _count(db, PartyComment) == 0
    assert _events(db, "dialogue.comment_added") == 0


def test_standings_of_several_calls_agree_with_the_register_and_the_comments(
    db: Session, world: World
) -> None:
    """`standings` counts with narrow queries for all calls at once; it must say what the
    register and the comments each viewer reads say, call by call."""
    from tests.portal.helpers import open_call

    other = open_call(db)
    first, second, third = world.criteria[:3]
    _published(db, world, first.position, "Første version.")
    services.save_interpretation(
        db, world.t.lead, world.t.call, first, InterpretationData("Ændret.", change_note="Ny.")
    )
    _published(db, world, second.position, "Kun offentliggjort.")
    services.save_interpretation(
        db, world.t.lead, world.t.call, third, InterpretationData("Kun kladde.")
    )
    _meeting(db, world, utcnow() + timedelta(days=2))
    services.add_comment(db, world.fh, world.t.call, CommentData("FH."))
    services.add_comment(db, world.fh, world.t.call, CommentData("FH igen."))
    services.add_comment(db, world.da, world.t.call, CommentData("DA."))
    db.commit()
    calls = [world.t.call, other]
    for viewer in (world.t.lead, world.fh, world.da, world.t.hk):
        found = services.standings(db, calls, viewer)
        for call in calls:
            register = services.versions(db, call)
            expected = (
                len(register),
                sum(1 for rows in register.values() if any(r.is_published for r in rows)),
                sum(1 for rows in register.values() if rows and not rows[-1].is_published),
                services.meeting_of(db, call),
                len(services.comments_for(db, call, viewer)),
            )
            got = found[call.id]
            assert (got.criteria, got.published, got.drafts, got.meeting, got.comments) == expected
    lead = services.standings(db, calls, world.t.lead)
    assert (lead[world.t.call.id].published, lead[world.t.call.id].drafts) == (2, 2)
    assert [
        services.standings(db, calls, v)[world.t.call.id].comments
        for v in (world.t.lead, world.fh, world.da, world.t.hk)
    ] == [3, 2, 1, 0]
    assert lead[other.id].meeting is None and lead[world.t.call.id].meeting is not None
