"""Danish labels (translatable) for enum values shown to users."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "lead_assessor": _l("Ledende sagsbehandler"),
    "assessor": _l("Sagsbehandler"),
    "signatory": _l("Tegningsberettiget"),
    "drafter": _l("Medarbejder (udkast)"),
    "party_member": _l("Medlem af aftalepartierne"),
    "labour_party": _l("Arbejdsmarkedets parter"),
}

APPLICATION_STATUS_LABELS = {
    "draft": _l("Kladde"),
    "submitted": _l("Indsendt"),
    "withdrawn": _l("Trukket tilbage"),
}

CALL_STATUS_LABELS = {
    "draft": _l("Kladde"),
    "open": _l("Åben for ansøgninger"),
    "closed": _l("Lukket"),
    "decided": _l("Afgjort"),
}

FIELD_LABELS = {
    "academic": _l("Akademikere"),
    "industry_crafts": _l("Industri og håndværk"),
    "office_commerce": _l("Kontor og handel"),
    "cross_occupational": _l("Tværfaglig"),
    "care_education": _l("Omsorg og pædagogik"),
    "managers_self_employed": _l("Ledere og selvstændige"),
}

SECTOR_LABELS = {
    "private": _l("Privat"),
    "public": _l("Offentlig"),
    "mixed": _l("Blandet"),
}

SIZE_LABELS = {
    "large": _l("Stor"),
    "medium": _l("Mellem"),
    "small": _l("Lille"),
}
