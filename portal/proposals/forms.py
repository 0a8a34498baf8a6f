"""Forms of Trin 3: start a run, ask a what-if, notes, positions, the decision."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import CheckboxList, DanishDecimalField, PortalForm, options
from portal.proposals.problem import Targets

GRANULARITY_CHOICES = options(
    [
        ("region", _l("Hele regioner af den godkendte udstrækning")),
        ("fund", _l("Hele den godkendte udstrækning pr. a-kasse")),
        ("municipality", _l("Enkelte kommuner")),
    ]
)


class StartRunForm(PortalForm):
    volume = IntegerField(
        _l("Forløb om året (mål)"),
        validators=[Optional(), NumberRange(min=1000, max=200_000)],
    )
    min_share = DanishDecimalField(
        _l("Mindste andel af de nyindplacerede (%)"),
        validators=[Optional(), NumberRange(min=1, max=100)],
    )
    funds_min = IntegerField(
        _l("Mindst antal a-kasser"), validators=[Optional(), NumberRange(1, 30)]
    )
    funds_max = IntegerField(
        _l("Højst antal a-kasser"), validators=[Optional(), NumberRange(1, 30)]
    )
    granularity = SelectField(_l("Dækning vælges"), choices=GRANULARITY_CHOICES)
    alternatives = IntegerField(
        _l("Antal alternativer"),
        default=3,
        validators=[InputRequired(), NumberRange(min=0, max=5)],
    )

    def to_targets(self) -> Targets:
        return Targets(
            volume=float(self.volume.data) if self.volume.data else None,
            min_share=float(self.min_share.data) / 100 if self.min_share.data else None,
            funds_min=self.funds_min.data,
            funds_max=self.funds_max.data,
            granularity=self.granularity.data or "region",
        )

    def validate_funds_max(self, field: Any) -> None:
        if field.data and self.funds_min.data and field.data < self.funds_min.data:
            raise ValidationError(gettext("Højst antal skal være mindst lige så stort som mindst."))


class WhatIfForm(PortalForm):
    include = CheckboxList(_l("Lås ind (skal være med)"), validate_choice=True)
    exclude = CheckboxList(_l("Lås ude (må ikke være med)"), validate_choice=True)
    volume = IntegerField(
        _l("Forløb om året (mål)"), validators=[Optional(), NumberRange(min=1000, max=200_000)]
    )
    funds_max = IntegerField(
        _l("Højst antal a-kasser"), validators=[Optional(), NumberRange(1, 30)]
    )
    min_comparison_share = DanishDecimalField(
        _l("Mindste sammenligningsgruppe pr. a-kasse (%)"),
        validators=[Optional(), NumberRange(min=0, max=90)],
    )
    max_fund_share = DanishDecimalField(
        _l("Største andel til én a-kasse (%)"),
        validators=[Optional(), NumberRange(min=5, max=100)],
    )
    inflow_factor = DanishDecimalField(
        _l("Scenarie: tilgangen ganges med (fx 1,3 hvis ledigheden stiger markant)"),
        validators=[Optional(), NumberRange(min=0.5, max=3)],
    )

    def validate_exclude(self, field: Any) -> None:
        both = set(field.data or []) & set(self.include.data or [])
        if both:
            raise ValidationError(
                gettext(
                    "En a-kasse kan ikke både låses ind og ude: %(ids)s.",
                    ids=", ".join(sorted(both)),
                )
            )

    def to_targets(self, base: Targets) -> Targets:
        return replace(
            base,
            include=tuple(sorted(self.include.data or [])),
            exclude=tuple(sorted(self.exclude.data or [])),
            volume=float(self.volume.data) if self.volume.data else base.volume,
            funds_max=self.funds_max.data or base.funds_max,
            min_comparison_share=(
                float(self.min_comparison_share.data) / 100
                if self.min_comparison_share.data is not None
                else base.min_comparison_share
            ),
            max_fund_share=(
                float(self.max_fund_share.data) / 100
                if self.max_fund_share.data is not None
                else base.max_fund_share
            ),
            inflow_factor=(
                float(self.inflow_factor.data)
                if self.inflow_factor.data is not None
                else base.inflow_factor
            ),
        )


class NoteForm(PortalForm):
    text = TextAreaField(
        _l("Din note (kun du kan se den)"),
        validators=[InputRequired(message=_l("Skriv noten.")), Length(max=4000)],
    )


class PositionForm(PortalForm):
    stance = RadioField(
        _l("Partiets holdning"),
        choices=options(
            [
                ("supports", _l("Støtter")),
                ("can_accept", _l("Kan acceptere")),
                ("against", _l("Imod")),
            ]
        ),
        validators=[InputRequired(message=_l("Vælg partiets holdning."))],
    )
    comment = TextAreaField(
        _l("Kommentar (ses af de andre partier)"), validators=[Length(max=2000)]
    )


class SelectionDecisionForm(PortalForm):
    decided_on = DateField(
        _l("Beslutningsdato"), validators=[InputRequired(message=_l("Skriv en gyldig dato."))]
    )
    minutes = TextAreaField(
        _l("Referat"),
        validators=[
            InputRequired(message=_l("Skriv referatet af beslutningen.")),
            Length(max=20000),
        ],
    )
