"""Pure rules of decision letters and appeals: which placeholders each kind of letter knows
and needs, filling them in, which kind a decision gets, the complaint deadline, and the
Danish wording of the values a letter is filled with.

A placeholder is a name in braces, `{a_kasse}`. Templates are checked when they are saved
(unknown or missing placeholders, stray braces) and letters when they are generated (every
placeholder resolves). `{dato}` and `{klagefrist}` stay in the frozen text until the letter
is sent: the complaint deadline runs from the day of sending.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from portal.i18n import N_

ELIGIBLE, PARTIAL, REJECTED = "eligible", "partial", "rejected"
SELECTED, NOT_SELECTED = "selected", "not_selected"
KINDS = (ELIGIBLE, PARTIAL, REJECTED, SELECTED, NOT_SELECTED)
ELIGIBILITY_KINDS = (ELIGIBLE, PARTIAL, REJECTED)
SELECTION_KINDS = (SELECTED, NOT_SELECTED)

KIND_LABELS = {
    ELIGIBLE: N_("Støtteberettiget"),
    PARTIAL: N_("Støtteberettiget, delvis godkendt"),
    REJECTED: N_("Ikke støtteberettiget"),
    SELECTED: N_("Udvalgt til forsøget"),
    NOT_SELECTED: N_("Ikke udvalgt til forsøget"),
}

# --- placeholders ------------------------------------------------------------------------------

PLACEHOLDER_LABELS = {
    "a_kasse": N_("a-kassens navn"),
    "runde": N_("ansøgningsrundens titel"),
    "dato": N_("brevets dato (sættes, når brevet sendes)"),
    "klagefrist": N_("klagefristen (sættes, når brevet sendes)"),
    "afgørelse": N_("afgørelsen i én sætning"),
    "begrundelse": N_("begrundelsen for afgørelsen"),
    "kriterier": N_("styrelsens vurdering pr. kriterium fra konsolideringen"),
    "ikke_opfyldt": N_("en sætning om de kriterier, der ikke er opfyldt"),
    "udstrækning": N_("den godkendte (eller udvalgte) geografiske udstrækning"),
    "kapacitet": N_("den godkendte kapacitet"),
    "ansøgt_udstrækning": N_("den ansøgte geografiske udstrækning"),
    "ansøgt_kapacitet": N_("den ansøgte kapacitet"),
    "delvis": N_("hvad der er godkendt i forhold til det ansøgte"),
    "forløb": N_("forventede forløb om året i forsøget"),
}
SEND_TIME = frozenset({"dato", "klagefrist"})
_COMMON = ("a_kasse", "runde", "dato", "klagefrist", "afgørelse", "begrundelse")
ALLOWED: dict[str, tuple[str, ...]] = {
    ELIGIBLE: (*_COMMON, "kriterier", "udstrækning", "kapacitet"),
    PARTIAL: (
        *_COMMON,
        "kriterier",
        "udstrækning",
        "kapacitet",
        "ansøgt_udstrækning",
        "ansøgt_kapacitet",
        "delvis",
    ),
    REJECTED: (*_COMMON, "kriterier", "ikke_opfyldt"),
    SELECTED: (*_COMMON, "udstrækning", "kapacitet", "forløb"),
    NOT_SELECTED: _COMMON,
}
SUBJECT_ALLOWED = ("a_kasse", "runde")
# What the letter must say whatever the administrator writes: the decision and its reasons
# (per criterion after Trin 2, what was approved of a partial approval), and the deadline.
REQUIRED_IN_BODY: dict[str, tuple[str, ...]] = {
    ELIGIBLE: ("afgørelse", "begrundelse", "kriterier"),
    PARTIAL: ("afgørelse", "begrundelse", "kriterier", "delvis"),
    REJECTED: ("afgørelse", "begrundelse", "kriterier"),
    SELECTED: ("afgørelse", "begrundelse"),
    NOT_SELECTED: ("afgørelse", "begrundelse"),
}
REQUIRED_IN_GUIDANCE = ("klagefrist",)

_TOKEN = re.compile(r"\{([^{}\s]{1,40})\}")

UNKNOWN_PLACEHOLDER = N_("Ukendte flettefelter: %(names)s. Tilladte flettefelter: %(allowed)s.")
MISSING_PLACEHOLDER = N_("Teksten skal indeholde flettefeltet %(names)s.")
STRAY_BRACE = N_(
    "Krøllede parenteser bruges kun om flettefelter, fx {a_kasse}; tjek at hvert flettefelt "
    "har både { og }."
)
TEXT_MISSING = N_("Feltet skal udfyldes.")


@dataclass(frozen=True)
class Problem:
    """A Danish message id and the values it names (formatted by the caller)."""

    message: str
    params: Mapping[str, str]


def placeholders_in(text: str) -> list[str]:
    """The placeholder names in order of first appearance."""
    return list(dict.fromkeys(_TOKEN.findall(text)))


def braced(names: Iterable[str]) -> str:
    return ", ".join(f"{{{name}}}" for name in names)


def text_problem(text: str, allowed: Sequence[str], required: Sequence[str] = ()) -> Problem | None:
    """The first problem of one template field, or None."""
    if not text.strip():
        return Problem(TEXT_MISSING, {})
    if "{" in _TOKEN.sub("", text) or "}" in _TOKEN.sub("", text):
        return Problem(STRAY_BRACE, {})
    unknown = [name for name in placeholders_in(text) if name not in allowed]
    if unknown:
        return Problem(UNKNOWN_PLACEHOLDER, {"names": braced(unknown), "allowed": braced(allowed)})
    missing = [name for name in required if name not in placeholders_in(text)]
    if missing:
        return Problem(MISSING_PLACEHOLDER, {"names": braced(missing)})
    return None


def template_problems(kind: str, subject: str, body: str, guidance: str) -> dict[str, Problem]:
    """Field name ("subject", "body", "guidance") -> its problem; empty when it may be saved."""
    found = {
        "subject": text_problem(subject, SUBJECT_ALLOWED),
        "body": text_problem(body, ALLOWED[kind], REQUIRED_IN_BODY[kind]),
        "guidance": text_problem(guidance, ALLOWED[kind], REQUIRED_IN_GUIDANCE),
    }
    return {name: problem for name, problem in found.items() if problem is not None}


def unresolved(text: str, values: Mapping[str, str | None], keep: Iterable[str] = ()) -> list[str]:
    """Placeholders of `text` without a value (those in `keep` are filled later)."""
    kept = set(keep)
    return [n for n in placeholders_in(text) if n not in kept and values.get(n) is None]


def fill(text: str, values: Mapping[str, str | None], keep: Iterable[str] = ()) -> str:
    """`text` with its placeholders replaced; those in `keep` stay as they are. A placeholder
    without a value is a KeyError (check with `unresolved` first)."""
    kept = set(keep)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in kept:
            return match.group(0)
        value = values.get(name)
        if value is None:
            raise KeyError(name)
        return value

    return _TOKEN.sub(replace, text)


def fill_send_time(text: str, letter_date: date, deadline: date) -> str:
    """The frozen text with the letter's date and complaint deadline; nothing else in it is
    read as a placeholder (a reason may hold braces of its own)."""
    return text.replace("{dato}", danish_date(letter_date)).replace(
        "{klagefrist}", danish_date(deadline)
    )


# --- which letter ------------------------------------------------------------------------------


def eligibility_kind(
    eligible: bool,
    approved: set[str],
    requested: set[str],
    capacity: int | None,
    declared: int | None,
) -> str:
    """Rejected; partial when less extent or capacity was approved than applied for."""
    if not eligible:
        return REJECTED
    fewer_municipalities = bool(requested - approved)
    less_capacity = capacity is not None and declared is not None and capacity < declared
    return PARTIAL if fewer_municipalities or less_capacity else ELIGIBLE


def complaint_deadline(letter_date: date, weeks: int) -> date:
    return letter_date + timedelta(weeks=weeks)


def in_time(filed_on: date, deadline: date) -> bool:
    """A complaint filed on the deadline's day (Danish time) is in time."""
    return filed_on <= deadline


