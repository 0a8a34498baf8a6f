"""Demo data for Trin 2: assignments, declarations (one conflict), assessments in every state,
a consolidation with dissent, and published decisions (one partial approval, one rejection).

Everything goes through the assessment services, so the audit log tells the same story.
AKA is left untouched, for carrying an application from assignment to a published decision;
Dana asked for Region Nordjylland, which holds only frikommuner, and Region Sjælland.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.assessment import services
from portal.assessment.rules import ScoreEntry
from portal.models import (
    ApplicationVersion,
    Call,
    Criterion,
    Organisation,
    Role,
    RunKind,
    User,
    utcnow,
)

LEAD = "leder@demo.dk"
SARA = "sagsbehandler1@demo.dk"
SOEREN = "sagsbehandler2@demo.dk"

GOOD = (3, 3, 2, 3, 2, 3)
STRONG = (4, 3, 3, 4, 3, 3)
WEAK_PROFILE = (2, 2, 2, 2, 1, 2)  # criterion 5 below its threshold

# a-kasse -> (Sara's scores, Søren's scores, consolidated, eligible decision?)
PUBLISHED = {
    "3F": (STRONG, (2, 3, 2, 3, 2, 3), STRONG),  # two points apart on criterion 1
    "HK": (GOOD, STRONG, GOOD),  # its letter is sent: hk@demo.dk reads it
    "FOA": (GOOD, STRONG, GOOD),
    "Metal": (GOOD, GOOD, GOOD),
    "MinA": (STRONG, STRONG, STRONG),
    "FTF-A": (GOOD, GOOD, GOOD),
    "BUPL-A": (GOOD, GOOD, GOOD),  # approved for part of the requested region only
    "MA": (WEAK_PROFILE, (2, 2, 2, 2, 1, 1), WEAK_PROFILE),  # not eligible
    "DSA": (GOOD, STRONG, GOOD),
    "BFA": (GOOD, GOOD, GOOD),
    "EL": (STRONG, GOOD, STRONG),
    "NNF": (GOOD, GOOD, GOOD),
    "DFH": (GOOD, GOOD, GOOD),
}
PARTIAL = "BUPL-A"


def _user(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email))
    if user is None:
        raise LookupError(f"demo account {email} missing")
    return user


VERDICTS = {0: "ikke belyst", 1: "for uklart", 2: "tilstrækkeligt"}


def _entries(criteria: list[Criterion], scores: tuple[int, ...], who: str) -> list[ScoreEntry]:
    return [
        ScoreEntry(
            c.id,
            score,
            f"{who}: svaret er {VERDICTS.get(score, 'konkret og dokumenteret')} "
            f"om «{c.title.lower()}».",
        )
        for c, score in zip(criteria, scores, strict=False)
    ]


def load_demo_assessment(db: Session, call: Call, users: dict[str, User]) -> None:
    lead, sara, soeren = _user(db, LEAD), _user(db, SARA), _user(db, SOEREN)
    versions = {
        v.application.organisation.short_id: v for v in services.assessable_versions(db, call)
    }
    criteria = list(call.criteria_set.criteria)

    def assess(
        short_id: str, sara_scores: tuple[int, ...], soeren_scores: tuple[int, ...]
    ) -> ApplicationVersion:
        version = versions[short_id]
        for person in (sara, soeren):
            services.add_assignment(db, lead, version, person)
            services.declare(db, person, version, False, "")
        services.save_assessment(db, sara, version, _entries(criteria, sara_scores, "Sara"), True)
        services.save_assessment(
            db, soeren, version, _entries(criteria, soeren_scores, "Søren"), True
        )
        return version

    def consolidate(
        version: ApplicationVersion, scores: tuple[int, ...], dissent: bool = False
    ) -> None:
        entries = []
        for c, score in zip(criteria, scores, strict=True):
            entries.append(
                services.ConsolidatedEntry(
                    c.id,
                    score,
                    f"Konsolideret efter drøftelse: {score} på skalaen for «{c.title.lower()}».",
                    dissent=(
                        "Søren finder, at tilbuddet til opsagte medlemmer kun er beskrevet "
                        "generelt, og ville give 2."
                        if dissent and c.position == 3
                        else ""
                    ),
                    dissent_assessor_id=soeren.id if dissent and c.position == 3 else None,
                )
            )
        services.save_consolidation(db, lead, version, entries, sign_off=True)

    # 3F was asked a question and answered it before the decision.
    question = services.request_information(
        db,
        lead,
        versions["3F"],
        "Hvor mange af jeres afdelinger kan holde fysiske samtaler fra første måned?",
        utcnow() + timedelta(days=7),
    )
    services.answer_request(
        db,
        _first_signatory(db, "3F"),
        question,
        "Alle 35 afdelinger kan holde fysiske samtaler fra første måned; 6 af dem også om aftenen.",
    )
    for short_id, (sara_scores, soeren_scores, consolidated) in PUBLISHED.items():
        version = assess(short_id, sara_scores, soeren_scores)
        consolidate(version, consolidated)
        eligible, _failing = services.proposal(db, version) or (False, [])
        covered = sorted(services.requested_covered(db, version))
        approved = covered[: len(covered) // 2] if short_id == PARTIAL else covered
        capacity = services.declared_capacity(version)
        services.decide(
            db,
            lead,
            version,
            services.DecisionData(
                eligible=eligible,
                reasoning=(
                    "Ansøgningen lever op til alle seks kriterier."
                    if eligible
                    else "Ansøgningen belyser ikke kriterium 5 (profilafklaring) tilstrækkeligt."
                )
                + (
                    " Den godkendte udstrækning er begrænset til de kommuner, hvor a-kassen har "
                    "afdelinger."
                    if short_id == PARTIAL
                    else ""
                ),
                approved=frozenset(approved if eligible else []),
                capacity=(capacity // 2 if short_id == PARTIAL and capacity else capacity)
                if eligible
                else None,
            ),
        )
    services.publish(db, lead, call)

    # CA: both assessments in, consolidated with a dissent, waiting for the decision.
    ca = assess("CA", GOOD, (3, 3, 1, 3, 2, 3))
    consolidate(ca, GOOD, dissent=True)
    # Lederne: Sara has submitted, Søren has a draft; a question waits for an answer.
    lederne = versions["Lederne"]
    for person in (sara, soeren):
        services.add_assignment(db, lead, lederne, person)
        services.declare(db, person, lederne, False, "")
    services.save_assessment(db, sara, lederne, _entries(criteria, GOOD, "Sara"), True)
    services.save_assessment(db, soeren, lederne, _entries(criteria[:3], GOOD[:3], "Søren"), False)
    services.request_information(
        db,
        sara,
        lederne,
        "Beskriv, hvordan I vil nå ledere uden for de store byer.",
        utcnow() + timedelta(days=10),
    )
    # Krifa: Søren declared a conflict and left; one assessor is missing.
    krifa = versions["Krifa"]
    for person in (sara, soeren):
        services.add_assignment(db, lead, krifa, person)
    services.declare(db, sara, krifa, False, "")
    services.declare(db, soeren, krifa, True, "Tidligere ansat i Krifa (2019–2022).")
    services.save_assessment(db, sara, krifa, _entries(criteria, GOOD, "Sara"), True)
    # AKA and Dana are left for the lead to assign.
    db.flush()
    load_demo_selection(db, call, lead)


def load_demo_selection(db: Session, call: Call, lead: User) -> None:
    """Trin 3: a computed run with alternatives, an infeasible what-if with its diagnosis, and
    the notes and positions of two parties on the proposal, which the lead presents."""
    from portal.proposals import jobs
    from portal.proposals import services as selection
    from portal.proposals.problem import Targets

    base = selection.start_run(db, lead, call, Targets(), label="Forslag til udvælgelse (demo)")
    jobs.run_now(db, base)
    what_if = selection.start_run(
        db,
        lead,
        call,
        Targets(exclude=("3F",)),
        label="Hvad nu hvis 3F ikke er med?",
        kind=RunKind.WHAT_IF,
        parent=base,
        options={"alternatives": 0, "explanations": False},
    )
    jobs.run_now(db, what_if)
    best = base.proposals[0]
    social, liberal = _user(db, "parti@demo.dk"), _user(db, "parti2@demo.dk")
    selection.set_position(db, social, best, "supports", "Et bredt udvalg, der når målet.")
    selection.set_position(
        db, liberal, best, "can_accept", "Vi ønsker en mindre a-kasse med, hvis målet kan holdes."
    )
    selection.add_note(db, social, best, "Spørg til sammenligningsgruppen for 3F.")
    selection.add_note(db, liberal, best, "Se alternativ 1 med BUPL-A.")
    selection.present(db, lead, best)
    db.flush()


def _first_signatory(db: Session, short_id: str) -> User:
    org_id = db.scalar(select(Organisation.id).where(Organisation.short_id == short_id))
    user = db.scalar(
        select(User)
        .where(User.organisation_id == org_id, User.role == Role.SIGNATORY)
        .order_by(User.id)
    )
    if user is None:
        raise LookupError(f"no signatory for {short_id}")
    return user
