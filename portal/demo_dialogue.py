"""Demo data for the dialogue meeting: the lead's published interpretation of every criterion,
a later revision of one (so the history shows), a draft revision of another (which only the
agency sees), the meeting with its agenda, and a comment from the labour-market parties.

Everything goes through the dialogue services, so the audit log tells the same story. The
consolidations are signed off before the interpretations are published, so the first
versions take their scores; the revision leaves those links where they are.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.dialogue import services
from portal.dialogue.services import CommentData, InterpretationData, MeetingData
from portal.models import Call, User, utcnow

LEAD = "leder@demo.dk"
LABOUR = "parter@demo.dk"

# By criterion position: (interpretation, borderline examples).
INTERPRETATIONS = {
    1: (
        "Kriteriet er opfyldt, når a-kassen viser, at den kan holde CV-samtalen inden for to "
        "ugers ledighed for alle de forløb, den søger om. Vi har lagt vægt på bemanding i "
        "årsværk og en realistisk plan for at skalere op, ikke på antallet af medlemmer.",
        "Lige netop opfyldt: en plan med 18 samtaler pr. årsværk om ugen og konkrete "
        "nyansættelser. Lige netop ikke opfyldt: en hensigt om at ansætte uden tal eller tidsplan.",
    ),
    2: (
        "Kriteriet er opfyldt, når a-kassen kan holde fysiske samtaler i de kommuner, den søger "
        "om, enten i egne afdelinger eller i faste mødesteder. Digitale samtaler tæller med som "
        "supplement, ikke som erstatning.",
        "Lige netop opfyldt: afdelinger i hver region og aftaler om mødelokaler i resten. Lige "
        "netop ikke opfyldt: kun digitale samtaler uden for hovedstadsområdet.",
    ),
    3: (
        "Kriteriet er opfyldt, når a-kassen allerede i opsigelsesperioden kontakter medlemmet "
        "og tilbyder en samtale om jobsøgning. Et generelt tilbud på hjemmesiden er ikke nok.",
        "Lige netop opfyldt: en fast kontakt inden for en uge efter opsigelsen. Lige netop ikke "
        "opfyldt: et nyhedsbrev til alle opsagte medlemmer.",
    ),
    4: (
        "Kriteriet er opfyldt, når a-kassen formidler konkrete job ud fra egen viden om "
        "virksomheder og det lokale arbejdsmarked, og kan vise det med tal fra det seneste år.",
        "Lige netop opfyldt: et jobformidlingsteam med faste virksomhedsaftaler. Lige netop "
        "ikke opfyldt: henvisning til Jobnet alene.",
    ),
    5: (
        "Kriteriet er opfyldt, når a-kassen bruger profilafklaringsværktøjet ved CV-samtalen "
        "som input til en faglig vurdering, og har en klar procedure for at sende ledige i "
        "risiko videre til jobcentret.",
        "Lige netop opfyldt: en skriftlig procedure med ansvarlig medarbejder. Lige netop ikke "
        "opfyldt: værktøjet nævnt uden beskrivelse af, hvad der sker bagefter.",
    ),
    6: (
        "Kriteriet er opfyldt, når a-kassen vejleder om uddannelse inden for sit faglige område "
        "og har samarbejde med uddannelsesinstitutioner.",
        "Lige netop opfyldt: en uddannelsesvejleder og aftaler med to erhvervsskoler. Lige "
        "netop ikke opfyldt: et link til uddannelsesguiden.",
    ),
}

REVISED = (
    2,
    "Kriteriet er opfyldt, når a-kassen kan holde fysiske samtaler i de kommuner, den søger "
    "om, i egne afdelinger, faste mødesteder eller lånte lokaler hos jobcentret. Digitale "
    "samtaler tæller med, når medlemmet selv vælger dem; de kan ikke være det eneste tilbud.",
    "Tilføjet, at lånte lokaler hos jobcentret tæller som mødested, og at digitale samtaler "
    "tæller, når medlemmet selv vælger dem.",
)
DRAFT = (
    5,
    "Kriteriet er opfyldt, når a-kassen bruger profilafklaringsværktøjet ved CV-samtalen og "
    "dokumenterer den faglige vurdering i sagen.",
    "Præciseret, at den faglige vurdering skal dokumenteres.",
)

AGENDA = (
    "1. Velkomst og mødets formål\n"
    "2. Styrelsens fortolkning af de seks kriterier\n"
    "3. Fordelingen af de konsoliderede scorer pr. kriterium\n"
    "4. Overblik over afgørelser om støtteberettigelse og godkendt geografisk udstrækning\n"
    "5. Parternes bemærkninger\n"
    "6. Eventuelt"
)


def _user(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email))
    if user is None:
        raise LookupError(f"demo account {email} missing")
    return user


def load_demo_dialogue(db: Session, call: Call) -> None:
    lead, labour = _user(db, LEAD), _user(db, LABOUR)
    criteria = {c.position: c for c in services.criteria_of(call)}
    for position, (text, borderline) in INTERPRETATIONS.items():
        services.save_interpretation(
            db, lead, call, criteria[position], InterpretationData(text, borderline)
        )
    services.publish_drafts(db, lead, call)
    position, text, note = REVISED
    revision = services.save_interpretation(
        db, lead, call, criteria[position], InterpretationData(text, INTERPRETATIONS[2][1], note)
    )
    services.publish_interpretation(db, lead, revision)
    position, text, note = DRAFT
    services.save_interpretation(
        db, lead, call, criteria[position], InterpretationData(text, INTERPRETATIONS[5][1], note)
    )
    day = call.dialogue_meeting_on or (utcnow() + timedelta(days=45)).date()
    services.save_meeting(
        db,
        lead,
        call,
        MeetingData(
            starts_at=datetime.combine(day, time(10, 0), tzinfo=services.COPENHAGEN),
            place="Styrelsen for Arbejdsmarked og Rekruttering, Njalsgade 72A, København S",
            agenda=AGENDA,
        ),
    )
    services.add_comment(
        db,
        labour,
        call,
        CommentData(
            "Vi vil gerne drøfte, om digitale samtaler bør tælle fuldt ud i tyndt befolkede "
            "kommuner, hvor der er langt til nærmeste afdeling.",
            criteria[2].id,
        ),
    )
    db.flush()
