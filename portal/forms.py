"""The base of every portal form and the fields the areas share.

WTForms' own messages are in Danish (WTForms ships no Danish catalog), then go through the
portal's catalog for the English interface."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
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


class PortalForm(FlaskForm):
    class Meta(FlaskForm.Meta):  # type: ignore[name-defined,misc]
        def get_translations(self, form: Any) -> DanishWTFormsTranslations:
            return DanishWTFormsTranslations()


class DanishDecimalField(DecimalField):
    """A decimal field that accepts the Danish decimal comma ("18,5") as well as a point.

    A text input with a decimal keyboard: a number input would refuse to show "12,5"."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            valuelist = [str(valuelist[0]).strip().replace(" ", "").replace(",", ".")]
        super().process_formdata(valuelist)
        value: Decimal | None = getattr(self, "data", None)
        if value is not None and not value.is_finite():  # "NaN", "Infinity"
            setattr(self, "data", None)  # noqa: B010 - WTForms' untyped attribute
            raise ValueError(_l("Skriv et tal, fx 12,5."))

    def _value(self) -> str:
        return str(super()._value()).replace(".", ",")


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
