"""The start page: what the signed-in role can do now."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal import dashboard, db

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    tasks = dashboard.tasks_for(db.session(), current_user.user)
    return render_template("main/index.html", tasks=tasks)
