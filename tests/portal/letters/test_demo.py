"""The demo's letters: sent ones the a-kasse reads, drafts for each of the two approvers, and
an appeal waiting for its handler."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import db as portal_db
from portal.demo import load_demo_data
from portal.mail import list_outbox
from portal.models import Appeal, AppealStatus, Letter, LetterStatus, Organisation, User


def test_demo_letters(app: Flask, db: Session) -> None:
    with app.app_context():
        load_demo_data(portal_db.session())
        portal_db.session().commit()
    rows = db.execute(select(Letter, Organisation.short_id).join(Organisation)).all()
    by_fund = {short_id: letter for letter, short_id in rows if letter.status != "discarded"}
    assert len(by_fund) == 13
    sent = {s for s, letter in by_fund.items() if letter.status == LetterStatus.SENT}
    assert sent == {"3F", "HK", "MA"} and all(by_fund[s].pdf for s in sent)
    authors = {
        db.get(User, letter.created_by_id).email  # type: ignore[union-attr]
        for letter in by_fund.values()
        if letter.status == LetterStatus.DRAFT
    }
    assert authors == {"leder@demo.dk", "admin@demo.dk"}  # each can approve the other's
    (appeal,) = db.scalars(select(Appeal))
    assert appeal.status == AppealStatus.FILED and appeal.letter_id == by_fund["MA"].id
    subjects = [item.subject for item in list_outbox(app.config["OUTBOX_DIR"])]
    for fund in ("3F A-kasse", "HK Danmark A-kasse"):
        assert any(s.startswith(f"Afgørelse om støtteberettigelse: {fund}") for s in subjects)
