"""One Alembic history: the migrated schema is the models' schema, on either database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal.db import make_engine
from portal.models import Base
from portal.queue import QUEUE_TABLES


def test_migrations_produce_the_models_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "include_name": lambda name, kind, _parents: (
                        not (kind == "table" and name in QUEUE_TABLES)
                    )
                },
            )
            diffs = compare_metadata(context, Base.metadata)
            checks = {
                c["name"]
                for table in ("criterion_scores", "inflow_uploads")
                for c in inspect(connection).get_check_constraints(table)
            }
    finally:
        engine.dispose()
    assert diffs == []
    # Autogenerate does not compare CHECK constraints; the hand-written ones must be there.
    assert {
        "ck_criterion_scores_score_or_cannot_assess",
        "ck_inflow_uploads_hash_is_sha256",
        "ck_inflow_uploads_has_rows",
        "ck_inflow_uploads_withdrawal_complete",
    } <= checks
