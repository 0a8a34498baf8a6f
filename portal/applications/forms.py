"""Forms for the a-kasse's application: the draft, attachments, submission and withdrawal.

The draft form is built per call, with one answer field per criterion and a length budget
derived from the call's page limit. `to_draft()` returns the frozen dataclass the service takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    EmailField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from geo.errors import GeoError
from portal.applications.services import DraftData
from portal.extent import Extent
from portal.forms import (
    CheckboxList,
    DanishDecimalField,
    PortalForm,
    options,
)
from portal.i18n import FIELD_LABELS, SECTOR_LABELS
from portal.models import Criterion

EXTENT_KINDS = options(
    [
        ("national", _l("Hele landet (undtagen frikommuner)")),
        ("regions", _l("Udvalgte regioner")),
        ("municipalities", _l("Udvalgte kommuner")),
    ]
)


class DraftFormBase(PortalForm):
    cvr = StringField(
        _l("CVR-nummer"),
        validators=[
            Optional(),
            # [0-9], not \d: other scripts' digits are not a CVR number.
            Regexp(r"\A[0-9]{8}\Z", message=_l("CVR-nummeret skal være 8 cifre, fx 12345678.")),
        ],
    )
    members = IntegerField(
        _l("Antal medlemmer"),
        validators=[
            Optional(),
            NumberRange(min=0, max=2_000_000, message=_l("Skriv et antal mellem 0 og 2.000.000.")),
        ],
    )
    field = SelectField(
        _l("Fagligt område"),
        choices=options(
            [("", _l("Vælg fagligt område")), *((k, _l(v)) for k, v in FIELD_LABELS.items())]
        ),
    )
    sector = SelectField(
        _l("Sektor"),
        choices=options([("", _l("Vælg sektor")), *((k, _l(v)) for k, v in SECTOR_LABELS.items())]),
    )
    extent_kind = RadioField(
        _l("Ønsket geografisk udstrækning"), choices=EXTENT_KINDS, validators=[Optional()]
    )
    regions = CheckboxList(_l("Regioner"), choices=[])
    municipalities = CheckboxList(_l("Kommuner"), choices=[])
    capacity_courses = IntegerField(
        _l("Forløb om året, a-kassen kan varetage"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=200_000, message=_l("Skriv et antal forløb mellem 1 og 200.000.")
            ),
        ],
    )
    staff_fte = DanishDecimalField(
        _l("Medarbejdere til samtaler (årsværk)"),
        places=1,
        validators=[
            Optional(),
            NumberRange(min=0, max=5_000, message=_l("Skriv et antal årsværk mellem 0 og 5.000.")),
        ],
    )
    interviews_per_fte_week = DanishDecimalField(
        _l("Samtaler pr. årsværk pr. uge"),
        places=1,
        validators=[
            Optional(),
            NumberRange(min=0, max=100, message=_l("Skriv et tal mellem 0 og 100.")),
        ],
    )
    contact_name = StringField(_l("Kontaktperson"), validators=[Optional(), Length(max=200)])
    contact_email = EmailField(
        _l("Kontaktpersonens e-mail"),
        validators=[Optional(), Email(_l("Skriv en gyldig e-mailadresse, fx navn@akasse.dk."))],
    )
    contact_phone = StringField(
        _l("Kontaktpersonens telefon"),
        validators=[
            Optional(),
            Regexp(r"^[0-9 +()-]{8,20}$", message=_l("Skriv et telefonnummer, fx 33 12 34 56.")),
        ],
    )
    revision = IntegerField(widget=HiddenInput(), validators=[Optional()])
    # The fields' digests as the form was loaded (JSON), so a save on an outdated form can
    # tell the user's changes from the other person's.
    base = StringField(widget=HiddenInput(), validators=[Optional(), Length(max=20_000)])

    criteria: Sequence[Criterion] = ()
    excluded: frozenset[str] = frozenset()
    exclusion_list: str = ""
    municipality_names: dict[str, str] = {}  # noqa: RUF012 - set per form class
    region_names: dict[str, str] = {}  # noqa: RUF012 - set per form class

    def answer_fields(self) -> list[tuple[Criterion, Field]]:
        return [(c, self[f"answer_{c.id}"]) for c in self.criteria]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        ok = self._validate_extent() and ok
        for f in self:  # one message per field: the first is the one to act on
            f.errors = list(f.errors)[:1]
        return ok

    def _validate_extent(self) -> bool:
        if not self._validate_extent_choice():
            return False
        return self._validate_extent_eligible()

    def _validate_extent_eligible(self) -> bool:
        """A requested extent must cover at least one municipality that can take part."""
        extent = self.extent()
        target = {"regions": self.regions, "municipalities": self.municipalities}.get(
            str(self.extent_kind.data), self.extent_kind
        )
        if extent.is_empty or target.errors or not self.exclusion_list:
            return True
        try:
            covered = extent.resolve(self.exclusion_list)
        except GeoError:
            return True  # an unknown value: the field's own choices have said so
        if covered:
            return True
        names = ", ".join(self.region_names.get(c, c) for c in extent.regions) or ", ".join(
            self.municipality_names.get(c, c) for c in extent.municipalities
        )
        target.errors = [
            _l(
                "%(names)s har kun frikommuner, så valget dækker ingen kommuner, der kan indgå "
                "i forsøget. Vælg andre regioner eller udvalgte kommuner.",
                names=names,
            )
        ]
        return False

    def _validate_extent_choice(self) -> bool:
        kind = self.extent_kind.data
        if kind == "regions" and not self.regions.data:
            self.regions.errors = [_l("Vælg mindst én region.")]
            return False
        if kind == "municipalities":
            chosen = self.municipalities.data or []
            blocked = [self.municipality_names.get(c, c) for c in chosen if c in self.excluded]
            if blocked:
                self.municipalities.errors = [
                    _l("%(names)s er frikommune og kan ikke vælges.", names=", ".join(blocked))
                ]
                return False
            if not chosen:
                self.municipalities.errors = [_l("Vælg mindst én kommune.")]
                return False
        return True

    def extent(self) -> Extent:
        return Extent.chosen(
            self.extent_kind.data, self.regions.data or [], self.municipalities.data or []
        )

    def to_draft(self) -> DraftData:
        return DraftData(
            cvr=self.cvr.data or None,
            members=self.members.data,
            field=self.field.data or None,
            sector=self.sector.data or None,
            answers={c.id: f.data or "" for c, f in self.answer_fields()},
            extent=self.extent().entries(),
            capacity_courses=self.capacity_courses.data,
            staff_fte=_float(self.staff_fte.data),
            interviews_per_fte_week=_float(self.interviews_per_fte_week.data),
            contact_name=self.contact_name.data or None,
            contact_email=self.contact_email.data or None,
            contact_phone=self.contact_phone.data or None,
            revision=self.revision.data,
        )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def draft_form_class(
    criteria: Sequence[Criterion],
    budget: int,
    excluded: frozenset[str],
    names: dict[str, str],
    *,
    exclusion_list: str = "",
    region_names: dict[str, str] | None = None,
) -> type[DraftFormBase]:
    """A draft form with one answer field per criterion, each within the length budget."""
    fields: dict[str, Any] = {
        "criteria": tuple(criteria),
        "excluded": excluded,
        "exclusion_list": exclusion_list,
        "municipality_names": names,
        "region_names": region_names or {},
    }
    for criterion in criteria:
        fields[f"answer_{criterion.id}"] = TextAreaField(
            criterion.title,
            validators=[
                Optional(),
                Length(
                    max=budget,
                    message=_l(
                        "Svaret må højst være %(max)d tegn (sidegrænsen delt ligeligt mellem "
                        "kriterierne).",
                        max=budget,
                    ),
                ),
            ],
        )
    return type("DraftForm", (DraftFormBase,), fields)


def _optional_int(value: Any) -> int | None:
    return None if value in ("", None) else int(value)


class AttachmentForm(PortalForm):
    file = FileField(_l("PDF-fil"), validators=[FileRequired(_l("Vælg en PDF-fil."))])
    criterion = SelectField(_l("Dokumenterer kriterium"), choices=[], coerce=_optional_int)


class SubmitForm(PortalForm):
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class WithdrawForm(PortalForm):
    reason = TextAreaField(
        _l("Begrundelse for tilbagetrækning"),
        validators=[InputRequired(_l("Skriv en begrundelse.")), Length(max=2000)],
    )
