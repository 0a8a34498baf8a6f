"""WTForms classes for the shell (login, password change, language) and user management."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from portal.accounts.users import AccountChanges, NewAccount, UserFilter
from portal.forms import PortalForm, options
from portal.i18n import ORGANISATION_KIND_LABELS, ROLE_LABELS
from portal.models import ROLES_BY_KIND, Organisation, OrganisationKind, Role
from portal.web import label


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


# --- user management -----------------------------------------------------------------------

KIND_ORDER = (
    OrganisationKind.AGENCY,
    OrganisationKind.FUND,
    OrganisationKind.PARTY,
    OrganisationKind.LABOUR_PARTY,
)


def organisation_choices(
    organisations: Iterable[Organisation], blank: str | None = None
) -> list[SelectChoice]:
    """Organisations grouped by kind (the agency, the a-kasser, ...), by name within a group."""
    choices = [SelectChoice("", blank)] if blank is not None else []
    ordered = sorted(organisations, key=lambda o: (KIND_ORDER.index(o.kind), o.name))
    for org in ordered:
        group = label(ORGANISATION_KIND_LABELS, org.kind)
        choices.append(SelectChoice(str(org.id), org.name, optgroup=group))
    return choices


def role_choices(roles: Iterable[Role], blank: str | None = None) -> list[SelectChoice]:
    """Roles grouped by the kind of organisation they belong to."""
    choices = [SelectChoice("", blank)] if blank is not None else []
    wanted = set(roles)
    for kind in KIND_ORDER:
        group = label(ORGANISATION_KIND_LABELS, kind)
        for role in ROLES_BY_KIND[kind]:
            if role in wanted:
                choices.append(SelectChoice(role.value, label(ROLE_LABELS, role), optgroup=group))
    return choices


STATUS_CHOICES = {"": _l("Alle"), "active": _l("Aktive"), "inactive": _l("Spærrede")}


class UserFilterForm(PortalForm):
    """The user list's filters (a GET form: the values stay in the address)."""

    class Meta:
        csrf = False

    organisation = SelectField(_l("Organisation"), default="")
    role = SelectField(_l("Rolle"), default="")
    status = SelectField(_l("Status"), default="", choices=options(STATUS_CHOICES.items()))

    def to_filter(self) -> UserFilter:
        organisation = self.organisation.data if "organisation" in self else None
        return UserFilter(
            organisation_id=int(organisation) if organisation else None,
            role=self.role.data or None,
            active={"active": True, "inactive": False}.get(self.status.data or ""),
        )


def _name_field() -> StringField:
    return StringField(
        _l("Navn"),
        validators=[InputRequired(_l("Skriv brugerens navn.")), Length(max=200)],
    )


def _party_field() -> StringField:
    return StringField(_l("Parti eller organisation"), validators=[Length(max=100)])


class NewUserForm(PortalForm):
    """A new account; the person gets a link to choose the password. A signatory's form has
    neither organisation nor role: its drafters belong to its own a-kasse."""

    name = _name_field()
    email = EmailField(
        _l("E-mail"),
        validators=[
            InputRequired(_l("Skriv brugerens e-mailadresse.")),
            Email(_l("Skriv en gyldig e-mailadresse, fx navn@akasse.dk.")),
            Length(max=254),
        ],
    )
    organisation = SelectField(
        _l("Organisation"), default="", validators=[InputRequired(_l("Vælg organisationen."))]
    )
    role = SelectField(_l("Rolle"), default="", validators=[InputRequired(_l("Vælg en rolle."))])
    party = _party_field()

    def to_account(self, organisation_id: int | None = None) -> NewAccount:
        return NewAccount(
            email=self.email.data or "",
            name=self.name.data or "",
            organisation_id=organisation_id or int(self.organisation.data),
            role=Role(self.role.data) if "role" in self else Role.DRAFTER,
            party=self.party.data if "party" in self else None,
        )


class EditUserForm(PortalForm):
    name = _name_field()
    role = SelectField(_l("Rolle"), validators=[InputRequired(_l("Vælg en rolle."))])
    party = _party_field()

    def to_changes(self, current_role: str) -> AccountChanges:
        return AccountChanges(
            name=self.name.data or "",
            role=Role(self.role.data if "role" in self else current_role),
            party=self.party.data if "party" in self else None,
        )


class PasswordLinkForm(PortalForm):
    """Choose a password through a one-time link: the same rules as changing it."""

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
