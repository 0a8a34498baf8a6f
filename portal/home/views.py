"""The start page: what the signed-in role can do now."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal import db
from portal.access import Permission, current_user_model, public, requires
from portal.home.pages import tasks_for

bp = Blueprint("home", __name__)


@bp.route("/")
@requires(Permission.SIGNED_IN)
def index() -> str:
    return render_template("home/index.html", tasks=tasks_for(db.session(), current_user_model()))


@bp.route("/tilgaengelighed")
@public
def accessibility() -> str:
    """The accessibility statement Danish public sites must publish (linked from the footer)."""
    return render_template("home/accessibility.html")
