"""Log in through the real login page in Chromium, with the keyboard."""

from __future__ import annotations

from portal.models import Role
from tests.conftest import TEST_PASSWORD


def test_browser_login_with_keyboard_reaches_start_page(live_server, page, make_user) -> None:
    user = make_user(Role.SIGNATORY, "HK")
    page.goto(f"{live_server}/login")
    assert page.locator("h1").inner_text() == "Log ind"
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    assert "Velkommen, Test signatory" in page.locator("h1").inner_text()
    assert "HK Danmark A-kasse" in page.locator("header").inner_text()


def test_browser_wrong_password_shows_error_and_keeps_email(live_server, page, make_user) -> None:
    user = make_user(Role.ADMIN, "STAR")
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Adgangskode").fill("forkert")
    page.get_by_role("button", name="Log ind").click()
    assert "E-mail eller adgangskode er forkert." in page.locator("#login-error").inner_text()
    assert page.get_by_label("E-mail").input_value() == user.email


def test_browser_skip_link_is_first_tab_stop(live_server, page) -> None:
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main-content"
