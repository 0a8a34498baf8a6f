"""Writing the draft through the real routes: two writers and their conflict, the save when
the page is left, extents that cover nothing eligible, feedback next to the field, the page
after submission, and the drafter's hand-over to the signatory."""

from __future__ import annotations

import html
import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.applications import receipts
from portal.applications import services as applications
from portal.mail import list_outbox, read_outbox
from portal.models import (
    Answer,
    Application,
    ApplicationVersion,
    Attachment,
    AuditEvent,
    Role,
)
from tests.conftest import csrf_token, login, require_tool
from tests.portal.helpers import (
    complete_application,
    draft_data,
    draft_form,
    open_call,
    pdf_bytes,
)


@pytest.fixture()
def call(db: Session):
    return open_call(db)


@pytest.fixture()
def drafter(make_user):
    return make_user(Role.DRAFTER, "HK")


@pytest.fixture()
def signatory(make_user):
    return make_user(Role.SIGNATORY, "HK")


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    assert match, f"no hidden {name} in page"
    return html.unescape(match.group(1))


def _edit_url(call) -> str:
    return f"/ansoegning/runde/{call.id}"


def _as_loaded(client: FlaskClient, call) -> dict[str, str]:
    """What the page carries besides the fields: token, revision and the loaded digests."""
    page = client.get(_edit_url(call)).get_data(as_text=True)
    return {
        "csrf_token": csrf_token(page),
        "revision": _hidden(page, "revision"),
        "base": _hidden(page, "base"),
    }


def _post(client: FlaskClient, call, loaded: dict[str, str], **changes: Any):
    data = {**draft_form(call), **loaded, **changes}
    return client.post(_edit_url(call), data=data, follow_redirects=True)


def _answer(db: Session, criterion_id: int) -> str:
    db.expire_all()
    return str(db.scalar(select(Answer.text).where(Answer.criterion_id == criterion_id)))


def _other_saves(db: Session, application: Application, who, call, **changes: Any) -> None:
    applications.save_draft(db, who, application, draft_data(call, **changes))
    db.commit()


# --- two writers ---------------------------------------------------------------------------


def test_conflict_shows_both_versions_and_the_next_save_succeeds(
    client, db, call, drafter, signatory
) -> None:
    application = complete_application(db, call, drafter)
    first = call.criteria_set.criteria[0].id
    answers = {c.id: f"Svar på {c.title}." for c in call.criteria_set.criteria}
    login(client, signatory.email)
    loaded = _as_loaded(client, call)
    _other_saves(db, application, drafter, call, answers={**answers, first: "Kollegaens svar."})

    page = _post(client, call, loaded, **{f"answer_{first}": "Mit svar."}).get_data(as_text=True)
    assert "Ikke gemt endnu: en anden har gemt ansøgningen, mens du skrev" in page
    assert "Ændret af Test drafter, mens du skrev" in page
    assert "Kollegaens svar." in page and ">\r\nMit svar.</textarea>" in page
    assert f'name="resolve-answer_{first}"' in page and 'value="merged"' in page
    assert _answer(db, first) == "Kollegaens svar."
    # The hidden revision moved on: saving again (keeping mine) goes through at once.
    db.expire_all()
    assert _hidden(page, "revision") == str(db.get(Application, application.id).revision)
    again = {
        "csrf_token": csrf_token(page),
        "revision": _hidden(page, "revision"),
        "base": _hidden(page, "base"),
        f"answer_{first}": "Mit svar.",
        f"resolve-answer_{first}": "mine",
    }
    saved = _post(client, call, again).get_data(as_text=True)
    assert "Kladden er gemt." in saved and "Ikke gemt endnu" not in saved
    assert _answer(db, first) == "Mit svar."
    event = db.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "application.draft_saved")
        .order_by(AuditEvent.id.desc())
    )
    assert event.actor_id == signatory.id and event.data == {
        "resolved": {f"answer_{first}": "mine"}
    }


