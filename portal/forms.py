"""The base of every portal form and the fields the areas share.

WTForms' own messages are in Danish (WTForms ships no Danish catalog), then go through the
portal's catalog for the English interface."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import (
    DecimalField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from portal.i18n import N_

# WTForms' English message ids → the portal's Danish message ids.
DANISH = {
    "This field is required.": N_("Feltet skal udfyldes."),
    "Not a valid choice.": N_("Vælg en af mulighederne."),
    "Invalid Choice: could not coerce.": N_("Ugyldigt valg."),
    "Invalid choice(s): one or more data inputs could not be coerced.": N_(
        "Et eller flere valg er ugyldige."
    ),
    "Not a valid integer value.": N_("Skriv et helt tal."),
    "Not a valid decimal value.": N_("Skriv et tal, fx 12,5."),
    "Not a valid float value.": N_("Skriv et tal, fx 12,5."),
    "Not a valid datetime value.": N_("Skriv en gyldig dato og et klokkeslæt."),
    "Not a valid date value.": N_("Skriv en gyldig dato."),
    "Invalid email address.": N_("Skriv en gyldig e-mailadresse."),
    "Invalid input.": N_("Ugyldig værdi."),
    "Number must be at least %(min)s.": N_("Tallet skal være mindst %(min)s."),
    "Number must be at most %(max)s.": N_("Tallet må højst være %(max)s."),
    "Number must be between %(min)s and %(max)s.": N_(
        "Tallet skal være mellem %(min)s og %(max)s."
    ),
    "Field must be between %(min)d and %(max)d characters long.": N_(
        "Feltet skal være mellem %(min)d og %(max)d tegn."
    ),
}
DANISH_PLURAL = {
    "Field cannot be longer than %(max)d character.": (
        N_("Feltet må højst være %(max)d tegn."),
        N_("Feltet må højst være %(max)d tegn."),
    ),
    "Field must be at least %(min)d character long.": (
        N_("Feltet skal være mindst %(min)d tegn."),
        N_("Feltet skal være mindst %(min)d tegn."),
    ),
    "'%(value)s' is not a valid choice for this field.": (
        N_("'%(value)s' er ikke et gyldigt valg."),
        N_("'%(value)s' er ikke gyldige valg."),
    ),
}


class DanishWTFormsTranslations:
    """The gettext interface WTForms asks for; it formats the result itself."""

    def gettext(self, string: str) -> str:
        return str(get_translations().gettext(DANISH.get(string, string)))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if singular not in DANISH_PLURAL:
            return singular if n == 1 else plural
        one, many = DANISH_PLURAL[singular]
        # Each Danish form is its own message id in the portal's catalog.
        return str(get_translations().gettext(one if n == 1 else many))


# C0 control characters other than tab, line feed and carriage return: never typed, and a NUL
# is refused by PostgreSQL.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
INVALID_CHARACTER = _l(
    "Teksten indeholder et ugyldigt tegn. Det er fjernet; kontrollér teksten, og send igen."
)


class PortalForm(FlaskForm):
    """The base of every form. What a browser (or anything else) sends is made plain before
    the fields see it: single-line values lose surrounding whitespace (so a blank field is
    empty), control characters are removed and reported next to their field, and a JSON body
    gives strings like a form does."""

    # The fields whose submitted text held control characters (set when the form reads it).
    invalid_characters: frozenset[str] = frozenset()

    class Meta(FlaskForm.Meta):  # type: ignore[name-defined,misc]
        def get_translations(self, form: Any) -> DanishWTFormsTranslations:
            return DanishWTFormsTranslations()

        def bind_field(self, form: Any, unbound_field: Any, options: Any) -> Any:
            bound = super().bind_field(form, unbound_field, options)
            if isinstance(bound, IntegerField):
                bound.validators = [_sane_integer, *bound.validators]
            return bound

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            try:
                formdata = super().wrap_formdata(form, formdata)
            except (TypeError, ValueError):  # a JSON body that is not an object of fields
                formdata = MultiDict()
            if formdata is None:
                return None
            return _plain_formdata(form, formdata)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for name in sorted(self.invalid_characters):
            self[name].errors = [*self[name].errors, INVALID_CHARACTER]
        return ok and not self.invalid_characters


def _sane_integer(form: Any, field: Any) -> None:
    """An integer of a hundred digits or more is refused outright: NumberRange, which states
    each field's range (within its 32-bit column), cannot compare it (it makes a float)."""
    value = field.data
    if isinstance(value, int) and abs(value) >= 10**100:
        raise StopValidation(_l("Tallet har for mange cifre."))


def _plain_formdata(form: PortalForm, formdata: Any) -> MultiDict[str, Any]:
    """The submitted values as strings (files kept), without control characters; stripped
    except in multi-line text and passwords, whose spaces are what was typed."""
    verbatim = {f.name for f in form if isinstance(f, TextAreaField | PasswordField)}
    short_names = {f.name: f.short_name for f in form}
    plain: MultiDict[str, Any] = MultiDict()
    invalid = set()
    for key, value in formdata.items(multi=True):
        if isinstance(value, FileStorage):
            plain.add(key, value)
            continue
        if not isinstance(value, str):  # from a JSON body
            value = json.dumps(value)
        if CONTROL_CHARACTERS.search(value):
            value = CONTROL_CHARACTERS.sub("", value)
            if key in short_names:
                invalid.add(short_names[key])
        plain.add(key, value if key in verbatim else value.strip())
    form.invalid_characters = frozenset(invalid)
    return plain


class DanishDecimalField(DecimalField):
    """A decimal field that accepts the Danish decimal comma ("18,5") as well as a point.

    A text input with a decimal keyboard: a number input would refuse to show "12,5"."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return  # nothing sent: the default (an int) stays, and InputRequired says so
        valuelist = [str(valuelist[0]).strip().replace(" ", "").replace(",", ".")]
        super().process_formdata(valuelist)
        value: Decimal | None = getattr(self, "data", None)
        if isinstance(value, Decimal) and not value.is_finite():  # "NaN", "Infinity"
            setattr(self, "data", None)  # noqa: B010 - WTForms' untyped attribute
            raise ValueError(_l("Skriv et tal, fx 12,5."))

    def _value(self) -> str:
        return str(super()._value()).replace(".", ",")


class YearRange:
    """A date (or date and time) within the years a case can concern. Year 1 or 9999 is a
    typing slip, and converting it to UTC or adding days to it would fail."""

    def __init__(self, first: int = 2000, last: int = 2100) -> None:
        self.first = first
        self.last = last

    def __call__(self, form: Any, field: Any) -> None:
        value: date | None = field.data
        if value is not None and not self.first <= value.year <= self.last:
            raise ValidationError(
                _l(
                    "Skriv en dato mellem år %(first)d og %(last)d.",
                    first=self.first,
                    last=self.last,
                )
            )


def options(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """Choices for select, radio and checkbox fields from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmForm(PortalForm):
    """A form with only the CSRF token, for buttons that change state."""


COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def local_to_utc(value: datetime) -> datetime:
    """A wall-clock time in Copenhagen (as typed in a form) as an aware datetime."""
    return value.replace(tzinfo=COPENHAGEN)


def utc_to_local_naive(value: datetime) -> datetime:
    return value.astimezone(COPENHAGEN).replace(tzinfo=None)


def set_choices(field: SelectField, pairs: list[tuple[Any, str]]) -> None:
    field.choices = options(pairs)
