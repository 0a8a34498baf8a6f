"""The English catalog is complete and keeps every placeholder of the Danish source."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).parents[2] / "portal/translations/en/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_english_catalog_translates_every_message() -> None:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    pairs = []  # (source, translation), plural forms one by one
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs += [(sources[0], target) for target in targets]
    assert [source for source, target in pairs if not target] == []
    mismatched = [
        source
        for source, target in pairs
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target))
    ]
    assert mismatched == []


def test_application_page_in_english(client, make_user, db) -> None:
    from portal.models import Role
    from tests.conftest import csrf_token, login
    from tests.portal.helpers import open_call

    call = open_call(db)
    login(client, make_user(Role.DRAFTER, "HK").email)
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    client.post("/sprog", data={"lang": "en", "next": "/", "csrf_token": csrf_token(page)})
    english = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    assert "Save draft" in english and "Geographic extent" in english
    assert "Gem kladde" not in english
