"""Small defects found trying the portal as each role, each with the test that catches it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import force_locale

from portal.mail import send_mail
from portal.models import Role
from portal.web import format_when
from tests.conftest import csrf_token, login
from tests.portal.helpers import open_call


def test_outbox_lists_each_recipient_address_whole(client, app, make_user) -> None:
    send_mail(app.config, ["a@hk.dk", "b@hk.dk"], "Kvittering", "Tekst")
    admin = make_user(Role.ADMIN, "STAR")
    login(client, admin.email)
    page = client.get("/admin/udbakke").get_data(as_text=True)
    assert "<td>a@hk.dk, b@hk.dk</td>" in page
    assert "a, @, h" not in page


def test_points_in_time_speak_the_page_language(app) -> None:
    moment = datetime(2026, 11, 30, 13, 5, 9, tzinfo=UTC)  # 14.05 in Copenhagen
    with app.test_request_context("/"):
        with force_locale("da"):
            assert format_when(moment) == "30. november 2026 kl. 14.05"
            assert format_when(moment, seconds=True) == "30. november 2026 kl. 14.05.09"
            assert format_when(moment, weekday=True) == "mandag den 30. november 2026 kl. 14.05"
        with force_locale("en"):
            assert format_when(moment) == "30 November 2026 at 14:05"
            assert format_when(moment, weekday=True) == "Monday 30 November 2026 at 14:05"
            assert "kl." not in format_when(moment, seconds=True)


def test_english_pages_carry_no_danish_time_words(client, make_user, db) -> None:
    open_call(db)
    admin = make_user(Role.ADMIN, "STAR")
    login(client, admin.email)
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/sprog", data={"csrf_token": token, "lang": "en", "next": "/"})
    page = client.get("/admin/runder").get_data(as_text=True)
    assert " at " in page and " kl. " not in page


def test_csv_exports_write_decimal_commas_beside_semicolons() -> None:
    from portal.calls.exports import Row, to_csv

    text = to_csv([Row(("HK", 3.5, 120, "=1+1"))], ["a-kasse", "årsværk", "forløb", "note"])
    lines = text.decode("utf-8-sig").splitlines()
    assert lines[1] == "HK;3,5;120;'=1+1"


def test_every_fund_is_named_in_danish() -> None:
    from geo.reference import funds

    table = funds()
    names = dict(zip(table.index, table["name"], strict=True))
    assert names["Dana"] == "Dana (a-kasse for selvstændige)"
    assert not [n for n in names.values() if "self-employed" in n]


def test_maps_on_english_pages_speak_english(app) -> None:
    from portal.extent import Extent, extent_map

    extent = Extent.parse(["R1081"])
    with app.test_request_context("/"):
        with force_locale("en"):
            english = extent_map(extent, "frikommuner-2019", title="Extent", legend="Chosen")
        with force_locale("da"):
            danish = extent_map(extent, "frikommuner-2019", title="Udstrækning", legend="Valgt")
    for word in ("frikommune – udelukket", "regionsgrænse", "lige stor sekskant"):
        assert word in danish and word not in english, word
    assert "free municipality" in english and "regional border" in english


def test_the_default_queue_makes_its_folder_in_a_fresh_checkout(tmp_path) -> None:
    from portal.queue import make_huey

    instance = tmp_path / "fresh" / "instance"
    huey = make_huey(None, str(instance))

    @huey.task()
    def echo(value: int) -> int:
        return value

    echo(7)
    assert (instance / "queue.sqlite").is_file() and len(huey) == 1


def test_the_agency_is_named_in_english_in_the_header_of_english_pages(client, make_user) -> None:
    lead = make_user(Role.LEAD_ASSESSOR, "STAR")
    login(client, lead.email)
    token = csrf_token(client.get("/").get_data(as_text=True))
    english = client.post(
        "/sprog", data={"csrf_token": token, "lang": "en", "next": "/"}, follow_redirects=True
    ).get_data(as_text=True)
    header = english.split('class="user-info"', 1)[1].split("</span>", 1)[0]
    assert "Danish Agency for Labour Market and Recruitment" in header
    assert "Styrelsen" not in english
