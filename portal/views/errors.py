"""Danish error pages. Domain errors map to responses here, in one place."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/error.html", code=400, kind="csrf"), 400


def _http_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    kind = str(code) if code in (400, 403, 404, 405, 413, 429) else "other"
    return render_template("errors/error.html", code=code, kind=kind), code


def _unexpected(error: Exception) -> tuple[str, int]:
    log.exception("unhandled error: %s", type(error).__name__)
    return render_template("errors/error.html", code=500, kind="500"), 500
