"""Letters fixtures: the arranged call (see `arrange`), and sign-in helpers."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.portal.letters.arrange import World, arrange


@pytest.fixture()
def world(app: Flask, db: Session) -> World:
    return arrange(app, db)


@pytest.fixture()
def weeks(app: Flask) -> int:
    return int(app.config["LETTER_COMPLAINT_WEEKS"])


def as_user(app: Flask, user: Any) -> Any:
    """A test client of its own, signed in as `user`."""
    from tests.portal.proposals.arrange import signed_in

    return signed_in(app, user)
