"""Forms of the letters and appeals: a template, a complaint, the handler, the outcome."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.forms import CheckboxList, PortalForm, options
from portal.letters import rules
from portal.letters.services import OutcomeData, TemplateText

TEXT_LIMIT = 20000


class TemplateForm(PortalForm):
    """One kind's text; `check(kind)` puts each placeholder problem next to its field."""

    action = HiddenField()
    subject = StringField(_l("Emne"), validators=[Length(max=300)])
    body = TextAreaField(_l("Brevets tekst"), validators=[Length(max=TEXT_LIMIT)])
    guidance = TextAreaField(_l("Klagevejledning"), validators=[Length(max=TEXT_LIMIT)])
    decision = SelectField(_l("Forhåndsvis med afgørelsen til"), coerce=int, validate_choice=False)

    def check(self, kind: str) -> bool:
        problems = rules.template_problems(
            kind, self.subject.data or "", self.body.data or "", self.guidance.data or ""
        )
        for name, problem in problems.items():
            self[name].errors = [*self[name].errors, gettext(problem.message, **problem.params)]
        return not problems

    def to_text(self) -> TemplateText:
        return TemplateText(self.subject.data or "", self.body.data or "", self.guidance.data or "")


class AppealForm(PortalForm):
    reasons = TextAreaField(
        _l("Hvad klager I over, og hvorfor?"),
        validators=[
            DataRequired(message=_l("Skriv, hvad I klager over, og hvorfor.")),
            Length(max=TEXT_LIMIT),
        ],
    )


class HandlerForm(PortalForm):
    handler = SelectField(_l("Sagsbehandler til klagen"), coerce=int, validate_choice=True)


class OutcomeForm(PortalForm):
    outcome = RadioField(
        _l("Afgørelse af klagen"),
        choices=options(
            [
                (rules.UPHELD, _l("Afgørelsen fastholdes")),
                (rules.CHANGED, _l("Afgørelsen ændres")),
            ]
        ),
        validators=[InputRequired(message=_l("Vælg, om afgørelsen fastholdes eller ændres."))],
    )
    reasoning = TextAreaField(
        _l("Begrundelse for afgørelsen af klagen"),
        validators=[
            DataRequired(message=_l("Skriv begrundelsen for afgørelsen af klagen.")),
            Length(max=TEXT_LIMIT),
        ],
    )
    eligible = RadioField(
        _l("Den ændrede afgørelse"),
        choices=options([("yes", _l("Støtteberettiget")), ("no", _l("Ikke støtteberettiget"))]),
        validate_choice=False,
    )
    approved = CheckboxList(_l("Godkendt geografisk udstrækning"), validate_choice=False)
    capacity = IntegerField(
        _l("Godkendt kapacitet (forløb om året)"),
        validators=[Optional(), NumberRange(min=0, max=1_000_000)],
    )

    def validate_eligible(self, field: Any) -> None:
        if self.outcome.data == rules.CHANGED and field.data not in ("yes", "no"):
            raise ValidationError(gettext("Vælg den ændrede afgørelse."))

    def to_data(self) -> OutcomeData:
        return OutcomeData(
            outcome=self.outcome.data or "",
            reasoning=self.reasoning.data or "",
            eligible=self.eligible.data == "yes",
            approved=frozenset(self.approved.data or []),
            capacity=self.capacity.data,
        )
