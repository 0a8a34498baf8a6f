"""The base of every portal form: WTForms' own messages in Danish (WTForms ships no Danish
catalog), then through the portal's catalog for the English interface."""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations
from flask_wtf import FlaskForm

from portal.rules import N_

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
