"""The dossier keeps the addenda and the conflict declarations, and no individual score."""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import timedelta

from flask import Flask
from sqlalchemy.orm import Session

from portal.assessment import services
from portal.assessment.rules import ScoreEntry
from portal.models import Role, utcnow
from tests.conftest import login, require_tool
from tests.portal.assessment.conftest import Trin2


def _pdftotext(pdf: bytes) -> str:
    require_tool("pdftotext", "poppler-utils")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    )
    return result.stdout.decode()


def test_dossier_has_addenda_and_declarations_but_no_scores(
    app: Flask, db: Session, client, make_user, trin2: Trin2
) -> None:
    t = trin2
    version = t.hk_version
    criteria = list(t.call.criteria_set.criteria)
    with app.app_context():
        for person in (t.sara, t.soeren):
            services.add_assignment(db, t.lead, version, person)
        services.declare(db, t.sara, version, False, "")
        services.declare(db, t.soeren, version, True, "Tidligere bestyrelsesmedlem i HK.")
        services.save_assessment(
            db,
            t.sara,
            version,
            [ScoreEntry(c.id, 3, "HEMMELIG-BEGRUNDELSE") for c in criteria],
            True,
        )
        asked = services.request_information(
            db, t.lead, version, "Hvor mange afdelinger har I?", utcnow() + timedelta(days=5)
        )
        services.answer_request(db, t.hk, asked, "Vi har 26 afdelinger.")
        db.commit()
    admin = make_user(Role.ADMIN, "STAR")
    login(client, admin.email)
    response = client.get(f"/admin/ansoegning/{version.application_id}/dossier.zip")
    data = response.data
    archive = zipfile.ZipFile(io.BytesIO(data))
    text = _pdftotext(archive.read("hk-version-1/ansoegning.pdf"))
    assert "Hvor mange afdelinger har I?" in text
    assert "Vi har 26 afdelinger." in text
    assert "Tidligere bestyrelsesmedlem i HK." in text
    assert "ingen interessekonflikt" in text
    for name in archive.namelist():
        assert b"HEMMELIG-BEGRUNDELSE" not in archive.read(name)
    assert "HEMMELIG-BEGRUNDELSE" not in text
