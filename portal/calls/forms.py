"""Administrator forms: criteria, calls, deadline extensions, a call's reported inflow."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.applications.services import NewExtension
from portal.applications.uploads import sanitize_filename
from portal.calls.inflow import InflowFileRejected, Problem, ReportedInflow, read_inflow_csv
from portal.calls.services import (
    CallChanges,
    CriterionData,
    NewCall,
    NewInflowUpload,
    RefusedInflowUpload,
)
from portal.forms import (
    DanishDecimalField,
    PortalForm,
    YearRange,
    local_to_utc,
)
from portal.models import Call, utcnow


class CriterionForm(PortalForm):
    title = StringField(
        _l("Titel"), validators=[InputRequired(_l("Skriv en titel.")), Length(max=200)]
    )
    guidance = TextAreaField(
        _l("Vejledning til ansøgerne"), validators=[InputRequired(_l("Skriv en vejledning."))]
    )
    evidence = TextAreaField(
        _l("Forventet dokumentation"),
        validators=[InputRequired(_l("Beskriv den forventede dokumentation."))],
    )
    threshold = IntegerField(
        _l("Tærskel for «lever op til kriteriet» (0–4)"),
        validators=[
            InputRequired(_l("Skriv en tærskel.")),
            NumberRange(min=0, max=4, message=_l("Tærsklen skal ligge på skalaen 0–4.")),
        ],
    )
    weight = DanishDecimalField(
        _l("Vægt"),
        places=2,
        validators=[
            InputRequired(_l("Skriv en vægt.")),
            NumberRange(min=0.01, max=100, message=_l("Vægten skal være større end 0.")),
        ],
    )
    anchor_0 = StringField(_l("Skalatrin 0"), validators=[InputRequired(), Length(max=120)])
    anchor_1 = StringField(_l("Skalatrin 1"), validators=[InputRequired(), Length(max=120)])
    anchor_2 = StringField(_l("Skalatrin 2"), validators=[InputRequired(), Length(max=120)])
    anchor_3 = StringField(_l("Skalatrin 3"), validators=[InputRequired(), Length(max=120)])
    anchor_4 = StringField(_l("Skalatrin 4"), validators=[InputRequired(), Length(max=120)])

    def to_criterion(self) -> CriterionData:
        return CriterionData(
            title=self.title.data or "",
            guidance=self.guidance.data or "",
            evidence=self.evidence.data or "",
            threshold=int(self.threshold.data or 0),
            weight=float(self.weight.data or 1),
            anchors={str(i): self[f"anchor_{i}"].data or "" for i in range(5)},
        )


class CallForm(PortalForm):
    title = StringField(
        _l("Titel"), validators=[InputRequired(_l("Skriv en titel.")), Length(max=200)]
    )
    criteria_set_id = SelectField(
        _l("Kriteriesæt (offentliggjort)"),
        coerce=int,
        validators=[InputRequired(_l("Vælg et kriteriesæt."))],
    )
    opens_at = DateTimeLocalField(
        _l("Åbner (dansk tid)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Angiv hvornår runden åbner.")), YearRange()],
    )
    deadline_at = DateTimeLocalField(
        _l("Ansøgningsfrist (dansk tid)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Angiv en ansøgningsfrist.")), YearRange()],
    )
    dialogue_meeting_on = DateField(_l("Dialogmøde"), validators=[Optional(), YearRange()])
    page_limit = IntegerField(
        _l("Sidegrænse for ansøgningen"),
        default=10,
        validators=[
            InputRequired(),
            NumberRange(min=1, max=200, message=_l("Skriv et tal mellem 1 og 200.")),
        ],
    )
    page_limit_with_annexes = IntegerField(
        _l("Sidegrænse med bilag"),
        default=20,
        validators=[
            InputRequired(),
            NumberRange(min=1, max=400, message=_l("Skriv et tal mellem 1 og 400.")),
        ],
    )
    target_volume = IntegerField(
        _l("Forløb om året (mål)"),
        default=37500,
        validators=[
            InputRequired(),
            NumberRange(min=1, max=1_000_000, message=_l("Skriv et antal mellem 1 og 1.000.000.")),
        ],
    )
    min_share_percent = DanishDecimalField(
        _l("Mindst andel af de nyindplacerede (%)"),
        default=25,
        places=1,
        validators=[
            InputRequired(),
            NumberRange(min=0.1, max=100, message=_l("Skriv en procent mellem 0,1 og 100.")),
        ],
    )
    years = IntegerField(
        _l("Forsøgsperiode (år)"),
        default=4,
        validators=[
            InputRequired(),
            NumberRange(min=1, max=10, message=_l("Skriv et antal år mellem 1 og 10.")),
        ],
    )
    national_inflow = IntegerField(
        _l("Nyindplacerede dagpengemodtagere om året (landstal)"),
        default=150000,
        validators=[
            InputRequired(),
            NumberRange(
                min=1, max=10_000_000, message=_l("Skriv et antal mellem 1 og 10.000.000.")
            ),
        ],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.deadline_at.data <= self.opens_at.data:
            self.deadline_at.errors.append(_l("Fristen skal ligge efter åbningstidspunktet."))
            ok = False
        if ok and local_to_utc(self.deadline_at.data) <= utcnow():
            self.deadline_at.errors.append(
                _l("Fristen ligger i fortiden. Vælg en frist, der endnu ikke er passeret.")
            )
            ok = False
        return ok and self._page_limits_agree()

    def _page_limits_agree(self) -> bool:
        if self.page_limit_with_annexes.data < self.page_limit.data:
            self.page_limit_with_annexes.errors.append(
                _l("Grænsen med bilag kan ikke være mindre end sidegrænsen.")
            )
            return False
        return True

    def to_call(self) -> NewCall:
        meeting: date | None = self.dialogue_meeting_on.data
        return NewCall(
            title=self.title.data or "",
            criteria_set_id=int(self.criteria_set_id.data),
            opens_at=local_to_utc(self.opens_at.data),
            deadline_at=local_to_utc(self.deadline_at.data),
            dialogue_meeting_on=meeting,
            page_limit=int(self.page_limit.data),
            page_limit_with_annexes=int(self.page_limit_with_annexes.data),
            target_volume=int(self.target_volume.data),
            min_share=float(self.min_share_percent.data) / 100,
            years=int(self.years.data),
            national_inflow=int(self.national_inflow.data),
        )


class CallEditForm(CallForm):
    """The call's settings after creation: the criteria set and the opening stay as they were
    (applications are written against them); the deadline may move, but not into the past."""

    def __init__(self, call: Call, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.call = call
        del self.criteria_set_id
        del self.opens_at

    def validate(self, extra_validators: Any = None) -> bool:
        ok = PortalForm.validate(self, extra_validators)
        deadline = self.deadline_at.data
        if ok and deadline is not None:
            # The form holds minutes; the stored deadline may carry seconds.
            stored = self.call.deadline_at.replace(second=0, microsecond=0)
            moved = local_to_utc(deadline) != stored
            if moved and local_to_utc(deadline) <= utcnow():
                self.deadline_at.errors.append(
                    _l(
                        "Fristen kan ikke flyttes til et tidspunkt, der er passeret. Giv en "
                        "fristforlængelse til den enkelte a-kasse i stedet."
                    )
                )
                ok = False
            elif moved and local_to_utc(deadline) <= self.call.opens_at:
                self.deadline_at.errors.append(_l("Fristen skal ligge efter åbningstidspunktet."))
                ok = False
        return ok and self._page_limits_agree()

    def to_changes(self) -> CallChanges:
        return CallChanges(
            title=self.title.data or "",
            deadline_at=local_to_utc(self.deadline_at.data),
            dialogue_meeting_on=self.dialogue_meeting_on.data,
            page_limit=int(self.page_limit.data),
            page_limit_with_annexes=int(self.page_limit_with_annexes.data),
            target_volume=int(self.target_volume.data),
            min_share=float(self.min_share_percent.data) / 100,
            years=int(self.years.data),
            national_inflow=int(self.national_inflow.data),
        )


class ExtensionForm(PortalForm):
    organisation_id = SelectField(
        _l("A-kasse"), coerce=int, validators=[InputRequired(_l("Vælg en a-kasse."))]
    )
    deadline_at = DateTimeLocalField(
        _l("Ny frist (dansk tid)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Angiv den nye frist.")), YearRange()],
    )
    reason = TextAreaField(
        _l("Begrundelse (logges)"),
        validators=[InputRequired(_l("Skriv en begrundelse.")), Length(max=2000)],
    )

    def to_extension(self) -> NewExtension:
        return NewExtension(
            organisation_id=int(self.organisation_id.data),
            deadline_at=local_to_utc(self.deadline_at.data),
            reason=self.reason.data or "",
        )


class InflowUploadForm(PortalForm):
    """A reported inflow CSV, read whole when the form validates: a file with any problem
    is refused, and `problems` lists them (line, column, value) for the page."""

    file = FileField(_l("CSV-fil med tilgang"), validators=[FileRequired(_l("Vælg en CSV-fil."))])

    def __init__(self, *args: Any, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.problems: tuple[Problem, ...] = ()
        self.refused: RefusedInflowUpload | None = None
        self._content = b""
        self._read: ReportedInflow | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        data = self.file.data.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            self.file.errors.append(
                _l(
                    "Filen er for stor: en tilgangsfil må højst fylde %(limit)d kB.",
                    limit=self.max_bytes // 1024,
                )
            )
            return False
        try:
            self._read = read_inflow_csv(data)
        except InflowFileRejected as rejected:
            self.problems = rejected.problems
            self.refused = RefusedInflowUpload(
                filename=self._filename(),
                sha256=hashlib.sha256(data).hexdigest(),
                size_bytes=len(data),
                problems=len(rejected.problems),
            )
            self.file.errors.append(
                _l(
                    "Filen er afvist, og intet er gemt: %(n)d fejl, se listen. Ret filen, "
                    "og upload hele filen igen.",
                    n=len(rejected.problems),
                )
            )
            return False
        self._content = data
        return True

    def _filename(self) -> str:
        return sanitize_filename(self.file.data.filename or "") or "tilgang.csv"

    def to_upload(self) -> NewInflowUpload:
        assert self._read is not None, "validate() first"
        return NewInflowUpload(
            filename=self._filename(),
            sha256=hashlib.sha256(self._content).hexdigest(),
            size_bytes=len(self._content),
            year=self._read.year,
            rows=self._read.rows,
        )