def _conflict_page(client, db, call, drafter, signatory) -> tuple[str, int]:
    application = complete_application(db, call, drafter)
    first = call.criteria_set.criteria[0].id
    answers = {c.id: f"Svar på {c.title}." for c in call.criteria_set.criteria}
    login(client, signatory.email)
    loaded = _as_loaded(client, call)
    _other_saves(db, application, drafter, call, answers={**answers, first: "Kollegaens svar."})
    page = _post(
        client, call, loaded, contact_phone="33 12 34 56", **{f"answer_{first}": "Mit svar."}
    ).get_data(as_text=True)
    return page, first


def _resolve(client, call, page: str, first: int, choice: str, text: str) -> str:
    data = {
        "csrf_token": csrf_token(page),
        "revision": _hidden(page, "revision"),
        "base": _hidden(page, "base"),
        "contact_phone": "33 12 34 56",
        f"answer_{first}": text,
        f"resolve-answer_{first}": choice,
    }
    return _post(client, call, data).get_data(as_text=True)


def test_conflict_take_theirs_keeps_the_other_version(client, db, call, drafter, signatory) -> None:
    page, first = _conflict_page(client, db, call, drafter, signatory)
    # Without JavaScript the box still holds my text; the choice decides.
    assert "Kladden er gemt." in _resolve(client, call, page, first, "theirs", "Mit svar.")
    assert _answer(db, first) == "Kollegaens svar."
    assert db.scalar(select(Application.contact_phone)) == "33 12 34 56"


def test_conflict_merge_saves_the_edited_text(client, db, call, drafter, signatory) -> None:
    page, first = _conflict_page(client, db, call, drafter, signatory)
    merged = "Mit svar.\r\n\r\nKollegaens svar, flettet."
    assert "Kladden er gemt." in _resolve(client, call, page, first, "merged", merged)
    assert _answer(db, first) == merged


def test_changes_to_different_fields_are_merged_without_asking(
    client, db, call, drafter, signatory
) -> None:
    application = complete_application(db, call, drafter)
    first, second = (c.id for c in call.criteria_set.criteria[:2])
    answers = {c.id: f"Svar på {c.title}." for c in call.criteria_set.criteria}
    login(client, signatory.email)
    loaded = _as_loaded(client, call)
    _other_saves(db, application, drafter, call, answers={**answers, second: "Kollegaens svar 2."})

    page = _post(client, call, loaded, **{f"answer_{first}": "Mit svar 1."}).get_data(as_text=True)
    assert "Kladden er gemt. En anden havde gemt imens" in page
    assert _answer(db, first) == "Mit svar 1."
    assert _answer(db, second) == "Kollegaens svar 2."


def test_autosave_conflict_is_a_409_naming_the_other_writer(
    client, db, call, drafter, signatory
) -> None:
    application = complete_application(db, call, drafter)
    first = call.criteria_set.criteria[0].id
    login(client, signatory.email)
    loaded = _as_loaded(client, call)
    _other_saves(db, application, drafter, call, contact_name="Kollega")
    response = client.post(
        f"/ansoegning/runde/{call.id}/autosave",
        data={**draft_form(call), **loaded, f"answer_{first}": "Mit svar."},
    )
    assert response.status_code == 409 and response.json["conflict"] is True
    assert "Test drafter har gemt ansøgningen" in response.json["message"]
    assert "Gem kladde" in response.json["message"]
    assert _answer(db, first) != "Mit svar."


def test_autosave_moves_revision_and_digests_so_saves_follow_each_other(
    client, db, call, drafter
) -> None:
    complete_application(db, call, drafter)
    first = call.criteria_set.criteria[0].id
    login(client, drafter.email)
    loaded = _as_loaded(client, call)
    for attempt in range(4):
        response = client.post(
            f"/ansoegning/runde/{call.id}/autosave",
            data={**draft_form(call), **loaded, f"answer_{first}": f"Udgave {attempt}."},
        )
        assert response.status_code == 200, response.json
        loaded = {
            **loaded,
            "revision": str(response.json["revision"]),
            "base": response.json["base"],
        }
    assert _answer(db, first) == "Udgave 3."


