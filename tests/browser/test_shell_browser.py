"""The portal's shell on a phone: the main menu behind its button, tables that scroll in their
own box instead of widening the page, and the accessibility statement from the footer."""

from __future__ import annotations

from portal.models import Role
from tests.browser.test_accessibility import _login, _violations
from tests.browser.test_accessibility import axe_page as axe_page  # the fixture, shared
from tests.portal.helpers import open_call


def test_main_menu_behind_a_button_at_375_px(live_server, browser, make_user) -> None:
    admin = make_user(Role.ADMIN, "STAR")
    context = browser.new_context(locale="da-DK", viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        _login(page, live_server, admin.email)
        menu = page.locator("#main-menu")
        toggle = page.get_by_role("button", name="Menu")
        assert toggle.is_visible() and not menu.is_visible()
        assert toggle.get_attribute("aria-expanded") == "false"

        toggle.click()
        assert menu.is_visible() and toggle.get_attribute("aria-expanded") == "true"
        # The items stack: every one of them is reachable within the screen's width.
        rights = menu.locator("a").evaluate_all(
            "ls => ls.map(l => l.getBoundingClientRect().right)"
        )
        assert len(rights) >= 8 and max(rights) <= 375, rights
        first = menu.locator("a").first
        assert page.evaluate("document.activeElement.textContent") == first.text_content()
        page.keyboard.press("Escape")
        assert not menu.is_visible()
        assert page.evaluate("document.activeElement.textContent") == "Menu"

        # The same page at desktop width shows the menu and no button.
        page.set_viewport_size({"width": 1280, "height": 800})
        assert menu.is_visible() and not toggle.is_visible()
    finally:
        context.close()


def test_tables_scroll_in_their_own_box_at_320_px(live_server, browser, db, make_user) -> None:
    admin = make_user(Role.ADMIN, "STAR")
    open_call(db)
    context = browser.new_context(locale="da-DK", viewport={"width": 320, "height": 700})
    page = context.new_page()
    try:
        _login(page, live_server, admin.email)
        for path in ("/admin/runder", "/admin/revisionslog"):
            page.goto(f"{live_server}{path}")
            assert page.locator("main table").count() >= 1, path
            boxes = page.locator(".table-scroll[role=region][tabindex='0']")
            assert boxes.count() == page.locator("main table").count(), path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, f"{path} is {width} px wide at 320 px"
    finally:
        context.close()


def test_accessibility_statement_from_the_footer(live_server, axe_page) -> None:
    axe_page.goto(f"{live_server}/login")
    axe_page.get_by_role("link", name="Tilgængelighedserklæring").click()
    axe_page.wait_for_url(f"{live_server}/tilgaengelighed")
    assert "WCAG 2.1" in axe_page.locator("main").inner_text()
    assert _violations(axe_page) == []


def test_the_skip_link_shows_whole_when_focused(live_server, browser) -> None:
    for width in (375, 1280):
        context = browser.new_context(locale="da-DK", viewport={"width": width, "height": 600})
        page = context.new_page()
        try:
            page.goto(f"{live_server}/login")
            page.keyboard.press("Tab")
            # The link slides in (a CSS transition): wait until it has come to rest.
            page.evaluate(
                "() => Promise.all(document.activeElement.getAnimations().map(a => a.finished))"
            )
            text, left, top, right = page.evaluate(
                "(() => { const e = document.activeElement, r = e.getBoundingClientRect();"
                " return [e.textContent, r.left, r.top, r.right]; })()"
            )
            assert text == "Gå til sideindhold"
            assert left >= 0 and top >= 0 and right <= width, (width, left, top, right)
        finally:
            context.close()
