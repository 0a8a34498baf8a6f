"""The dialogue part of the demo: the parties' account lands on real material."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.demo import ensure_accounts
from portal.demo_dialogue import load_demo_dialogue
from portal.dialogue import services
from portal.models import User
from tests.portal.dialogue.conftest import World


def test_demo_dialogue_publishes_revises_drafts_plans_and_comments(
    db: Session, decided: World
) -> None:
    ensure_accounts(db)
    load_demo_dialogue(db, decided.t.call)
    db.commit()
    party = db.scalar(select(User).where(User.email == "parter@demo.dk"))
    lead = db.scalar(select(User).where(User.email == "leder@demo.dk"))
    assert party is not None and lead is not None

    seen = services.register(db, decided.t.call, party)
    assert all(entry.current is not None for entry in seen)
    assert [len(entry.history) for entry in seen] == [1, 2, 1, 1, 1, 1]
    assert seen[1].history[0].change_note  # the revision says what changed
    assert all(entry.draft is None for entry in seen)
    drafts = [e.criterion.position for e in services.register(db, decided.t.call, lead) if e.draft]
    assert drafts == [5]

    meeting = services.meeting_of(db, decided.t.call)
    assert meeting is not None and "Styrelsens fortolkning" in meeting.agenda
    assert not meeting.names_published
    comments = services.comments_for(db, decided.t.call, party)
    assert len(comments) == 1 and comments[0].party == "Fagbevægelsens Hovedorganisation"
    # The scores signed off before publication rest on the first versions.
    assert seen[0].reliance.by_version == ((1, 2),)
