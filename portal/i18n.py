"""The message-id marker and the Danish labels of enum values shown to users.

No Flask here: `N_` only marks a Danish message id for extraction, and the label tables hold
message ids; the caller translates when it shows them (`portal.web.label`, or `_l` in a
form's choices). So pure rules and services can use both.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a Danish message id for extraction; the portal translates it when shown."""
    return message


ROLE_LABELS = {
    "admin": N_("Administrator"),
    "lead_assessor": N_("Ledende sagsbehandler"),
    "assessor": N_("Sagsbehandler"),
    "signatory": N_("Tegningsberettiget"),
    "drafter": N_("Medarbejder (udkast)"),
    "party_member": N_("Medlem af aftalepartierne"),
    "labour_party": N_("Arbejdsmarkedets parter"),
}

APPLICATION_STATUS_LABELS = {
    "draft": N_("Kladde"),
    "submitted": N_("Indsendt"),
    "withdrawn": N_("Trukket tilbage"),
}

CALL_STATUS_LABELS = {
    "draft": N_("Kladde"),
    "open": N_("Åben for ansøgninger"),
    "closed": N_("Lukket"),
    "decided": N_("Afgjort"),
}

FIELD_LABELS = {
    "academic": N_("Akademikere"),
    "industry_crafts": N_("Industri og håndværk"),
    "office_commerce": N_("Kontor og handel"),
    "cross_occupational": N_("Tværfaglig"),
    "care_education": N_("Omsorg og pædagogik"),
    "managers_self_employed": N_("Ledere og selvstændige"),
}

SECTOR_LABELS = {
    "private": N_("Privat"),
    "public": N_("Offentlig"),
    "mixed": N_("Blandet"),
}

SIZE_LABELS = {
    "large": N_("Stor"),
    "medium": N_("Mellem"),
    "small": N_("Lille"),
}

ORGANISATION_KIND_LABELS = {
    "agency": N_("Styrelsen"),
    "fund": N_("A-kasser"),
    "party": N_("Aftalepartierne"),
    "labour_party": N_("Arbejdsmarkedets parter"),
}
