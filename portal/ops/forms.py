"""The audit log's filters: a GET form, so the values stay in the address."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from portal.forms import PortalForm, YearRange
from portal.ops.pages import AuditQuery


class AuditFilterForm(PortalForm):
    class Meta:
        csrf = False

    organisation = SelectField(_l("A-kasse eller organisation"), default="")
    user = SelectField(_l("Bruger"), default="")
    since = DateField(_l("Fra og med dato"), validators=[Optional(), YearRange()])
    until = DateField(_l("Til og med dato"), validators=[Optional(), YearRange()])

    def validate_until(self, field: Any) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("Til-datoen skal ligge på eller efter fra-datoen."))

    def to_query(self) -> AuditQuery:
        return AuditQuery(
            organisation_id=int(self.organisation.data) if self.organisation.data else None,
            user_id=int(self.user.data) if self.user.data else None,
            since=self.since.data,
            until=self.until.data,
        )