# --- Danish wording ----------------------------------------------------------------------------

MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


def danish_date(value: date) -> str:
    """ "1. april 2019": the letter is a Danish document whatever the reader's language."""
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


def danish_number(value: float) -> str:
    """3.000 and 12,5."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    whole, _dot, decimals = f"{value:,.1f}".partition(".")
    return f"{whole.replace(',', '.')},{decimals}"


def courses(value: float) -> str:
    return f"{danish_number(value)} forløb om året"


def joined(items: Sequence[str]) -> str:
    """ "a", "a og b", "a, b og c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} og {items[-1]}"


@dataclass(frozen=True)
class RegionPart:
    """One region of an extent: its name, the chosen municipalities' names, and whether they
    are all its municipalities that can take part."""

    region: str
    municipalities: tuple[str, ...]
    whole: bool


def extent_summary(parts: Sequence[RegionPart], national: bool) -> str:
    """The extent in words: "hele landet undtagen frikommunerne (83 kommuner)", or per region
    the region's name when it is covered in full, else "15 kommuner i Region Sjælland"."""
    total = sum(len(p.municipalities) for p in parts)
    count = "1 kommune" if total == 1 else f"{danish_number(total)} kommuner"
    if not parts:
        return "ingen kommuner"
    if national:
        return f"hele landet undtagen frikommunerne ({count})"
    pieces = [
        p.region
        if p.whole
        else (
            f"{p.municipalities[0]} i {p.region}"
            if len(p.municipalities) == 1
            else f"{len(p.municipalities)} kommuner i {p.region}"
        )
        for p in parts
    ]
    return f"{joined(pieces)} ({count} i alt)" if len(parts) > 1 else f"{joined(pieces)}"