def test_save_on_leaving_takes_the_token_from_the_form(client, db, call, drafter) -> None:
    """A page that closes sends the form as it is, token included, with no header."""
    login(client, drafter.email)
    loaded = _as_loaded(client, call)
    first = call.criteria_set.criteria[0].id
    response = client.post(
        f"/ansoegning/runde/{call.id}/autosave",
        data={**draft_form(call), **loaded, f"answer_{first}": "Skrevet lige før Forside."},
    )
    assert response.status_code == 200 and response.json["ok"] is True
    assert _answer(db, first) == "Skrevet lige før Forside."


# --- extents -------------------------------------------------------------------------------


def test_extent_of_only_frikommuner_is_an_error_at_the_field(client, db, call, drafter) -> None:
    login(client, drafter.email)
    loaded = _as_loaded(client, call)
    page = _post(client, call, loaded, extent_kind="regions", regions=["1081"]).get_data(
        as_text=True
    )
    assert 'id="regions-error"' in page
    assert "Region Nordjylland har kun frikommuner" in page
    assert 'href="#regions">Regioner: Region Nordjylland har kun frikommuner' in page
    assert 'id="region-1081" checked' in page  # the choice is kept
    assert db.scalar(select(func.count(Application.id))) == 0


def test_checklist_flags_a_stored_extent_with_nothing_eligible(
    client, db, call, drafter, signatory
) -> None:
    application = complete_application(db, call, drafter)
    application.requested_extent = ["region:1081"]
    db.commit()
    login(client, signatory.email)
    page = client.get(f"/ansoegning/{application.id}/indsend").get_data(as_text=True)
    assert "Udstrækningen dækker kun frikommuner" in page
    assert "Ingen kommuner: alle de ønskede kommuner er frikommuner" in page
    assert "Indsend ansøgningen</button>" not in page
    response = client.post(
        f"/ansoegning/{application.id}/indsend",
        data={"revision": str(application.revision), "csrf_token": csrf_token(page)},
    )
    assert "mangler 1 punkt(er)" in response.get_data(as_text=True)
    assert db.scalar(select(func.count(ApplicationVersion.id))) == 0


EFFECTIVE = "25 kommuner (frikommuner taget fra: Allerød, Ballerup, Fredensborg, Gribskov)"


def test_effective_extent_on_page_version_and_receipt(
    client, app, db, call, drafter, signatory, tmp_path: Path
) -> None:
    application = complete_application(db, call, drafter)  # Region Hovedstaden
    login(client, signatory.email)
    page = client.get(_edit_url(call)).get_data(as_text=True)
    assert 'Region Hovedstaden <span class="excluded-reason">(4 frikommuner tages fra)' in page
    assert page.count(EFFECTIVE) == 2  # the checklist and the extent section
    with app.app_context():
        version = applications.submit(db, signatory, application, None)
        receipt = receipts.issue_receipt(db, version)
        db.commit()
    shown = client.get(f"/ansoegning/{application.id}/version/1").get_data(as_text=True)
    assert "Kan indgå i forsøget" in shown and EFFECTIVE in shown
    pdf = tmp_path / "kvittering.pdf"
    pdf.write_bytes(receipt.content)
    text = subprocess.run(
        [require_tool("pdftotext", "poppler-utils"), "-raw", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())
    assert "Kan indgå i forsøget (uden frikommuner)" in flat and EFFECTIVE in flat


def test_frikommune_reason_is_said_once_without_internal_names(client, call, drafter) -> None:
    login(client, drafter.email)
    page = client.get(_edit_url(call)).get_data(as_text=True)
    assert "FK2-" not in page and "netværk" not in page
    assert page.count("Frikommuner har deres eget forsøg med kontaktforløbet") == 1
    assert page.count('<span class="excluded-reason">(frikommune)</span>') == 15
    assert 'Region Nordjylland <span class="excluded-reason">(kun frikommuner)</span>' in page


# --- feedback where the user is ------------------------------------------------------------


def _upload(client: FlaskClient, call, application, data: bytes, criterion: str):
    page = client.get(_edit_url(call)).get_data(as_text=True)
    return client.post(
        f"/ansoegning/{application.id}/bilag",
        data={
            "csrf_token": csrf_token(page),
            "criterion": criterion,
            "file": (io.BytesIO(data), "bilag.pdf"),
        },
        content_type="multipart/form-data",
    )


def test_upload_refusal_is_shown_at_the_file_field_with_the_choice_kept(
    client, db, call, drafter
) -> None:
    application = complete_application(db, call, drafter)
    second = call.criteria_set.criteria[1]
    login(client, drafter.email)
    response = _upload(client, call, application, b"ikke en pdf", str(second.id))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    refusal = "Filen er ikke en PDF-fil."
    field = page.index('id="file-error"')
    assert refusal in page[field : field + 300]
    summary = page.index('id="error-summary"')
    assert page.index('id="attachments-heading"') < summary < field  # at the upload form
    assert 'href="#file">PDF-fil: ' + refusal in page
    assert page.count(refusal) == 2  # the summary and the field; no message at the top
    assert f'<option selected value="{second.id}">' in page
    assert 'aria-invalid="true"' in page[field : field + 900]
    assert db.scalar(select(func.count(Attachment.id))) == 0
    assert db.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
        "attachment.refused"
    )


