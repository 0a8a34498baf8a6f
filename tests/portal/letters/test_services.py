"""Letters and appeals through the services: templates, generation, the four-eyes approval,
appeals from filing to a changed decision that the next selection run reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.assessment import services as assessment
from portal.errors import LetterError
from portal.letters import rules, services
from portal.letters.services import OutcomeData, TemplateText
from portal.models import (
    Appeal,
    AppealStatus,
    AuditEvent,
    Letter,
    LetterStage,
    LetterStatus,
    LetterTemplate,
)
from portal.proposals.problem import Targets, build_problem
from tests.portal.letters.arrange import World, select_3f


def _letters(db: Session) -> list[Letter]:
    return list(db.scalars(select(Letter).order_by(Letter.id)))


def _by_fund(letters: list[Letter], world: World) -> dict[str, Letter]:
    ids = {world.versions[s].application.organisation_id: s for s in world.versions}
    return {ids[letter.organisation_id]: letter for letter in letters}


def _actions(db: Session, action: str) -> int:
    return db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action)) or 0


def _generate(db: Session, world: World, stage: str = LetterStage.ELIGIBILITY) -> dict[str, Letter]:
    letters = services.generate(db, world.lead, world.call, stage)
    db.commit()
    return _by_fund(letters, world)


def _sent(db: Session, world: World, weeks: int) -> dict[str, Letter]:
    letters = _generate(db, world)
    for letter in letters.values():
        services.approve(db, world.admin, letter, weeks)
    db.commit()
    return letters


# --- templates ---------------------------------------------------------------------------------


def test_template_with_unknown_placeholder_is_refused_and_nothing_stored(
    db: Session, world: World
) -> None:
    default = services.template_for(db, rules.ELIGIBLE)
    bad = TemplateText(default.subject, default.body + "\n\n{ukendt_felt}", default.guidance)
    with pytest.raises(LetterError) as refused:
        services.save_template(db, world.admin, rules.ELIGIBLE, bad)
    assert refused.value.code == "invalid_template"
    db.rollback()
    assert db.scalar(select(func.count(LetterTemplate.id))) == 0


def test_only_the_administrator_saves_templates(db: Session, world: World) -> None:
    with pytest.raises(LetterError) as refused:
        services.save_template(
            db, world.lead, rules.ELIGIBLE, services.template_for(db, "eligible")
        )
    assert refused.value.code == "admin_only"


def test_saved_template_is_used_and_reset_returns_the_default(db: Session, world: World) -> None:
    default = services.template_for(db, rules.REJECTED)
    own = TemplateText("Afslag: {a_kasse}", default.body, default.guidance)
    services.save_template(db, world.admin, rules.REJECTED, own)
    db.commit()
    assert services.template_for(db, rules.REJECTED).subject == "Afslag: {a_kasse}"
    assert _actions(db, "letters.template_saved") == 1
    services.reset_template(db, world.admin, rules.REJECTED)
    db.commit()
    assert services.template_for(db, rules.REJECTED) == default


# --- generation --------------------------------------------------------------------------------


def test_generation_makes_one_draft_per_published_decision_of_the_right_kind(
    db: Session, world: World
) -> None:
    letters = _generate(db, world)
    assert {s: letter.kind for s, letter in letters.items()} == {
        "3F": rules.ELIGIBLE,
        "HK": rules.PARTIAL,
        "MA": rules.REJECTED,
    }
    assert all(letter.status == LetterStatus.DRAFT for letter in letters.values())
    hk = letters["HK"]
    assert "HK Danmark A-kasse opfylder kriterierne og er støtteberettiget" in hk.body
    assert "Samlet begrundelse for HK." in hk.body
    assert "Kriterium 1. Kapacitet, herunder til at levere samtaler: opfyldt" in hk.body
    assert "Konsolideret for HK: kriterium 1 får 3." in hk.body
    assert "Styrelsen har godkendt 12 af de 25 kommuner, I har søgt om." in hk.body
    assert "2.500 forløb om året" in hk.body
    assert "{klagefrist}" in hk.guidance  # set when the letter is sent
    assert hk.facts["extent"]["summary"] == "12 kommuner i Region Hovedstaden"
    ma = letters["MA"]
    assert "Ansøgningen opfylder ikke kriterium 5" in ma.body
    assert ma.facts["extent"] is None
    with pytest.raises(LetterError) as again:
        services.generate(db, world.lead, world.call, LetterStage.ELIGIBILITY)
    assert again.value.code == "nothing_to_generate"


def test_letter_text_is_frozen_at_generation(db: Session, world: World) -> None:
    letter = _generate(db, world)["3F"]
    before = letter.body
    default = services.template_for(db, rules.ELIGIBLE)
    services.save_template(
        db,
        world.admin,
        rules.ELIGIBLE,
        TemplateText("Nyt emne", "Ny tekst " + default.body, "x {klagefrist}"),
    )
    db.commit()
    db.refresh(letter)
    assert letter.body == before and letter.subject.startswith("Afgørelse om støtteberettigelse")


def test_stored_template_with_unknown_placeholder_stores_no_letter(
    db: Session, world: World
) -> None:
    """A template row written before the check (or by hand) cannot make a letter."""
    default = services.template_for(db, rules.REJECTED)
    db.add(
        LetterTemplate(
            kind=rules.REJECTED,
            subject=default.subject,
            body=default.body + " {udstrækning}",
            guidance=default.guidance,
        )
    )
    db.commit()
    with pytest.raises(LetterError) as refused:
        services.generate(db, world.lead, world.call, LetterStage.ELIGIBILITY)
    assert refused.value.code == "unknown_placeholder"
    assert refused.value.params == {"fund": "Magistrenes A-kasse (MA)", "names": "{udstrækning}"}
    db.rollback()
    assert _letters(db) == []


def test_placeholder_without_a_value_stores_no_letter(db: Session, world: World) -> None:
    """An approval without a capacity (the database allows it) has no {kapacitet}."""
    world.decisions["3F"].approved_capacity = None
    db.commit()
    with pytest.raises(LetterError) as refused:
        services.generate(db, world.lead, world.call, LetterStage.ELIGIBILITY)
    assert refused.value.code == "unresolved" and refused.value.params["names"] == "{kapacitet}"
    db.rollback()
    assert _letters(db) == []


def test_selection_letters_after_the_parties_decision(db: Session, world: World) -> None:
    with pytest.raises(LetterError) as early:
        services.generate(db, world.lead, world.call, LetterStage.SELECTION)
    assert early.value.code == "no_selection_decision"
    db.rollback()
    select_3f(db, world)
    letters = _generate(db, world, LetterStage.SELECTION)
    assert {s: letter.kind for s, letter in letters.items()} == {
        "3F": rules.SELECTED,
        "HK": rules.NOT_SELECTED,
    }  # MA was not eligible: no selection letter
    selected = letters["3F"]
    assert "Aftalepartierne har den 2. april 2026 udvalgt 3F A-kasse" in selected.body
    assert "6.400 forløb om året" in selected.body and "20 kommuner" in selected.body
    assert "Fra beslutningsreferatet: 3F udvælges for at sikre volumen." in selected.body
    assert "HK Danmark A-kasse er ikke blandt de udvalgte." in letters["HK"].body


# --- four eyes ---------------------------------------------------------------------------------


def test_the_author_cannot_approve_their_own_letter(db: Session, world: World, weeks: int) -> None:
    letter = _generate(db, world)["HK"]
    with pytest.raises(LetterError) as refused:
        services.approve(db, world.lead, letter, weeks)
    assert refused.value.code == "own_letter"
    db.rollback()
    db.refresh(letter)
    assert letter.status == LetterStatus.DRAFT and letter.approved_by_id is None
    assert _actions(db, "letter.approved") == 0


def test_a_second_person_approves_and_the_letter_is_sent(
    db: Session, world: World, weeks: int
) -> None:
    letter = _generate(db, world)["HK"]
    services.approve(db, world.admin, letter, weeks)
    db.commit()
    assert letter.status == LetterStatus.SENT and letter.approved_by_id == world.admin.id
    assert letter.letter_date == services.today()
    assert letter.complaint_deadline == services.today() + timedelta(weeks=weeks)
    assert letter.recipients == ["hk@test.dk", "kontakt@hk.example.dk"]
    assert _actions(db, "letter.approved") == 1
    with pytest.raises(LetterError) as twice:
        services.approve(db, world.lead, letter, weeks)
    assert twice.value.code == "not_a_draft"


def test_the_database_refuses_an_approval_by_the_author(db: Session, world: World) -> None:
    letter = _generate(db, world)["3F"]
    with pytest.raises(IntegrityError):
        db.execute(
            update(Letter)
            .where(Letter.id == letter.id)
            .values(
                status=LetterStatus.SENT,
                approved_by_id=letter.created_by_id,
                sent_at=letter.created_at,
                complaint_deadline=services.today(),
            )
        )
        db.flush()
    db.rollback()


def test_a_discarded_draft_can_be_generated_again(db: Session, world: World) -> None:
    letter = _generate(db, world)["MA"]
    services.discard(db, world.admin, letter)
    db.commit()
    again = services.generate(db, world.lead, world.call, LetterStage.ELIGIBILITY)
    db.commit()
    assert [a.decision_id for a in again] == [letter.decision_id]


# --- appeals -----------------------------------------------------------------------------------


def test_appeal_within_the_deadline_is_filed(db: Session, world: World, weeks: int) -> None:
    letter = _sent(db, world, weeks)["MA"]
    appeal = services.file_appeal(db, world.signatories["MA"], letter, "Kriterium 5 er belyst.")
    db.commit()
    assert appeal.status == AppealStatus.FILED and appeal.decision_id == letter.decision_id
    with pytest.raises(LetterError) as twice:
        services.file_appeal(db, world.signatories["MA"], letter, "Igen.")
    assert twice.value.code == "already_appealed"


def test_appeal_after_the_deadline_is_refused_and_nothing_stored(
    db: Session, world: World, weeks: int
) -> None:
    letter = _sent(db, world, weeks)["MA"]
    letter.complaint_deadline = services.today() - timedelta(days=1)
    db.commit()
    with pytest.raises(LetterError) as refused:
        services.file_appeal(db, world.signatories["MA"], letter, "For sent.")
    assert refused.value.code == "appeal_too_late"
    assert refused.value.params["deadline"] == rules.danish_date(letter.complaint_deadline)
    db.rollback()
    assert db.scalar(select(func.count(Appeal.id))) == 0


def test_only_the_own_signatory_appeals(db: Session, world: World, weeks: int) -> None:
    letters = _sent(db, world, weeks)
    for who, letter in (
        (world.signatories["HK"], letters["MA"]),  # another a-kasse's decision
        (world.hk_drafter, letters["HK"]),  # not a signatory
    ):
        with pytest.raises(LetterError) as refused:
            services.file_appeal(db, who, letter, "Klage.")
        assert refused.value.code == "not_signatory"
    db.rollback()
    assert db.scalar(select(func.count(Appeal.id))) == 0


def test_a_draft_cannot_be_appealed(db: Session, world: World) -> None:
    letter = _generate(db, world)["MA"]
    with pytest.raises(LetterError) as refused:
        services.file_appeal(db, world.signatories["MA"], letter, "Klage.")
    assert refused.value.code == "not_sent"


@pytest.fixture()
def appeal(db: Session, world: World, weeks: int) -> Appeal:
    letter = _sent(db, world, weeks)["MA"]
    filed = services.file_appeal(db, world.signatories["MA"], letter, "Kriterium 5 er belyst.")
    db.commit()
    return filed


def test_the_handler_took_no_part_in_the_assessment(
    db: Session, world: World, appeal: Appeal
) -> None:
    candidates = services.handler_candidates(db, appeal)
    assert world.klara in candidates and world.admin in candidates
    assert not {world.sara, world.soeren, world.lead} & set(candidates)
    for took_part in (world.sara, world.lead):
        with pytest.raises(LetterError) as refused:
            services.assign_handler(db, world.lead, appeal, took_part)
        assert refused.value.code == "handler_took_part"
        assert refused.value.params == {"name": took_part.name}
    db.rollback()
    assert appeal.handler_id is None and appeal.status == AppealStatus.FILED
    services.assign_handler(db, world.lead, appeal, world.klara)
    db.commit()
    assert appeal.handler_id == world.klara.id and appeal.status == AppealStatus.ASSIGNED


def test_a_declared_conflict_also_rules_the_handler_out(
    db: Session, world: World, appeal: Appeal
) -> None:
    version = world.versions["MA"]
    assessment.add_assignment(db, world.lead, version, world.klara)
    assessment.declare(db, world.klara, version, True, "Tidligere ansat i MA.")
    db.commit()
    assert world.klara not in services.handler_candidates(db, appeal)
    with pytest.raises(LetterError):
        services.assign_handler(db, world.lead, appeal, world.klara)


def test_only_the_lead_assigns_and_only_the_handler_decides(
    db: Session, world: World, appeal: Appeal
) -> None:
    with pytest.raises(LetterError) as not_lead:
        services.assign_handler(db, world.admin, appeal, world.klara)
    assert not_lead.value.code == "lead_only"
    services.assign_handler(db, world.lead, appeal, world.klara)
    db.commit()
    with pytest.raises(LetterError) as not_handler:
        services.decide_appeal(db, world.lead, appeal, OutcomeData("upheld", "Fastholdes."))
    assert not_handler.value.code == "not_handler"


def test_upheld_appeal_leaves_the_decision(db: Session, world: World, appeal: Appeal) -> None:
    services.assign_handler(db, world.lead, appeal, world.klara)
    services.decide_appeal(db, world.klara, appeal, OutcomeData("upheld", "Scoren står ved magt."))
    db.commit()
    decision = world.decisions["MA"]
    db.refresh(decision)
    assert appeal.status == AppealStatus.DECIDED and appeal.outcome == "upheld"
    assert appeal.previous is None and not decision.eligible
    with pytest.raises(LetterError) as again:
        services.decide_appeal(db, world.klara, appeal, OutcomeData("upheld", "Igen."))
    assert again.value.code == "appeal_decided"


def test_a_changed_decision_must_be_valid_and_different(
    db: Session, world: World, appeal: Appeal
) -> None:
    services.assign_handler(db, world.lead, appeal, world.klara)
    db.commit()
    cases = {
        "nothing_changed": OutcomeData("changed", "Ingen ændring.", eligible=False),
        "invalid_change": OutcomeData(
            "changed",
            "Frederiksberg.",
            eligible=True,
            approved=frozenset({"147", "151"}),
            capacity=10,
        ),
    }
    for code, data in cases.items():
        with pytest.raises(LetterError) as refused:
            services.decide_appeal(db, world.klara, appeal, data)
        assert refused.value.code == code
        db.rollback()
    over = OutcomeData("changed", "x", eligible=True, approved=frozenset({"101"}), capacity=99999)
    assert services.change_problems(db, world.decisions["MA"], over) == {
        "capacity": "Den godkendte kapacitet må ikke overstige den ansøgte kapacitet."
    }
    assert appeal.status == AppealStatus.ASSIGNED


def test_changed_appeal_changes_the_decision_the_next_selection_run_reads(
    db: Session, world: World, appeal: Appeal
) -> None:
    def ma_in_problem() -> dict[str, object]:
        built = build_problem(db, world.call, Targets())
        return next(f for f in built.document["funds"] if f["id"] == "MA")

    before = ma_in_problem()
    assert before["eligible"] is False and before["extent"] == []
    services.assign_handler(db, world.lead, appeal, world.klara)
    services.decide_appeal(
        db,
        world.klara,
        appeal,
        OutcomeData(
            "changed",
            "Svaret belyser profilafklaringen; kriterium 5 er opfyldt.",
            eligible=True,
            approved=frozenset({"101"}),
            capacity=1200,
        ),
    )
    db.commit()
    assert appeal.previous == {"eligible": False, "capacity": None, "extent": []}
    assert appeal.changed_to == {"eligible": True, "capacity": 1200, "extent": ["101"]}
    assert _actions(db, "eligibility.changed_on_appeal") == 1
    after = ma_in_problem()
    assert after["eligible"] is True and after["extent"] == ["101"] and after["capacity"] == 1200
