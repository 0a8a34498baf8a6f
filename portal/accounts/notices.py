"""The e-mail with a one-time link to choose a password, in the recipient's language.

Sent before the commit: when it cannot be sent, the caller rolls back, so no account or link
exists that nobody was told about.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.i18n import ROLE_LABELS
from portal.mail import send_mail
from portal.models import User
from portal.web import format_when, label


def mail_password_link(
    config: Mapping[str, object], user: User, url: str, expires_at: datetime, *, welcome: bool
) -> None:
    """Raises `portal.mail.MailError` or `OSError` when the mail cannot be sent."""
    with force_locale(user.locale or "da"):
        subject, body = _welcome(user) if welcome else _reset(user)
        body += "\n\n" + _(
            "%(url)s\n\nLinket virker én gang og udløber %(expires)s (dansk tid).",
            url=url,
            expires=format_when(expires_at),
        )
        body += "\n\n" + _("Med venlig hilsen\nStyrelsen for Arbejdsmarked og Rekruttering")
    send_mail(config, [user.email], subject, body)


def _welcome(user: User) -> tuple[str, str]:
    organisation = user.organisation.name if user.organisation else ""
    return _("Din konto i Forsøgsportalen: vælg en adgangskode"), _(
        "Hej %(name)s\n\nDer er oprettet en konto til dig i Forsøgsportalen som %(role)s "
        "(%(organisation)s). Vælg din adgangskode her, så kan du logge ind med din "
        "e-mailadresse:",
        name=user.name,
        role=label(ROLE_LABELS, user.role).lower(),
        organisation=organisation,
    )


def _reset(user: User) -> tuple[str, str]:
    return _("Forsøgsportalen: vælg en ny adgangskode"), _(
        "Hej %(name)s\n\nDer er bedt om en ny adgangskode til din konto i Forsøgsportalen. "
        "Har du ikke bedt om den, kan du se bort fra denne e-mail; din nuværende adgangskode "
        "virker fortsat. Vælg den nye adgangskode her (du bliver derefter logget ud alle "
        "steder):",
        name=user.name,
    )