def partial_text(approved: int, requested: int, capacity: int | None, declared: int | None) -> str:
    """What was approved of what was applied for, in the words of a partial approval."""
    parts = []
    if approved < requested:
        parts.append(
            f"Styrelsen har godkendt {danish_number(approved)} af de {danish_number(requested)} "
            "kommuner, I har søgt om."
        )
    if capacity is not None and declared is not None and capacity < declared:
        parts.append(
            f"Den godkendte kapacitet er {courses(capacity)}; I har søgt om {courses(declared)}."
        )
    parts.append("I har dermed fået delvist medhold i ansøgningen.")
    return " ".join(parts)


@dataclass(frozen=True)
class CriterionReason:
    position: int
    title: str
    score: int | None
    scale_max: int
    threshold: int
    reasoning: str

    @property
    def met(self) -> bool:
        return self.score is not None and self.score >= self.threshold


def criteria_text(reasons: Sequence[CriterionReason]) -> str:
    """One paragraph per criterion: verdict, score against the threshold, the reasoning."""
    paragraphs = []
    for r in reasons:
        verdict = "opfyldt" if r.met else "ikke opfyldt"
        score = (
            "kan ikke vurderes på de foreliggende oplysninger"
            if r.score is None
            else f"score {r.score} af {r.scale_max}"
        )
        paragraphs.append(
            f"Kriterium {r.position}. {r.title}: {verdict} ({score}; kravet er mindst "
            f"{r.threshold}).\n{r.reasoning.strip()}"
        )
    return "\n\n".join(paragraphs)


def failing_text(reasons: Sequence[CriterionReason]) -> str:
    """One sentence naming the criteria below their threshold."""
    failing = [f"kriterium {r.position} ({r.title})" for r in reasons if not r.met]
    if not failing:
        return "Alle kriterier har nået deres tærskel; afslaget hviler på begrundelsen ovenfor."
    return f"Ansøgningen opfylder ikke {joined(failing)}."


# --- the text as paragraphs --------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    heading: bool
    text: str


def blocks(text: str) -> list[Block]:
    """Paragraphs separated by blank lines; a line starting with "## " at the start of a
    paragraph is a heading (the rest of the paragraph follows it). Line breaks inside a
    paragraph are kept by the page and the PDF."""
    found = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        first, _newline, rest = chunk.strip("\n").partition("\n")
        if first.startswith("## "):
            found.append(Block(True, first[3:].strip()))
        else:
            rest = chunk.strip("\n")
        if rest.strip():
            found.append(Block(False, rest.strip("\n")))
    return found


# --- appeals -----------------------------------------------------------------------------------

UPHELD, CHANGED = "upheld", "changed"
OUTCOME_LABELS = {
    UPHELD: N_("Afgørelsen fastholdes"),
    CHANGED: N_("Afgørelsen ændres"),
}
APPEAL_STATUS_LABELS = {
    "filed": N_("Modtaget, venter på en sagsbehandler"),
    "assigned": N_("Under behandling"),
    "decided": N_("Afgjort"),
}
