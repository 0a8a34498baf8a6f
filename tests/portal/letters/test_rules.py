"""The pure rules of letters: placeholders, kinds, deadlines and the Danish wording."""

from __future__ import annotations

from datetime import date

import pytest

from portal.letters import rules
from portal.letters.defaults import DEFAULTS


@pytest.mark.parametrize("kind", rules.KINDS)
def test_default_templates_are_valid(kind: str) -> None:
    default = DEFAULTS[kind]
    assert rules.template_problems(kind, default.subject, default.body, default.guidance) == {}


def test_unknown_placeholder_names_it_and_the_allowed_ones() -> None:
    problem = rules.text_problem("Kære {akasse} og {a_kasse}", rules.ALLOWED[rules.ELIGIBLE])
    assert problem is not None and problem.message == rules.UNKNOWN_PLACEHOLDER
    assert problem.params["names"] == "{akasse}"
    assert "{a_kasse}" in problem.params["allowed"] and "{kapacitet}" in problem.params["allowed"]


def test_placeholder_of_another_kind_is_unknown() -> None:
    """A rejection has no approved extent to name."""
    problems = rules.template_problems(
        rules.REJECTED,
        "Afgørelse",
        "{afgørelse} {begrundelse} {kriterier} {udstrækning}",
        "Senest {klagefrist}.",
    )
    assert set(problems) == {"body"}
    assert problems["body"].params["names"] == "{udstrækning}"


def test_missing_required_placeholders_are_named() -> None:
    problems = rules.template_problems(
        rules.PARTIAL, "Afgørelse", "{afgørelse} {begrundelse}", "Klag til styrelsen."
    )
    assert problems["body"].message == rules.MISSING_PLACEHOLDER
    assert problems["body"].params["names"] == "{kriterier}, {delvis}"
    assert problems["guidance"].params["names"] == "{klagefrist}"


def test_stray_brace_and_empty_text_are_refused() -> None:
    allowed = rules.ALLOWED[rules.ELIGIBLE]
    assert rules.text_problem("Kære {a_kasse", allowed) == rules.Problem(rules.STRAY_BRACE, {})
    assert rules.text_problem("Kære a_kasse}", allowed) == rules.Problem(rules.STRAY_BRACE, {})
    assert rules.text_problem("  ", allowed) == rules.Problem(rules.TEXT_MISSING, {})


def test_subject_allows_only_name_and_call() -> None:
    problems = rules.template_problems(
        rules.SELECTED,
        "Udvalgt: {a_kasse} ({kapacitet})",
        DEFAULTS[rules.SELECTED].body,
        DEFAULTS[rules.SELECTED].guidance,
    )
    assert set(problems) == {"subject"} and problems["subject"].params["names"] == "{kapacitet}"


def test_fill_keeps_send_time_placeholders_and_reports_the_unresolved() -> None:
    text = "Kære {a_kasse}. Frist {klagefrist}. {kapacitet}"
    values: dict[str, str | None] = {"a_kasse": "HK", "kapacitet": None}
    assert rules.unresolved(text, values, keep=rules.SEND_TIME) == ["kapacitet"]
    values["kapacitet"] = "{ikke et felt}"
    filled = rules.fill(text, values, keep=rules.SEND_TIME)
    assert filled == "Kære HK. Frist {klagefrist}. {ikke et felt}"
    sent = rules.fill_send_time(filled, date(2026, 3, 1), date(2026, 3, 29))
    assert sent == "Kære HK. Frist 29. marts 2026. {ikke et felt}"


def test_eligibility_kind() -> None:
    requested = {"101", "147"}
    assert rules.eligibility_kind(False, set(), requested, None, 100) == rules.REJECTED
    assert rules.eligibility_kind(True, requested, requested, 100, 100) == rules.ELIGIBLE
    assert rules.eligibility_kind(True, {"101"}, requested, 100, 100) == rules.PARTIAL
    assert rules.eligibility_kind(True, requested, requested, 50, 100) == rules.PARTIAL
    assert rules.eligibility_kind(True, requested, requested, 50, None) == rules.ELIGIBLE


def test_complaint_deadline_counts_weeks_and_its_last_day_is_in_time() -> None:
    deadline = rules.complaint_deadline(date(2026, 1, 5), 4)
    assert deadline == date(2026, 2, 2)
    assert rules.in_time(date(2026, 2, 2), deadline)
    assert not rules.in_time(date(2026, 2, 3), deadline)


def test_danish_words() -> None:
    assert rules.danish_date(date(2019, 4, 2)) == "2. april 2019"
    assert rules.danish_number(37500) == "37.500" and rules.danish_number(12.5) == "12,5"
    assert rules.joined(["a", "b", "c"]) == "a, b og c"
    hovedstaden = rules.RegionPart("Region Hovedstaden", ("Albertslund", "Ballerup"), False)
    sjaelland = rules.RegionPart("Region Sjælland", ("Køge",), True)
    assert rules.extent_summary([hovedstaden], False) == "2 kommuner i Region Hovedstaden"
    assert rules.extent_summary([hovedstaden, sjaelland], False) == (
        "2 kommuner i Region Hovedstaden og Region Sjælland (3 kommuner i alt)"
    )
    assert (
        rules.extent_summary([sjaelland], True) == "hele landet undtagen frikommunerne (1 kommune)"
    )


def test_partial_text_names_what_was_cut() -> None:
    assert rules.partial_text(12, 25, 2500, 5000) == (
        "Styrelsen har godkendt 12 af de 25 kommuner, I har søgt om. Den godkendte kapacitet "
        "er 2.500 forløb om året; I har søgt om 5.000 forløb om året. I har dermed fået "
        "delvist medhold i ansøgningen."
    )
    assert rules.partial_text(25, 25, 2500, 5000).startswith("Den godkendte kapacitet")


def test_criteria_text_and_failing_criteria() -> None:
    reasons = [
        rules.CriterionReason(1, "Kapacitet", 3, 4, 2, "Godt beskrevet."),
        rules.CriterionReason(2, "Profilafklaring", None, 4, 2, "Mangler."),
    ]
    text = rules.criteria_text(reasons)
    assert "Kriterium 1. Kapacitet: opfyldt (score 3 af 4; kravet er mindst 2).\nGodt" in text
    assert "Kriterium 2. Profilafklaring: ikke opfyldt (kan ikke vurderes" in text
    assert rules.failing_text(reasons) == "Ansøgningen opfylder ikke kriterium 2 (Profilafklaring)."


def test_blocks_make_headings_and_paragraphs() -> None:
    found = rules.blocks("Kære HK\n\n## Afgørelse\nI er udvalgt.\nLinje to.\n\n\nHilsen")
    assert found == [
        rules.Block(False, "Kære HK"),
        rules.Block(True, "Afgørelse"),
        rules.Block(False, "I er udvalgt.\nLinje to."),
        rules.Block(False, "Hilsen"),
    ]
