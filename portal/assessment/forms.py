"""Forms of the agency's assessment: declarations, sealed scoring, requests for information,
assignment, consolidation and the eligibility decision.

The per-criterion forms are built per criteria set, one group of fields per criterion;
`entries()` turns them into the service's input values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.assessment import rules
from portal.assessment.services import ConsolidatedEntry, DecisionData
from portal.forms import CheckboxList, PortalForm, YearRange, local_to_utc, options
from portal.models import Criterion

TEXT_LIMIT = 5000


class DeclarationForm(PortalForm):
    choice = RadioField(
        _l("Habilitetserklæring"),
        choices=options(
            [
                ("none", _l("Jeg har ingen interessekonflikt i forhold til denne a-kasse")),
                ("conflict", _l("Jeg har en interessekonflikt")),
            ]
        ),
        validators=[InputRequired(message=_l("Vælg en af mulighederne."))],
    )
    reason = TextAreaField(
        _l("Beskriv konflikten (fx tidligere ansat i eller bestyrelsesmedlem af a-kassen)"),
        validators=[Length(max=2000)],
    )

    def validate_reason(self, field: Any) -> None:
        if self.choice.data == "conflict" and not (field.data or "").strip():
            raise ValidationError(gettext("Beskriv interessekonflikten."))


def _scale_choices(criterion: Criterion) -> list[tuple[str, str]]:
    anchors = criterion.anchors or {}
    return [
        (str(value), f"{value} – {anchors[str(value)]}" if str(value) in anchors else str(value))
        for value in range(criterion.scale_min, criterion.scale_max + 1)
    ]


def scoring_form_class(criteria: Sequence[Criterion]) -> type[PortalForm]:
    """Per criterion: score (its anchored scale), "cannot assess", justification."""

    class ScoringForm(PortalForm):
        action = HiddenField()

    for criterion in criteria:
        setattr(
            ScoringForm,
            f"score_{criterion.id}",
            RadioField(
                _l("Score"),
                choices=options(_scale_choices(criterion)),
                validators=[Optional()],
                validate_choice=False,
            ),
        )
        setattr(
            ScoringForm,
            f"cannot_{criterion.id}",
            BooleanField(_l("Kan ikke vurderes – oplysninger mangler")),
        )
        setattr(
            ScoringForm,
            f"justification_{criterion.id}",
            TextAreaField(_l("Begrundelse"), validators=[Length(max=TEXT_LIMIT)]),
        )
    return ScoringForm


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return -1  # off every scale: reported as such


def score_entries(form: Any, criteria: Sequence[Criterion]) -> list[rules.ScoreEntry]:
    return [
        rules.ScoreEntry(
            criterion_id=c.id,
            score=_int_or_none(form[f"score_{c.id}"].data),
            justification=form[f"justification_{c.id}"].data or "",
            cannot_assess=bool(form[f"cannot_{c.id}"].data),
        )
        for c in criteria
    ]


SCORE_FIELD_OF = {
    rules.SCORE_AND_CANNOT_ASSESS: "score",
    rules.SCORE_OFF_SCALE: "score",
    rules.SCORE_MISSING: "score",
    rules.JUSTIFICATION_MISSING: "justification",
}


def show_score_problems(form: Any, problems: dict[int, str]) -> None:
    """Put each criterion's problem next to the field it concerns."""
    for criterion_id, problem in problems.items():
        name = f"{SCORE_FIELD_OF.get(problem, 'score')}_{criterion_id}"
        form[name].errors = [*form[name].errors, gettext(problem)]


