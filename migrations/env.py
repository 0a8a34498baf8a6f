"""Alembic environment: the URL and connection come from portal.migrate."""

from __future__ import annotations

from alembic import context

from portal.models import Base
from portal.queue import QUEUE_TABLES

config = context.config
target_metadata = Base.metadata


def _ours(name: str | None, type_: str, parent_names: object) -> bool:
    """A PostgreSQL-backed queue keeps Huey's tables in the same database; they are not the
    portal's, so autogenerate must neither create nor drop them."""
    return not (type_ == "table" and name in QUEUE_TABLES)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        transaction_per_migration=True,
        include_name=_ours,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
