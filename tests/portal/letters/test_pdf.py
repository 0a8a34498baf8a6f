"""Each kind of letter as a PDF: its text (pdftotext) holds the decision, the reasons and the
complaint guidance with the deadline; approvals show the extent's annex."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from portal.letters import documents, rules, services
from portal.models import LetterStage
from tests.portal.letters.arrange import World, select_3f
from tests.portal.proposals.arrange import pdf_text, squeezed

GUIDANCE = (
    "Klagevejledning I kan klage over afgørelsen til Styrelsen for Arbejdsmarked og Rekruttering."
)

EXPECTED = {
    rules.ELIGIBLE: (
        "opfylder kriterierne og er støtteberettiget i forsøget",
        ["Samlet begrundelse for 3F.", "Konsolideret for 3F: kriterium 6 får 3."],
        "Bilag: Godkendt geografisk udstrækning",
    ),
    rules.PARTIAL: (
        "Styrelsen har godkendt 12 af de 25 kommuner, I har søgt om.",
        ["Samlet begrundelse for HK.", "Konsolideret for HK: kriterium 1 får 3."],
        "Bilag: Godkendt geografisk udstrækning",
    ),
    rules.REJECTED: (
        "opfylder ikke kriterierne og er ikke støtteberettiget",
        ["Samlet begrundelse for MA.", "Ansøgningen opfylder ikke kriterium 5"],
        None,
    ),
    rules.SELECTED: (
        "Aftalepartierne har den 2. april 2026 udvalgt 3F A-kasse",
        ["Fra beslutningsreferatet: 3F udvælges for at sikre volumen."],
        "Bilag: Udvalgt geografisk udstrækning",
    ),
    rules.NOT_SELECTED: (
        "HK Danmark A-kasse er ikke blandt de udvalgte.",
        ["Aftalepartierne har udvalgt 1 af de 2 støtteberettigede a-kasser."],
        None,
    ),
}


def test_each_kind_of_letter_reads_as_a_danish_decision(
    app: Flask, db: Session, world: World, weeks: int
) -> None:
    letters = services.generate(db, world.lead, world.call, LetterStage.ELIGIBILITY)
    db.commit()
    select_3f(db, world)
    letters += services.generate(db, world.lead, world.call, LetterStage.SELECTION)
    db.commit()
    assert sorted(letter.kind for letter in letters) == sorted(EXPECTED)
    with app.test_request_context(headers={"Accept-Language": "en"}):  # a letter is Danish
        for letter in letters:
            services.approve(db, world.admin, letter, weeks)
            db.commit()
            text = pdf_text(documents.letter_pdf(letter, weeks))
            decision, reasons, annex = EXPECTED[letter.kind]
            deadline = rules.danish_date(letter.complaint_deadline)  # type: ignore[arg-type]
            assert squeezed(decision) in squeezed(text), letter.kind
            for reason in reasons:
                assert squeezed(reason) in squeezed(text), (letter.kind, reason)
            assert squeezed(GUIDANCE) in squeezed(text), letter.kind
            assert squeezed(f"Klagen skal være modtaget senest {deadline}.") in squeezed(text)
            assert squeezed(f"Brev nr. {letter.id}") in squeezed(text)
            if annex:
                assert squeezed(annex) in squeezed(text) and "Albertslund" in text
            else:
                assert "Bilag" not in text
            assert "UDKAST" not in text


def test_a_draft_is_marked_as_such(app: Flask, db: Session, world: World, weeks: int) -> None:
    (letter, *_rest) = services.generate(db, world.lead, world.call, LetterStage.ELIGIBILITY)
    db.commit()
    with app.test_request_context():
        text = pdf_text(documents.letter_pdf(letter, weeks))
    assert "UDKAST – ikke sendt." in text
