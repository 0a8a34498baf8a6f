"""Run Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from portal.db import UNCOUNTED


def migrations_dir() -> Path:
    checkout = Path(__file__).resolve().parent.parent / "migrations"
    packaged = Path(__file__).resolve().parent / "migrations"
    return checkout if checkout.is_dir() else packaged


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        # Nothing to count: the counter may not exist yet, and the portal is stopped meanwhile.
        cfg.attributes["connection"] = connection.execution_options(**{UNCOUNTED: True})
        command.upgrade(cfg, revision)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the models (developer command)."""
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)
