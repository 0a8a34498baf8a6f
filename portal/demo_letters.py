"""Demo data for decision letters and appeals, through the letters services.

The lead generates the letters for the demo call's published decisions; the administrator
approves and sends 3F's and HK's (3f@demo.dk and hk@demo.dk read them) and MA's rejection; two
letters were discarded and generated again by the administrator, so the lead has letters to
approve too; the rest wait for a second person. MA has appealed its rejection, and the appeal
waits for the lead to assign it (only the administrator took no part in MA's assessment).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.letters import documents, services
from portal.models import (
    Call,
    Letter,
    LetterStage,
    Organisation,
    Role,
    User,
)

SENT = ("3F", "HK", "MA")
REGENERATED_BY_ADMIN = ("FOA", "Metal")
APPEAL = (
    "MA",
    "Vi er uenige i vurderingen af kriterium 5. Ansøgningens afsnit 5 beskriver, hvordan alle "
    "medlemmer profilafklares ved første samtale, og vi har siden 2018 brugt styrelsens "
    "værktøj i alle afdelinger. Vi beder styrelsen vurdere kriteriet igen.",
)


def _user(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email))
    if user is None:
        raise LookupError(f"demo account {email} missing")
    return user


def _by_fund(db: Session, letters: list[Letter]) -> dict[str, Letter]:
    names = {o.id: o.short_id for o in db.scalars(select(Organisation))}
    return {names[letter.organisation_id]: letter for letter in letters}


def load_demo_letters(db: Session, call: Call) -> None:
    """Needs the app (the PDFs and the mail): run inside its context."""
    config = current_app.config
    lead, admin = _user(db, "leder@demo.dk"), _user(db, "admin@demo.dk")
    weeks = int(str(config.get("LETTER_COMPLAINT_WEEKS", 4)))
    letters = _by_fund(db, services.generate(db, lead, call, LetterStage.ELIGIBILITY))
    for short_id in REGENERATED_BY_ADMIN:
        services.discard(db, lead, letters[short_id])
    services.generate(db, admin, call, LetterStage.ELIGIBILITY)
    for short_id in SENT:
        letter = services.approve(db, admin, letters[short_id], weeks)
        pdf = documents.letter_pdf(letter, weeks)
        services.keep_sent(db, letter, pdf, documents.mail_letter(config, letter, pdf))
    fund, reasons = APPEAL
    signatory = db.scalar(
        select(User)
        .where(User.organisation_id == letters[fund].organisation_id, User.role == Role.SIGNATORY)
        .order_by(User.id)
    )
    if signatory is None:
        raise LookupError(f"no signatory for {fund}")
    services.file_appeal(db, signatory, letters[fund], reasons)
    db.flush()
