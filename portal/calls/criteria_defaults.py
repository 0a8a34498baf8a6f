"""The six selection criteria of the policy text (Trin 1), as the default criteria set.

Texts are Danish: they are what a-kasser answer and assessors score.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_FAMILY = "kontaktforloeb-2018"
DEFAULT_TITLE = "Kriterier for udvælgelse af a-kasser til forsøg med kontaktforløbet"

ANCHORS = {
    "0": "Ikke belyst",
    "1": "Utilstrækkeligt belyst",
    "2": "Lever op til kriteriet",
    "3": "Lever i høj grad op til kriteriet",
    "4": "Lever i meget høj grad op til kriteriet",
}


@dataclass(frozen=True)
class CriterionText:
    title: str
    guidance: str
    evidence: str


DEFAULT_CRITERIA = (
    CriterionText(
        "Kapacitet, herunder til at levere samtaler",
        "Beskriv a-kassens kapacitet til at varetage kontaktforløbet: antal forløb om året, "
        "medarbejdere til samtaler, og hvordan CV-samtalen holdes senest efter 2 ugers ledighed.",
        "Bemanding i årsværk, samtaler pr. årsværk pr. uge, plan for opskalering.",
    ),
    CriterionText(
        "Geografisk forankring",
        "Beskriv hvor a-kassen har fysisk tilstedeværelse og hvordan samtaler holdes i de "
        "kommuner, der søges om.",
        "Afdelinger og mødesteder, andel samtaler holdt fysisk og digitalt.",
    ),
    CriterionText(
        "Indsats for medlemmer i opsigelsesperioden",
        "Beskriv a-kassens indsats for medlemmer, der er opsagt men endnu ikke ledige.",
        "Eksisterende tilbud, kontaktfrekvens og resultater.",
    ),
    CriterionText(
        "Aktiv jobsøgning og jobservice/jobformidling",
        "Beskriv hvordan a-kassen understøtter aktiv jobsøgning og formidler job ud fra konkret "
        "viden om jobåbninger og kendskab til det lokale og regionale arbejdsmarked.",
        "Samarbejde med virksomheder, jobformidlinger det seneste år, brug af jobdatabaser.",
    ),
    CriterionText(
        "Afklaring af risiko for langtidsledighed med profilafklaringsværktøjet",
        "Beskriv hvordan a-kassen bruger det digitale profilafklaringsværktøj som input til den "
        "faglige vurdering, og hvordan ledige i risiko overgår til jobcentret.",
        "Procedure for screening ved CV-samtalen og overgang til jobcentret.",
    ),
    CriterionText(
        "Vejledning om uddannelse inden for a-kassens faglige område",
        "Beskriv a-kassens vejledning om uddannelsestilbud inden for sit faglige område.",
        "Vejledningstilbud, samarbejde med uddannelsesinstitutioner.",
    ),
)
