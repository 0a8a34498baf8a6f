"""The shell every page shares: the footer's contact and accessibility statement, and success
messages that are not mistaken for the application's receipt."""

from __future__ import annotations

from flask import flash, render_template_string

from tests.conftest import csrf_token


def test_accessibility_statement_is_public_and_linked_from_every_footer(client, app) -> None:
    statement = client.get("/tilgaengelighed").get_data(as_text=True)
    assert "Tilgængelighedserklæring" in statement and "WCAG 2.1" in statement
    assert "Digitaliseringsstyrelsen" in statement
    assert f"mailto:{app.config['SUPPORT_EMAIL']}" in statement
    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/tilgaengelighed"' in login_page
    assert "Styrelsen for Arbejdsmarked og Rekruttering" in login_page


def test_success_messages_are_headed_done_not_receipt(app) -> None:
    with app.test_request_context("/"):
        flash("Kriteriesættet er gemt.", "success")
        flash("Noget gik galt.", "error")
        page = render_template_string('{% extends "base.html" %}')
    assert "<strong>Udført:</strong> Kriteriesættet er gemt." in page
    assert "<strong>Fejl:</strong> Noget gik galt." in page
    assert "Kvittering:" not in page


def test_english_header_names_the_agency_in_english(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = csrf_token(page)
    english = client.post(
        "/sprog", data={"csrf_token": token, "lang": "en", "next": "/login"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Danish Agency for Labour Market and Recruitment" in english
    assert "Styrelsen for Arbejdsmarked og Rekruttering" not in english