def test_upload_over_the_page_limit_is_shown_at_the_file_field(client, db, call, drafter) -> None:
    application = complete_application(db, call, drafter)
    login(client, drafter.email)
    response = _upload(client, call, application, pdf_bytes(11), "")
    page = response.get_data(as_text=True)
    field = page.index('id="file-error"')
    assert "grænsen for bilag er 10 sider" in page[field : field + 300]
    assert db.scalar(select(func.count(Attachment.id))) == 0


def test_one_error_per_field_and_no_duplicate_ids(client, db, call, drafter) -> None:
    login(client, drafter.email)
    page = _post(client, call, _as_loaded(client, call), members="mange").get_data(as_text=True)
    assert page.count('id="members-error"') == 1
    assert "Skriv et helt tal." in page
    assert "Skriv et antal mellem 0 og 2.000.000." not in page
    assert page.count('href="#members"') == 1


def test_error_summary_sits_above_the_checklist(client, db, call, drafter) -> None:
    complete_application(db, call, drafter)
    login(client, drafter.email)
    page = _post(client, call, _as_loaded(client, call), cvr="12ab").get_data(as_text=True)
    assert page.index('id="error-summary"') < page.index('id="checklist-heading"')
    assert 'tabindex="-1" id="error-summary"' in page


def test_answer_over_the_limit_is_kept_whole_not_cut(client, db, call, drafter) -> None:
    first = call.criteria_set.criteria[0].id
    login(client, drafter.email)
    page = client.get(_edit_url(call)).get_data(as_text=True)
    textarea = re.search(rf'<textarea[^>]*id="answer_{first}"[^>]*>', page).group(0)
    assert "maxlength" not in textarea  # the browser would cut a paste silently
    long = "æ" * 4100
    page = _post(client, call, _as_loaded(client, call), **{f"answer_{first}": long}).get_data(
        as_text=True
    )
    assert long in page and "Svaret må højst være 4000 tegn" in page
    assert "4100 af 4000 tegn" in page and "char-count over-budget" in page


# --- after submission ----------------------------------------------------------------------


def test_page_after_submission_says_submitted_with_the_receipt_link(
    client, db, call, drafter, signatory
) -> None:
    application = complete_application(db, call, drafter)
    applications.submit(db, signatory, application, None)
    db.commit()
    login(client, signatory.email)
    page = client.get(_edit_url(call)).get_data(as_text=True)
    assert "Indsendt version 1" in page
    receipt_link = f'href="/ansoegning/{application.id}/version/1/kvittering.pdf"'
    assert page.index(receipt_link) < page.index('id="checklist-heading"')
    assert "kan indsendes" not in page

    changed = _post(client, call, _as_loaded(client, call), contact_name="Ny kontakt")
    text = changed.get_data(as_text=True)
    assert "Ansøgningen er komplet og kan indsendes." in text
    assert 'id="submitted-version"' not in text


# --- the drafter hands over ----------------------------------------------------------------


