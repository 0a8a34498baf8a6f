"""The UI shell: start pages per role, language switch, error pages, security headers."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from portal.models import Role
from tests.conftest import csrf_token, login

ROLE_TEXTS = {
    (Role.ADMIN, "STAR"): "Du administrerer ansøgningsrunder",
    (Role.LEAD_ASSESSOR, "STAR"): "Du leder vurderingen af ansøgningerne",
    (Role.ASSESSOR, "STAR"): "Ansøgninger til vurdering",
    (Role.SIGNATORY, "3F"): "Du kan skrive, indsende og trække",
    (Role.DRAFTER, "HK"): "kun den tegningsberettigede kan indsende",
    (Role.PARTY_MEMBER, "AFTALEPARTIER"): "beregnede forslag til udvælgelse",
    (Role.LABOUR_PARTY, "ARBMARKPARTER"): "Dialogmøde",
}


@pytest.mark.parametrize(("role", "org"), list(ROLE_TEXTS))
def test_start_page_per_role(client: FlaskClient, make_user, role: Role, org: str) -> None:
    user = make_user(role, org)
    login(client, user.email)
    page = client.get("/").get_data(as_text=True)
    assert ROLE_TEXTS[(role, org)] in page
    assert 'href="#main-content"' in page  # skip link


def test_language_switch_to_english_and_back(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    client.post("/sprog", data={"lang": "en", "next": "/login", "csrf_token": csrf_token(page)})
    english = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Sign in with your e-mail address and password." in english
    client.post("/sprog", data={"lang": "da", "next": "/login", "csrf_token": csrf_token(english)})
    assert "Log ind med din e-mailadresse" in client.get("/login").get_data(as_text=True)


def test_unknown_page_is_danish_404(client: FlaskClient) -> None:
    response = client.get("/findes-ikke")
    assert response.status_code == 404
    assert "Siden findes ikke" in response.get_data(as_text=True)


def test_security_headers_on_pages(client: FlaskClient) -> None:
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_anonymous_start_page_redirects_to_login(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["Location"] == "/login"
