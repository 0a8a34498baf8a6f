"""Regressions found by fuzzing the forms: each bad value is a Danish message next to its
field, what was typed is shown again, and nothing is stored; an unexpected error is the Danish
500 page with the usual headers, even when the database is unusable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal import db as portal_db
from portal.access import Permission, requires
from portal.calls import services as calls
from portal.models import (
    Application,
    Call,
    CriteriaSet,
    Criterion,
    DeadlineExtension,
    Organisation,
    OrganisationKind,
    Role,
)
from tests.conftest import csrf_token, login
from tests.portal.helpers import draft_form, open_call
from tests.reliability.pages import control_value, field_errors

INVALID_CHARACTER = "Teksten indeholder et ugyldigt tegn."


@pytest.fixture()
def call(db: Session) -> Call:
    return open_call(db)


@pytest.fixture()
def drafter(client: FlaskClient, make_user: Any) -> Any:
    user = make_user(Role.DRAFTER, "HK")
    login(client, user.email)
    return user


@pytest.fixture()
def admin(client: FlaskClient, make_user: Any) -> Any:
    user = make_user(Role.ADMIN, "STAR")
    login(client, user.email)
    return user


def _post(client: FlaskClient, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    page = page or url
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _count(db: Session, model: type) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _hk(db: Session) -> Organisation:
    db.expire_all()
    return db.scalars(select(Organisation).where(Organisation.short_id == "HK")).one()


# --- surrounding whitespace --------------------------------------------------------------------


def test_blank_cvr_and_email_are_empty_not_stored_spaces(
    client: FlaskClient, db: Session, call: Call, drafter: Any
) -> None:
    url = f"/ansoegning/runde/{call.id}"
    response = _post(client, url, draft_form(call, cvr="   ", contact_email="   "))
    assert response.status_code == 302
    application = db.scalars(select(Application)).one()
    assert _hk(db).cvr is None and application.contact_email is None


def test_surrounding_whitespace_is_stripped_before_validation(
    client: FlaskClient, db: Session, call: Call, drafter: Any
) -> None:
    url = f"/ansoegning/runde/{call.id}"
    data = draft_form(
        call,
        cvr=" 12345678 ",
        contact_email=" karin@hk.example.dk\t",
        contact_phone=" 33 12 34 56 ",
    )
    assert _post(client, url, data).status_code == 302
    application = db.scalars(select(Application)).one()
    assert _hk(db).cvr == "12345678"
    assert application.contact_email == "karin@hk.example.dk"
    assert application.contact_phone == "33 12 34 56"


def test_cvr_of_other_digits_than_0_to_9_is_refused(
    client: FlaskClient, db: Session, call: Call, drafter: Any
) -> None:
    url = f"/ansoegning/runde/{call.id}"
    before = _hk(db).cvr  # organisations are reference data: kept between tests on PostgreSQL
    page = _post(client, url, draft_form(call, cvr="١٢٣٤٥٦٧٨")).get_data(as_text=True)
    assert field_errors(page, "cvr") == ["CVR-nummeret skal være 8 cifre, fx 12345678."]
    assert control_value(page, "cvr") == "١٢٣٤٥٦٧٨"
    assert _count(db, Application) == 0 and _hk(db).cvr == before


# --- control characters ------------------------------------------------------------------------


def test_nul_and_control_characters_are_an_error_next_to_the_field(
    client: FlaskClient, db: Session, call: Call, drafter: Any
) -> None:
    first = call.criteria_set.criteria[0]
    url = f"/ansoegning/runde/{call.id}"
    before = _hk(db).cvr
    data = draft_form(
        call,
        contact_name="Karin\x01 Kontakt",
        cvr="1234\x005678",
        **{f"answer_{first.id}": "Vores svar\x00 her."},
    )
    response = _post(client, url, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert INVALID_CHARACTER in field_errors(page, "contact_name")[0]
    assert INVALID_CHARACTER in field_errors(page, f"answer_{first.id}")[0]
    assert any(INVALID_CHARACTER in e for e in field_errors(page, "cvr"))
    # What was typed is shown again, without the invalid characters.
    assert control_value(page, "contact_name") == "Karin Kontakt"
    assert control_value(page, f"answer_{first.id}") == "Vores svar her."
    assert "\x00" not in page and "\x01" not in page
    assert _count(db, Application) == 0 and _hk(db).cvr == before


def test_tab_and_line_breaks_are_ordinary_text(
    client: FlaskClient, db: Session, call: Call, drafter: Any
) -> None:
    first = call.criteria_set.criteria[0]
    url = f"/ansoegning/runde/{call.id}"
    answer = "Første linje\r\n\tAnden linje"
    assert _post(client, url, draft_form(call, **{f"answer_{first.id}": answer})).status_code == 302
    application = db.scalars(select(Application)).one()
    stored = {a.criterion_id: a.text for a in application.answers}
    assert stored[first.id].replace("\r\n", "\n") == "Første linje\n\tAnden linje"


def test_autosave_answers_control_characters_with_the_field_error_in_json(
    client: FlaskClient, db: Session, call: Call, drafter: Any
) -> None:
    url = f"/ansoegning/runde/{call.id}/autosave"
    page = f"/ansoegning/runde/{call.id}"
    response = _post(client, url, draft_form(call, contact_name="A\x00B"), page=page)
    assert response.status_code == 400
    body = response.get_json()
    assert body["ok"] is False and INVALID_CHARACTER in body["errors"]["contact_name"][0]
    assert _count(db, Application) == 0


def _criterion_form(**changes: str) -> dict[str, str]:
    data = {
        "title": "Kapacitet",
        "guidance": "Vejledning",
        "evidence": "Dokumentation",
        "threshold": "3",
        "weight": "1",
        **{f"anchor_{i}": f"trin {i}" for i in range(5)},
    }
    data.update(changes)
    return data


def test_nul_in_a_criterion_text_is_an_error_and_nothing_changes(
    client: FlaskClient, db: Session, admin: Any
) -> None:
    cset = calls.create_default_criteria_set(db, None)
    db.commit()
    criterion = cset.criteria[0]
    before = (criterion.title, criterion.guidance)
    url = f"/admin/kriterium/{criterion.id}"
    response = _post(client, url, _criterion_form(title="Ny\x00titel", guidance="Vejl\x00ning"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert INVALID_CHARACTER in field_errors(page, "title")[0]
    assert INVALID_CHARACTER in field_errors(page, "guidance")[0]
    assert control_value(page, "title") == "Nytitel"
    db.expire_all()
    found = db.get(Criterion, criterion.id)
    assert found is not None and (found.title, found.guidance) == before


def test_nul_in_an_extension_reason_is_an_error_and_nothing_is_granted(
    client: FlaskClient, db: Session, call: Call, admin: Any
) -> None:
    url = f"/admin/runder/{call.id}"
    hk = _hk(db)
    data = {
        "organisation_id": str(hk.id),
        "deadline_at": "2099-01-01T12:00",
        "reason": "Syg\x00dom",
    }
    page = _post(client, url, data).get_data(as_text=True)
    assert INVALID_CHARACTER in field_errors(page, "reason")[0]
    assert control_value(page, "reason") == "Sygdom"
    assert _count(db, DeadlineExtension) == 0


# --- what no browser sends ---------------------------------------------------------------------


def test_a_json_body_gives_strings_to_the_form(
    client: FlaskClient, db: Session, call: Call, drafter: Any
) -> None:
    """A JSON body is read like a form; its numbers, lists and objects are text."""
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    token = csrf_token(page)
    url = f"/ansoegning/runde/{call.id}/autosave"
    for body in ([{"cvr": 1}], "tekst", 7, None, {"cvr": {"a": 1}, "members": [1, 2], "x": None}):
        response = client.post(url, json=body, headers={"X-CSRFToken": token})
        assert response.status_code == 400, body
        assert response.get_json()["ok"] is False
    assert _count(db, Application) == 0


def test_a_form_field_without_a_name_is_a_bad_request(
    client: FlaskClient, db: Session, call: Call, drafter: Any
) -> None:
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    body = (
        "--B\r\nContent-Disposition: form-data\r\n\r\nværdi\r\n"
        f'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf_token(page)}\r\n'
        "--B--\r\n"
    ).encode()
    response = client.post(
        f"/ansoegning/runde/{call.id}", data=body, content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 400
    assert "Forespørgslen kunne ikke forstås" in response.get_data(as_text=True)
    assert _count(db, Application) == 0


def test_a_number_with_hundreds_of_digits_is_an_error_next_to_the_field(
    client: FlaskClient, db: Session, call: Call, drafter: Any
) -> None:
    url = f"/ansoegning/runde/{call.id}"
    page = _post(client, url, draft_form(call, members=str(10**400))).get_data(as_text=True)
    assert field_errors(page, "members") == ["Tallet har for mange cifre."]
    assert _count(db, Application) == 0


# --- the administrator's call form -------------------------------------------------------------


def _published_set(db: Session) -> CriteriaSet:
    cset = calls.create_default_criteria_set(db, None)
    calls.publish_criteria_set(db, None, cset)
    db.commit()
    return cset


def _call_form(cset: CriteriaSet, **changes: str) -> dict[str, str]:
    data = {
        "title": "Runde 2027",
        "criteria_set_id": str(cset.id),
        "opens_at": "2027-01-05T09:00",
        "deadline_at": "2027-03-01T12:00",
        "dialogue_meeting_on": "2027-03-15",
        "page_limit": "10",
        "page_limit_with_annexes": "20",
        "target_volume": "37500",
        "min_share_percent": "25",
        "years": "4",
        "national_inflow": "150000",
    }
    data.update(changes)
    return data


CALL_FORM_REFUSALS = [
    ("min_share_percent", "", "Feltet skal udfyldes."),
    ("min_share_percent", "   ", "Feltet skal udfyldes."),
    ("min_share_percent", "0", "Skriv en procent mellem 0,1 og 100."),
    ("opens_at", "0001-01-01T00:00", "Skriv en dato mellem år 2000 og 2100."),
    ("deadline_at", "9999-12-31T23:59", "Skriv en dato mellem år 2000 og 2100."),
    ("dialogue_meeting_on", "0001-01-01", "Skriv en dato mellem år 2000 og 2100."),
    ("national_inflow", str(2**31), "Skriv et antal mellem 1 og 10.000.000."),
    ("national_inflow", str(2**63), "Skriv et antal mellem 1 og 10.000.000."),
    ("target_volume", str(2**31), "Skriv et antal mellem 1 og 1.000.000."),
    ("years", "11", "Skriv et antal år mellem 1 og 10."),
    ("years", str(2**63), "Skriv et antal år mellem 1 og 10."),
    ("page_limit", str(2**63), "Skriv et tal mellem 1 og 200."),
]


@pytest.mark.parametrize(("name", "value", "error"), CALL_FORM_REFUSALS)
def test_call_form_refuses_values_out_of_range_next_to_the_field(
    client: FlaskClient, db: Session, admin: Any, name: str, value: str, error: str
) -> None:
    cset = _published_set(db)
    response = _post(client, "/admin/runder/ny", _call_form(cset, **{name: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error in field_errors(page, name)
    assert control_value(page, name) == value.strip()
    assert _count(db, Call) == 0


def test_call_form_without_a_minimum_share_is_refused(
    client: FlaskClient, db: Session, admin: Any
) -> None:
    cset = _published_set(db)
    data = _call_form(cset)
    del data["min_share_percent"]
    page = _post(client, "/admin/runder/ny", data).get_data(as_text=True)
    assert field_errors(page, "min_share_percent") == ["Feltet skal udfyldes."]
    assert _count(db, Call) == 0


def test_call_form_within_the_bounds_creates_the_call(
    client: FlaskClient, db: Session, admin: Any
) -> None:
    cset = _published_set(db)
    data = _call_form(cset, national_inflow="10000000", years="10", min_share_percent="100")
    assert _post(client, "/admin/runder/ny", data).status_code == 302
    created = db.scalars(select(Call)).one()
    assert created.national_inflow == 10_000_000 and created.min_share == 1.0


def test_extension_deadline_far_in_the_future_is_refused(
    client: FlaskClient, db: Session, call: Call, admin: Any
) -> None:
    url = f"/admin/runder/{call.id}"
    data = {"organisation_id": str(_hk(db).id), "deadline_at": "9999-12-31T23:59", "reason": "x"}
    page = _post(client, url, data).get_data(as_text=True)
    assert field_errors(page, "deadline_at") == ["Skriv en dato mellem år 2000 og 2100."]
    assert _count(db, DeadlineExtension) == 0


# --- the 500 page ------------------------------------------------------------------------------


@pytest.fixture()
def failing_route(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A signed-in page that fails in the database: a refused row, or a database that is gone."""
    how: dict[str, Any] = {"unusable": False}

    def fail() -> str:
        session = portal_db.session()
        session.execute(text("SELECT 1"))
        if how["unusable"]:
            engine = portal_db.engine()

            def refuse(*_args: Any, **_kwargs: Any) -> Any:
                raise ConnectionRefusedError("the database server is gone")

            # No new connection can be made, and the one in use is gone.
            monkeypatch.setattr(engine.dialect, "connect", refuse)
            engine.dispose()
            session.connection().connection.dbapi_connection.close()  # type: ignore[union-attr]
            raise OperationalError("SELECT 1", {}, Exception("database is gone"))
        session.add(Organisation(kind=OrganisationKind.FUND, short_id="XX", name="X", cvr="1"))
        session.flush()  # refused by the cvr_eight_digits check: the transaction is now broken
        return "unreachable"

    app.add_url_rule("/proeve/fejl", "proeve_fejl", requires(Permission.SIGNED_IN)(fail))
    yield how


def _assert_danish_500(response: Any) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert '<html lang="da">' in page and "Der opstod en fejl" in page
    assert "Internal Server Error" not in page
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    return page


def test_500_page_after_a_database_error_is_danish_with_the_usual_headers(
    failing_route: dict[str, Any], client: FlaskClient, db: Session, admin: Any
) -> None:
    page = _assert_danish_500(client.get("/proeve/fejl"))
    assert admin.name in page  # the session was rolled back: the page is the full one
    db.expire_all()
    assert db.scalar(select(Organisation).where(Organisation.short_id == "XX")) is None


def test_500_page_renders_when_the_database_is_unusable(
    failing_route: dict[str, Any], client: FlaskClient, admin: Any
) -> None:
    failing_route["unusable"] = True
    _assert_danish_500(client.get("/proeve/fejl"))
