"""WTForms classes for the shell: login, password change, language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.forms import PortalForm


class LoginForm(PortalForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Skriv din e-mailadresse.")),
            Email(_l("Skriv en gyldig e-mailadresse, fx navn@akasse.dk.")),
        ],
    )
    password = PasswordField(
        _l("Adgangskode"), validators=[DataRequired(_l("Skriv din adgangskode."))]
    )


class PasswordChangeForm(PortalForm):
    current = PasswordField(
        _l("Nuværende adgangskode"),
        validators=[DataRequired(_l("Skriv din nuværende adgangskode."))],
    )
    new = PasswordField(
        _l("Ny adgangskode"),
        validators=[
            DataRequired(_l("Skriv en ny adgangskode.")),
            Length(min=12, max=200, message=_l("Den nye adgangskode skal have mindst 12 tegn.")),
        ],
    )
    repeat = PasswordField(
        _l("Gentag ny adgangskode"),
        validators=[EqualTo("new", message=_l("De to nye adgangskoder er ikke ens."))],
    )


class LanguageForm(PortalForm):
    lang = HiddenField()
    next = HiddenField()
