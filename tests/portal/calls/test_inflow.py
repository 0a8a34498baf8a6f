"""The administrator's reported inflow per call: the page, the upload (read whole, refused
whole), the latest upload in use, the way back to the modelled inflow, and who may do it."""

from __future__ import annotations

import hashlib
import html as markup
import io
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.calls import inflow, services
from portal.models import AuditEvent, InflowUpload, Role
from tests.conftest import csrf_token, login
from tests.portal.helpers import open_call

HEADER = "fund_id;municipality_code;year;inflow"
# What a Danish spreadsheet saves as "CSV UTF-8": a BOM, semicolons, CRLF, decimal commas,
# DAGI's 4-digit codes, a trailing row of empty cells.
VALID = (
    "\ufeff" + HEADER + "\r\nHK;101;2024;1234\r\nHK;0147;2024;56,5\r\n3F;751;2024;310\r\n;;;\r\n"
).encode()


@pytest.fixture()
def call(db: Session):
    return open_call(db)


@pytest.fixture()
def admin(make_user):
    return make_user(Role.ADMIN, "STAR")


@pytest.fixture()
def admin_client(client, admin):
    login(client, admin.email)
    return client


def _url(call) -> str:
    return f"/admin/runder/{call.id}/tilgang"


def _upload(client, call, data: bytes, filename: str = "tilgang.csv"):
    token = csrf_token(client.get(_url(call)).get_data(as_text=True))
    return client.post(
        _url(call),
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _withdraw(client, call):
    token = csrf_token(client.get(_url(call)).get_data(as_text=True))
    return client.post(
        f"{_url(call)}/modelleret", data={"csrf_token": token}, follow_redirects=True
    )


def _text(fragment: str) -> str:
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _problems(page: str) -> list[tuple[int, str, str, str]]:
    """The refused file's problems as the page lists them: (line, column, value, message)."""
    table = re.search(r'<table class="table table--compact inflow-problems".*?</table>', page, re.S)
    assert table, "no list of problems on the page"
    rows = re.findall(
        r"<tr><td>(\d+)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table.group(0)
    )
    return [(int(line), _text(col), _text(value), _text(msg)) for line, col, value, msg in rows]


def _source(page: str) -> str:
    """The text of the box saying which inflow the call uses."""
    found = re.search(r'id="kilde"><div class="alert-body">(.*?)</div></div>', page, re.S)
    assert found, "no inflow source on the page"
    return _text(found.group(1))


def _count(db: Session, model) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _events(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- the page ------------------------------------------------------------------------------------


def test_page_says_the_inflow_is_modelled_and_documents_the_format(admin_client, call) -> None:
    page = admin_client.get(_url(call)).get_data(as_text=True)
    source = _source(page)
    assert source.startswith("Modelleret")
    assert "Der findes ingen offentlige tal for nyindplacerede pr. a-kasse og kommune" in source
    assert "150.000 om året" in source
    assert "Gå tilbage til modelleret tilgang" not in page
    text = _text(page)
    for column in ("fund_id", "municipality_code", "year", "inflow"):
        assert f"<code>{column}</code>" in page, column
    assert "3F, AJKS, AKA" in text and "Dana" in text
    assert "Tegnsæt: UTF-8" in text and "byte order mark (BOM)" in text
    assert "Skilletegn: semikolon (;) som i dansk Excel, eller komma (,)" in text
    assert "HK;0147;2024;56,5" in page
    assert "højst 2048 kB" in text
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page


def test_call_page_and_start_page_link_to_it(admin_client, call) -> None:
    detail = admin_client.get(f"/admin/runder/{call.id}").get_data(as_text=True)
    assert f'href="{_url(call)}"' in detail and "modelleret" in detail
    start = admin_client.get("/").get_data(as_text=True)
    assert f'href="{_url(call)}"' in start
    assert "Tilgang: Testrunde" in start and "Modelleret. Upload de faktiske tal" in start


# --- a valid file --------------------------------------------------------------------------------


def test_valid_file_is_stored_audited_and_shown(admin_client, admin, call, db) -> None:
    response = _upload(admin_client, call, VALID, filename="../tilgang 2024.csv")
    assert response.status_code == 302 and response.headers["Location"].endswith(_url(call))

    upload = db.scalar(select(InflowUpload))
    assert upload is not None and upload.call_id == call.id
    assert upload.rows == [["HK", "101", 1234.0], ["HK", "147", 56.5], ["3F", "751", 310.0]]
    assert (upload.year, upload.row_count, upload.size_bytes) == (2024, 3, len(VALID))
    assert upload.sha256 == hashlib.sha256(VALID).hexdigest()
    assert upload.filename == "tilgang 2024.csv"  # the path is dropped
    assert upload.uploaded_by_id == admin.id and upload.withdrawn_at is None
    assert services.active_inflow(db, call.id).id == upload.id
    (event,) = _events(db, "inflow.uploaded")
    assert event.actor_id == admin.id and event.object_id == str(upload.id)
    assert event.data["sha256"] == upload.sha256 and event.data["rows"] == 3

    page = admin_client.get(_url(call)).get_data(as_text=True)
    assert "Filen tilgang 2024.csv er gemt: 3 rækker for 2024." in _text(page)
    source = _source(page)
    assert source.startswith("Indberettet")
    assert "Filen tilgang 2024.csv, uploadet" in source and f"af {admin.name}" in source
    assert "3 rækker for 2024, 2 af 24 a-kasser, tilgang i alt 1.600." in source
    assert upload.sha256 in source
    assert "har fortsat modelleret tilgang: AJKS, AKA" in source
    assert "Gå tilbage til modelleret tilgang" in page
    detail = admin_client.get(f"/admin/runder/{call.id}").get_data(as_text=True)
    assert "indberettet: filen tilgang 2024.csv for 2024" in detail
    start = admin_client.get("/").get_data(as_text=True)
    assert "Indberettet: filen tilgang 2024.csv for 2024 bruges i nye beregninger." in start


def test_comma_separated_file_with_a_quoted_decimal_comma(admin_client, call, db) -> None:
    data = b'fund_id,municipality_code,year,inflow\nHK,101,2023,"12,5"\nHK,147,2023,7.25\n'
    assert _upload(admin_client, call, data).status_code == 302
    assert db.scalar(select(InflowUpload)).rows == [["HK", "101", 12.5], ["HK", "147", 7.25]]


# --- refused files -------------------------------------------------------------------------------

GOOD_LINE = "HK;101;2024;1234"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            b"fund_id;municipality_code;inflow\nHK;101;5\n",
            [(1, "year", "fund_id;municipality_code;inflow", "Kolonnen mangler i overskriften")],
            id="missing-column",
        ),
        pytest.param(
            f"{HEADER}\n{GOOD_LINE}\nHK;999;2024;5\nXX;147;2024;5\n".encode(),
            [
                (3, "municipality_code", "999", "Ukendt kommunekode"),
                (4, "fund_id", "XX", "Ukendt a-kasse"),
            ],
            id="bad-codes",
        ),
        pytest.param(
            f"{HEADER}\n{GOOD_LINE}\nHK;147;2024;-5\n".encode(),
            [(3, "inflow", "-5", "Tilgangen må ikke være negativ.")],
            id="negative",
        ),
        pytest.param(
            f"{HEADER}\n{GOOD_LINE}\nHK;147;2024;5\nHK;0101;2024;7\n".encode(),
            [
                (
                    4,
                    "fund_id, municipality_code, year",
                    "HK,101,2024",
                    "Samme a-kasse, kommune og år som linje 2.",
                )
            ],
            id="duplicate-row",
        ),
        pytest.param(
            f"{HEADER}\n{GOOD_LINE}\n".encode() + "Ase;København;2024;5\n".encode("latin-1"),
            [(3, "municipality_code", "K\ufffdbenhavn", "Teksten er ikke UTF-8 (byte 0xF8)")],
            id="not-utf-8",
        ),
        pytest.param(
            b"",
            [(1, "hele linjen", "–", "Filen er tom. Første linje skal være overskriften")],
            id="empty",
        ),
        pytest.param(
            f"{HEADER}\r\n".encode(),
            [(2, "hele linjen", "–", "Filen har ingen rækker under overskriften.")],
            id="header-only",
        ),
        pytest.param(
            f"{HEADER}\n{GOOD_LINE}\nHK;147;2023;5\nHK;151;2024;1.234\n".encode(),
            [
                (3, "year", "2023", "Filen må kun have tal for ét år; linje 2 har 2024."),
                (4, "inflow", "1.234", "Tvetydigt tal. Skriv tallet uden tusindtalsseparator"),
            ],
            id="two-years-and-thousands",
        ),
    ],
)
def test_malformed_file_is_refused_whole_with_line_column_and_value(
    admin_client, admin, call, db, data: bytes, expected
) -> None:
    response = _upload(admin_client, call, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    found = _problems(page)
    assert len(found) == len(expected)
    for (line, column, value, message), (f_line, f_column, f_value, f_message) in zip(
        expected, found, strict=True
    ):
        assert (f_line, f_column, f_value) == (line, column, value)
        assert f_message.startswith(message), f_message
    # Next to the upload field, and in the summary at the top of the page.
    assert "form-group form-error" in page
    assert f"Filen er afvist, og intet er gemt: {len(expected)} fejl, se listen." in _text(page)
    assert 'id="error-summary"' in page
    # Nothing stored, the refusal logged.
    assert _count(db, InflowUpload) == 0
    assert services.active_inflow(db, call.id) is None
    (event,) = _events(db, "inflow.refused")
    assert event.actor_id == admin.id and event.data["problems"] == len(expected)
    assert event.data["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_refused_file_leaves_the_file_in_use(admin_client, call, db) -> None:
    _upload(admin_client, call, VALID)
    first = services.active_inflow(db, call.id)
    bad = f"{HEADER}\n{GOOD_LINE}\nHK;147;2024;abc\n".encode()
    page = _upload(admin_client, call, bad).get_data(as_text=True)
    assert _problems(page) == [
        (3, "inflow", "abc", "Tilgangen skal være et tal, fx 1234 eller 56,5.")
    ]
    db.expire_all()
    assert _count(db, InflowUpload) == 1
    assert services.active_inflow(db, call.id).id == first.id


def test_file_over_the_size_limit_is_refused(app, admin_client, call, db) -> None:
    app.config["INFLOW_MAX_BYTES"] = 40
    page = _upload(admin_client, call, VALID).get_data(as_text=True)
    assert "Filen er for stor: en tilgangsfil må højst fylde 0 kB." in _text(page)
    assert _count(db, InflowUpload) == 0


def test_no_file_chosen(admin_client, call, db) -> None:
    token = csrf_token(admin_client.get(_url(call)).get_data(as_text=True))
    page = admin_client.post(_url(call), data={"csrf_token": token}).get_data(as_text=True)
    assert "Vælg en CSV-fil." in page
    assert _count(db, InflowUpload) == 0 and _events(db, "inflow.refused") == []


# --- the latest wins; back to the model ----------------------------------------------------------


def test_latest_upload_wins_and_the_way_back_to_the_model(admin_client, admin, call, db) -> None:
    _upload(admin_client, call, VALID, filename="første.csv")
    second = f"{HEADER}\nMetal;101;2025;42\n".encode()
    _upload(admin_client, call, second, filename="anden.csv")
    active = services.active_inflow(db, call.id)
    assert (active.filename, active.year, active.rows) == (
        "anden.csv",
        2025,
        [["Metal", "101", 42.0]],
    )
    page = admin_client.get(_url(call)).get_data(as_text=True)
    history = _text(
        re.search(
            r'<table class="table table--compact inflow-uploads".*?</table>', page, re.S
        ).group(0)
    )
    assert history.index("anden.csv") < history.index("første.csv")
    assert "I brug" in history and "Afløst af en nyere fil" in history

    page = _withdraw(admin_client, call).get_data(as_text=True)
    assert "Runden bruger igen modelleret tilgang." in page
    db.expire_all()
    assert services.active_inflow(db, call.id) is None
    withdrawn = db.get(InflowUpload, active.id)
    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawn_by_id == admin.id
    assert _count(db, InflowUpload) == 2  # kept: earlier runs name them
    (event,) = _events(db, "inflow.withdrawn")
    assert event.object_id == str(active.id) and event.data["sha256"] == active.sha256
    source = _source(page)
    assert source.startswith("Modelleret")
    assert "Trukket tilbage" in page

    # Going back twice changes nothing and says so; the earlier file does not come back.
    page = _withdraw(admin_client, call).get_data(as_text=True)
    assert "Runden bruger allerede modelleret tilgang." in page
    assert len(_events(db, "inflow.withdrawn")) == 1
    assert services.active_inflow(db, call.id) is None


# --- who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.LEAD_ASSESSOR, Role.ASSESSOR, Role.PARTY_MEMBER])
def test_only_the_administrator(app, call, db, make_user, admin, role) -> None:
    services.upload_inflow(
        db,
        admin.id,
        call,
        services.NewInflowUpload("a.csv", "a" * 64, 10, 2024, (("HK", "101", 5.0),)),
    )
    db.commit()
    organisation = "AFTALEPARTIER" if role == Role.PARTY_MEMBER else "STAR"
    client = app.test_client()
    login(client, make_user(role, organisation).email)
    app.config["WTF_CSRF_ENABLED"] = False  # the refusal must come from the access check
    assert client.get(_url(call)).status_code == 403
    upload = client.post(
        _url(call),
        data={"file": (io.BytesIO(VALID), "t.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 403
    assert client.post(f"{_url(call)}/modelleret").status_code == 403
    db.expire_all()
    assert _count(db, InflowUpload) == 1
    assert services.active_inflow(db, call.id) is not None


def test_anonymous_is_sent_to_login(client, call) -> None:
    response = client.get(_url(call))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_unknown_call_is_404(admin_client) -> None:
    assert admin_client.get("/admin/runder/999999/tilgang").status_code == 404


# --- reading a file (no app) ---------------------------------------------------------------------


def _refusal(data: bytes) -> list[tuple[int, str, str]]:
    with pytest.raises(inflow.InflowFileRejected) as info:
        inflow.read_inflow_csv(data)
    return [(p.line, p.column, p.value) for p in info.value.problems]


def test_reading_what_spreadsheets_write() -> None:
    # Quoted header names in another case, old Mac line ends, a point as decimal mark.
    read = inflow.read_inflow_csv(b'"Fund_ID";"MUNICIPALITY_CODE";year;inflow\rHK;0101;2024;7.5\r')
    assert (read.year, read.separator, read.rows) == (2024, ";", (("HK", "101", 7.5),))
    # Extra columns are ignored; the lines keep their numbers past a blank one.
    assert _refusal(
        b"kommune,fund_id,municipality_code,year,inflow\nKbh,HK,101,2024,1\n\nx,HK,147,2024,-1\n"
    ) == [(4, "inflow", "-1")]


def test_reading_shows_odd_values_plainly() -> None:
    assert _refusal(f"{HEADER}\nHK;101;2024;5\x00\n".encode()) == [(2, "inflow", "5\ufffd")]
    long = "9" * 200_000  # beyond the csv reader's field limit
    assert _refusal(f"{HEADER}\nHK;147;2024;5\nHK;101;2024;{long}\n".encode()) == [(3, "", "")]
    (only,) = _refusal(b"\xff\xfef\x00u\x00")  # UTF-16 from "Unicode text"
    assert only[:2] == (1, "")
