"""`portal.db.remembered`: a read kept on the request's session until that session writes."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from portal import db as portal_db
from portal.db import remembered
from portal.models import LoginAttempt


def test_a_kept_read_is_forgotten_when_the_session_writes_commits_or_rolls_back(
    app: Flask, db: Session
) -> None:
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    with app.test_request_context("/"):
        session = portal_db.session()
        assert remembered(session, "k", read) == 1
        assert remembered(session, "k", read) == 1  # kept
        session.add(LoginAttempt(email="a@b.dk", success=False))
        assert remembered(session, "k", read) == 2  # a pending write: read again
        session.flush()
        assert remembered(session, "k", read) == 3  # the flush forgot it
        assert remembered(session, "k", read) == 3
        session.execute(update(LoginAttempt).values(success=True))
        assert remembered(session, "k", read) == 4  # a bulk update forgot it
        session.rollback()
        assert remembered(session, "k", read) == 5
        session.commit()
        assert remembered(session, "k", read) == 6
        # Another session (the test's own) is never served from the request's memo.
        assert remembered(db, "k", read) == 7
        assert remembered(db, "k", read) == 8
    # Outside a request nothing is kept.
    assert remembered(db, "k", read) == 9
