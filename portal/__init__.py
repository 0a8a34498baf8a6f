"""The Flask portal of Forsøgsportalen: an application factory and nothing else at import."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from portal.config import DEV_SECRET_KEY, Defaults


class ConfigurationError(RuntimeError):
    pass


def _template_folder() -> str:
    """Top-level `templates/` in a source checkout; packaged copy in an installed wheel."""
    checkout = Path(__file__).resolve().parent.parent / "templates"
    packaged = Path(__file__).resolve().parent / "templates"
    return str(checkout if checkout.is_dir() else packaged)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from portal.templating import PortalFlask

    app = PortalFlask(__name__, instance_relative_config=True, template_folder=_template_folder())
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)
    _finish_config(app)

    from portal import db, errors, extensions, pagecache, queue, web
    from portal.accounts.views import bp as accounts_bp
    from portal.accounts.views import users_bp
    from portal.applications.views import bp as applications_bp
    from portal.assessment.views import bp as assessment_bp
    from portal.calls.views import bp as calls_bp
    from portal.cli import register_cli
    from portal.dialogue.views import bp as dialogue_bp
    from portal.home.views import bp as home_bp
    from portal.letters.views import bp as letters_bp
    from portal.ops.views import bp as ops_bp
    from portal.proposals.views import bp as proposals_bp

    db.init_app(app)
    extensions.init_app(app)
    queue.init_app(app)
    for blueprint in (
        accounts_bp,
        home_bp,
        applications_bp,
        calls_bp,
        assessment_bp,
        dialogue_bp,
        proposals_bp,
        letters_bp,
        ops_bp,
        users_bp,
    ):
        app.register_blueprint(blueprint)
    errors.init_app(app)
    web.init_app(app)
    pagecache.init_app(app)
    register_cli(app)
    return app


def _finish_config(app: Flask) -> None:
    instance = Path(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'demo.sqlite'}"
    app.config.setdefault("OUTBOX_DIR", None)
    app.config["OUTBOX_DIR"] = app.config["OUTBOX_DIR"] or str(instance / "outbox")
    app.config["UPLOAD_DIR"] = app.config["UPLOAD_DIR"] or str(instance / "uploads")
    production = not (app.config["DEMO_MODE"] or app.config["TESTING"] or app.debug)
    if production and app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise ConfigurationError(
            "Refusing to start: set FLASK_SECRET_KEY (the development key is not for production)."
        )
    if production and os.environ.get("FLASK_SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = True
    if app.config["SESSION_COOKIE_SECURE"] and not app.config.get("SESSION_COOKIE_DOMAIN"):
        # Secure, host-only and for the whole site: the browser then refuses the cookie from a
        # sibling domain or over plain HTTP (the __Host- prefix).
        app.config["SESSION_COOKIE_NAME"] = "__Host-" + app.config[
            "SESSION_COOKIE_NAME"
        ].removeprefix("__Host-")
        app.config["SESSION_COOKIE_PATH"] = "/"
