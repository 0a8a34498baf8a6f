"""The long application form shows its sections, each with what is still missing in it."""

from __future__ import annotations

import re

from portal.models import Role
from tests.conftest import login
from tests.portal.helpers import complete_application, open_call


def _steps(page: str) -> dict[str, str]:
    nav = page.split('class="form-steps"', 1)[1].split("</nav>", 1)[0]
    found = re.findall(
        r'<a href="#([^"]+)">\d\. [^<]+</a>\s*<span class="step-state[^"]*">([^<]+)</span>', nav
    )
    return dict(found)


def test_a_new_form_lists_every_section_with_what_is_missing(client, db, make_user) -> None:
    call = open_call(db)
    login(client, make_user(Role.DRAFTER, "HK").email)
    steps = _steps(client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True))
    assert list(steps) == [
        "afsnit-akassen",
        "afsnit-kriterier",
        "udstraekning",
        "afsnit-kapacitet",
        "afsnit-kontakt",
        "bilag",
    ]
    assert set(steps.values()) == {"ikke påbegyndt"}


def test_each_section_counts_what_is_missing_in_it(client, db, make_user) -> None:
    call = open_call(db)
    drafter = make_user(Role.DRAFTER, "HK")
    application = complete_application(db, call, drafter)
    application.requested_extent = []
    application.capacity_courses = None
    db.commit()
    login(client, drafter.email)
    steps = _steps(client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True))
    assert steps["udstraekning"] == "1 mangler" and steps["afsnit-kapacitet"] == "1 mangler"
    assert steps["afsnit-kriterier"] == "udfyldt" and steps["afsnit-akassen"] == "udfyldt"


def test_a_complete_draft_shows_every_section_filled(client, db, make_user) -> None:
    call = open_call(db)
    drafter = make_user(Role.DRAFTER, "HK")
    complete_application(db, call, drafter)
    login(client, drafter.email)
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    steps = _steps(page)
    assert set(steps.values()) == {"udfyldt"}, steps
    for anchor in steps:
        assert f'id="{anchor}"' in page, anchor


def test_a_fund_with_an_extension_sees_its_own_deadline_everywhere(client, db, make_user):
    from datetime import timedelta

    from portal.applications import services as applications

    call = open_call(db, deadline_in=timedelta(hours=1))
    admin = make_user(Role.ADMIN, "STAR")
    drafter = make_user(Role.DRAFTER, "HK")
    extended = call.deadline_at + timedelta(days=30)
    applications.grant_extension(
        db,
        admin,
        call,
        applications.NewExtension(drafter.organisation_id, extended, "IT-nedbrud"),
    )
    db.commit()
    login(client, drafter.email)
    with client.application.test_request_context("/"):
        from portal.web import format_when

        extended_words = format_when(extended)
    listing = client.get("/ansoegning/").get_data(as_text=True)
    form = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    assert f"{extended_words} (forlænget for jer)" in listing
    assert f"{extended_words} (forlænget for jer)" in form