def scoring_initial(assessment: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if assessment is None:
        return data
    for score in assessment.scores:
        data[f"score_{score.criterion_id}"] = "" if score.score is None else str(score.score)
        data[f"cannot_{score.criterion_id}"] = score.cannot_assess
        data[f"justification_{score.criterion_id}"] = score.justification
    return data


class ReopenForm(PortalForm):
    reason = TextAreaField(
        _l("Begrundelse for genåbning"),
        validators=[
            InputRequired(message=_l("Skriv hvorfor vurderingen genåbnes.")),
            Length(max=2000),
        ],
    )


class RequestForm(PortalForm):
    question = TextAreaField(
        _l("Spørgsmål til a-kassen"),
        validators=[InputRequired(message=_l("Skriv spørgsmålet til a-kassen.")), Length(max=4000)],
    )
    answer_due = DateField(
        _l("Svarfrist"),
        validators=[InputRequired(message=_l("Skriv en gyldig dato.")), YearRange()],
    )

    def validate_answer_due(self, field: Any) -> None:
        if field.data is not None and field.data <= date.today():
            raise ValidationError(gettext("Svarfristen skal ligge i fremtiden."))

    def due_at(self) -> datetime:
        """The end of the chosen day, Danish time."""
        return local_to_utc(datetime.combine(self.answer_due.data, time(23, 59)))


class AnswerForm(PortalForm):
    answer = TextAreaField(
        _l("Svar"),
        validators=[InputRequired(message=_l("Skriv svaret.")), Length(max=TEXT_LIMIT)],
    )


class AssignForm(PortalForm):
    assessor = SelectField(_l("Tildel sagsbehandler"), coerce=int, validate_choice=True)


class RemoveAssignmentForm(PortalForm):
    assessor = HiddenField()


def consolidation_form_class(
    criteria: Sequence[Criterion], assessors: Sequence[tuple[int, str]]
) -> type[PortalForm]:
    class ConsolidationForm(PortalForm):
        action = HiddenField()

    who = [("", _l("Ingen dissens"))] + [(str(i), name) for i, name in assessors]
    for criterion in criteria:
        setattr(
            ConsolidationForm,
            f"score_{criterion.id}",
            SelectField(
                _l("Konsolideret score"),
                choices=options(
                    [("", _l("Vælg score"))]
                    + _scale_choices(criterion)
                    + [("none", _l("Kan ikke vurderes"))]
                ),
                validators=[Optional()],
                validate_choice=False,
            ),
        )
        setattr(
            ConsolidationForm,
            f"reasoning_{criterion.id}",
            TextAreaField(
                _l("Begrundelse for den konsoliderede score"), validators=[Length(max=TEXT_LIMIT)]
            ),
        )
        setattr(
            ConsolidationForm,
            f"dissent_assessor_{criterion.id}",
            SelectField(
                _l("Dissens fra"),
                choices=options(who),
                validators=[Optional()],
                validate_choice=False,
            ),
        )
        setattr(
            ConsolidationForm,
            f"dissent_{criterion.id}",
            TextAreaField(_l("Dissensens indhold"), validators=[Length(max=TEXT_LIMIT)]),
        )
    return ConsolidationForm


def consolidated_entries(form: Any, criteria: Sequence[Criterion]) -> list[ConsolidatedEntry]:
    entries = []
    for c in criteria:
        raw = form[f"score_{c.id}"].data
        reasoning = form[f"reasoning_{c.id}"].data or ""
        if raw in (None, "") and not reasoning.strip():
            continue
        score = None if raw in (None, "", "none") else _int_or_none(raw)
        dissent_by = _int_or_none(form[f"dissent_assessor_{c.id}"].data)
        entries.append(
            ConsolidatedEntry(
                criterion_id=c.id,
                score=score,
                reasoning=reasoning,
                dissent=form[f"dissent_{c.id}"].data or "",
                dissent_assessor_id=dissent_by,
            )
        )
    return entries


def show_consolidation_problems(form: Any, problems: dict[int, tuple[str, str]]) -> None:
    for criterion_id, (name, problem) in problems.items():
        field = form[f"{name}_{criterion_id}"]
        field.errors = [*field.errors, gettext(problem)]


def consolidation_initial(consolidation: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if consolidation is None:
        return data
    for score in consolidation.scores:
        cid = score.criterion_id
        data[f"score_{cid}"] = "none" if score.score is None else str(score.score)
        data[f"reasoning_{cid}"] = score.reasoning
        data[f"dissent_{cid}"] = score.dissent
        data[f"dissent_assessor_{cid}"] = (
            "" if score.dissent_assessor_id is None else str(score.dissent_assessor_id)
        )
    return data


class DecisionForm(PortalForm):
    action = HiddenField()
    eligible = RadioField(
        _l("Afgørelse"),
        choices=options([("yes", _l("Støtteberettiget")), ("no", _l("Ikke støtteberettiget"))]),
        validators=[InputRequired(message=_l("Vælg en af mulighederne."))],
    )
    reasoning = TextAreaField(_l("Begrundelse for afgørelsen"), validators=[Length(max=TEXT_LIMIT)])
    override_reason = TextAreaField(
        _l("Begrundelse for at afvige fra de konsoliderede scorer"),
        validators=[Length(max=TEXT_LIMIT)],
    )
    approved = CheckboxList(_l("Godkendt geografisk udstrækning"), validate_choice=False)
    capacity = IntegerField(
        _l("Godkendt kapacitet (forløb om året)"),
        validators=[Optional(), NumberRange(min=0, max=1_000_000)],
    )

    def to_data(self) -> DecisionData:
        return DecisionData(
            eligible=self.eligible.data == "yes",
            reasoning=self.reasoning.data or "",
            override_reason=self.override_reason.data or "",
            approved=frozenset(self.approved.data or []),
            capacity=self.capacity.data,
        )


class PublishForm(PortalForm):
    """Only the CSRF token; publishing is one step for the whole call."""
