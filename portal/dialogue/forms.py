"""Forms of the dialogue meeting: an interpretation, the meeting, its minutes, a party's
comment. Each writing form converts to its service's input with `to_<thing>()`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.dialogue.services import CommentData, InterpretationData, MeetingData
from portal.forms import PortalForm, YearRange, local_to_utc, options, utc_to_local_naive
from portal.models import Call, Criterion, DialogueMeeting

TEXT_LIMIT = 10000


class NotBlank:
    """Multi-line text keeps its spaces (PortalForm strips only single lines), so a text of
    only spaces passes InputRequired; this refuses it with the field's own message."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if not (field.data or "").strip():
            raise ValidationError(self.message)


class InterpretationForm(PortalForm):
    text = TextAreaField(
        _l("Styrelsens fortolkning"),
        validators=[
            InputRequired(message=_l("Skriv styrelsens fortolkning af kriteriet.")),
            NotBlank(_l("Skriv styrelsens fortolkning af kriteriet.")),
            Length(max=TEXT_LIMIT),
        ],
    )
    borderline = TextAreaField(_l("Grænsetilfælde"), validators=[Length(max=TEXT_LIMIT)])
    change_note = TextAreaField(
        _l("Hvad er ændret, og hvorfor"), validators=[Length(max=TEXT_LIMIT)]
    )

    # Set by the view: a new version after a published one must say what changed.
    revision = False

    def validate_change_note(self, field: Any) -> None:
        if self.revision and not (field.data or "").strip():
            raise ValidationError(
                _l("Skriv, hvad der er ændret i forhold til den offentliggjorte version.")
            )

    def to_interpretation(self) -> InterpretationData:
        return InterpretationData(
            text=self.text.data or "",
            borderline=self.borderline.data or "",
            change_note=self.change_note.data or "",
        )


DEFAULT_AGENDA = _l(
    "1. Velkomst og mødets formål\n"
    "2. Styrelsens fortolkning af kriterierne\n"
    "3. Fordelingen af de konsoliderede scorer pr. kriterium\n"
    "4. Overblik over afgørelser om støtteberettigelse og godkendt geografisk udstrækning\n"
    "5. Parternes bemærkninger\n"
    "6. Eventuelt"
)


class MeetingForm(PortalForm):
    starts_at = DateTimeLocalField(
        _l("Tidspunkt (dansk tid)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Angiv mødets dato og klokkeslæt.")), YearRange()],
    )
    place = StringField(
        _l("Sted"),
        validators=[InputRequired(message=_l("Skriv, hvor mødet holdes.")), Length(max=200)],
    )
    agenda = TextAreaField(
        _l("Dagsorden"),
        validators=[
            InputRequired(message=_l("Skriv dagsordenen.")),
            NotBlank(_l("Skriv dagsordenen.")),
            Length(max=TEXT_LIMIT),
        ],
    )
    names_published = BooleanField(
        _l("Vis a-kassernes navne for arbejdsmarkedets parter (i fordelingen og afgørelserne)")
    )

    def to_meeting(self) -> MeetingData:
        return MeetingData(
            starts_at=local_to_utc(self.starts_at.data),
            place=self.place.data or "",
            agenda=self.agenda.data or "",
            names_published=bool(self.names_published.data),
        )


def meeting_initial(meeting: DialogueMeeting | None, call: Call) -> dict[str, Any]:
    """The stored meeting, or a proposal from the call's meeting date at 10.00."""
    if meeting is not None:
        return {
            "starts_at": utc_to_local_naive(meeting.starts_at),
            "place": meeting.place,
            "agenda": meeting.agenda,
            "names_published": meeting.names_published,
        }
    day = call.dialogue_meeting_on
    return {
        "starts_at": datetime.combine(day, time(10, 0)) if day else None,
        "place": "",
        "agenda": str(DEFAULT_AGENDA),
        "names_published": False,
    }


class MinutesForm(PortalForm):
    minutes = TextAreaField(
        _l("Referat af dialogmødet"),
        validators=[
            InputRequired(message=_l("Skriv referatet af dialogmødet.")),
            NotBlank(_l("Skriv referatet af dialogmødet.")),
            Length(max=50000),
        ],
    )


class CommentForm(PortalForm):
    criterion = SelectField(_l("Bemærkningen gælder"), validate_choice=True)
    text = TextAreaField(
        _l("Bemærkning til dialogmødet"),
        validators=[
            InputRequired(message=_l("Skriv bemærkningen.")),
            NotBlank(_l("Skriv bemærkningen.")),
            Length(max=TEXT_LIMIT),
        ],
    )

    def set_criteria(self, criteria: Sequence[Criterion]) -> None:
        self.criterion.choices = options(
            [("", str(_l("Kriterierne som helhed")))]
            + [(str(c.id), f"{c.position}. {c.title}") for c in criteria]
        )

    def to_comment(self) -> CommentData:
        raw = self.criterion.data or ""
        return CommentData(text=self.text.data or "", criterion_id=int(raw) if raw else None)