def test_drafter_hands_over_and_the_signatory_is_told(
    client, app, db, call, drafter, signatory
) -> None:
    application = complete_application(db, call, drafter)
    login(client, drafter.email)
    page = client.get(_edit_url(call)).get_data(as_text=True)
    assert "Send til underskrift</button>" in page and "Gå til indsendelse" not in page
    response = client.post(
        f"/ansoegning/{application.id}/til-underskrift",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "Ansøgningen er sendt til underskrift. Test signatory har fået en e-mail." in text
    assert "Sendt til underskrift af Test drafter" in text
    [mail] = list_outbox(app.config["OUTBOX_DIR"])
    assert mail.to == signatory.email and "klar til underskrift" in mail.subject
    body = read_outbox(app.config["OUTBOX_DIR"], mail.name).get_body().get_content()
    assert "Test drafter har gjort ansøgningen fra HK Danmark A-kasse" in body
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["application.signature_requested", "mail.signature_request_sent"]

    client.post("/logout", data={"csrf_token": csrf_token(text)})
    login(client, signatory.email)
    home = client.get("/").get_data(as_text=True)
    assert "Kladde klar til underskrift fra Test drafter" in home
    assert f'href="/ansoegning/{application.id}/indsend">Kladde klar' in home
    applications.submit(db, signatory, application, None)
    db.commit()
    assert "Kladde klar til underskrift" not in client.get("/").get_data(as_text=True)


def test_hand_over_of_an_incomplete_draft_is_refused(client, app, db, call, drafter) -> None:
    application = complete_application(db, call, drafter)
    application.contact_email = None
    db.commit()
    login(client, drafter.email)
    page = client.get(f"/ansoegning/{application.id}/indsend").get_data(as_text=True)
    assert "Send til underskrift</button>" not in page and "Giv besked" not in page
    response = client.post(
        f"/ansoegning/{application.id}/til-underskrift",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert "mangler 1 punkt(er)" in response.get_data(as_text=True)
    assert list_outbox(app.config["OUTBOX_DIR"]) == []
    actions = db.scalars(select(AuditEvent.action)).all()
    assert "application.signature_requested" not in actions


def test_drafter_submit_page_offers_the_hand_over(client, db, call, drafter) -> None:
    application = complete_application(db, call, drafter)
    login(client, drafter.email)
    page = client.get(f"/ansoegning/{application.id}/indsend").get_data(as_text=True)
    assert "Giv besked" not in page
    assert f'action="/ansoegning/{application.id}/til-underskrift"' in page


def test_the_kept_extent_block_follows_each_fund_its_choice_and_language(
    app, client, db, call, drafter, make_user
) -> None:
    """The checkboxes are rendered once per exclusion list, language and choice: two a-kasser
    with different choices, an English page and an error each get their own."""
    complete_application(db, call, drafter)  # HK: Region Hovedstaden
    threef = make_user(Role.DRAFTER, "3F")
    other = complete_application(db, call, threef)
    other.requested_extent = ["101", "147"]
    db.commit()

    login(client, drafter.email)
    hk_page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    assert 'id="region-1084" checked' in hk_page and 'id="muni-101" checked' not in hk_page
    client = app.test_client()
    login(client, threef.email)
    threef_page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    assert 'id="muni-101" checked' in threef_page and 'id="muni-147" checked' in threef_page
    assert 'id="region-1084" checked' not in threef_page
    client.post("/sprog", data={"lang": "en", "next": "/", "csrf_token": csrf_token(threef_page)})
    english = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    assert "Municipalities (for" in english and "Kommuner (ved" not in english
    assert 'id="muni-101" checked' in english


def test_the_drafters_start_page_says_whether_the_draft_can_still_be_changed(
    client: FlaskClient, db: Session, call, drafter
) -> None:
    from tests.portal.assessment.conftest import close_deadline

    login(client, drafter.email)
    page = html.unescape(client.get("/").get_data(as_text=True))
    assert "Du kan skrive i udkastet; kun den tegningsberettigede kan indsende." in page
    close_deadline(db, call)
    page = html.unescape(client.get("/").get_data(as_text=True))
    assert "Du kan skrive i udkastet" not in page
    assert "Ingen ansøgningsfrist er åben for jer nu, så udkastet kan ikke ændres" in page
