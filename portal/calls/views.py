"""Administrator pages: criteria sets, calls, submissions, exports, reminders and a call's
reported inflow."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from geo.reference import funds as reference_funds
from portal import db
from portal.access import Permission, requires
from portal.applications import receipts
from portal.applications.deadlines import assessed_version, extension_for
from portal.applications.services import grant_extension
from portal.calls import exports, reminders, services
from portal.calls.forms import (
    CallEditForm,
    CallForm,
    CriterionForm,
    ExtensionForm,
    InflowUploadForm,
)
from portal.errors import ApplicationError, message, redirect_on_error
from portal.extent import Extent, extent_in_words
from portal.forms import ConfirmForm, set_choices, utc_to_local_naive
from portal.models import (
    Application,
    Call,
    CallStatus,
    CriteriaSet,
    CriteriaSetStatus,
    Criterion,
    Organisation,
    OrganisationKind,
    utcnow,
)

bp = Blueprint("calls", __name__, url_prefix="/admin")


def _get_or_404(model: type, ident: int):  # type: ignore[no-untyped-def]
    obj = db.session().get(model, ident)
    if obj is None:
        abort(404)
    return obj


# --- criteria sets -----------------------------------------------------------------------


@bp.route("/kriterier")
@requires(Permission.MANAGE_CALLS)
def criteria_sets() -> str:
    sets = (
        db.session()
        .scalars(select(CriteriaSet).order_by(CriteriaSet.family, CriteriaSet.version.desc()))
        .all()
    )
    return render_template("calls/criteria_sets.html", sets=sets, form=ConfirmForm())


@bp.route("/kriterier/ny", methods=["POST"])
@requires(Permission.MANAGE_CALLS)
def create_criteria_set() -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    cset = services.create_default_criteria_set(db.session(), current_user.id)
    db.session().commit()
    flash(
        _(
            "Et nyt kriteriesæt (version %(v)d) er oprettet som kladde med de seks kriterier.",
            v=cset.version,
        ),
        "success",
    )
    return redirect(url_for(".criteria_set", set_id=cset.id))


@bp.route("/kriterier/<int:set_id>")
@requires(Permission.MANAGE_CALLS)
def criteria_set(set_id: int) -> str:
    cset = _get_or_404(CriteriaSet, set_id)
    return render_template("calls/criteria_set.html", cset=cset, form=ConfirmForm())


@bp.route("/kriterier/<int:set_id>/offentliggoer", methods=["POST"])
@requires(Permission.MANAGE_CALLS)
def publish_criteria_set(set_id: int) -> ResponseReturnValue:
    cset = _get_or_404(CriteriaSet, set_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.publish_criteria_set(db.session(), current_user.id, cset)
    db.session().commit()
    flash(_("Kriteriesættet er offentliggjort og kan ikke længere ændres."), "success")
    return redirect(url_for(".criteria_set", set_id=cset.id))


@bp.route("/kriterier/<int:set_id>/ny-version", methods=["POST"])
@requires(Permission.MANAGE_CALLS)
def version_criteria_set(set_id: int) -> ResponseReturnValue:
    cset = _get_or_404(CriteriaSet, set_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    copy = services.new_version(db.session(), current_user.id, cset)
    db.session().commit()
    flash(_("Version %(v)d er oprettet som kladde.", v=copy.version), "success")
    return redirect(url_for(".criteria_set", set_id=copy.id))


@bp.route("/kriterium/<int:criterion_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CALLS)
def edit_criterion(criterion_id: int) -> ResponseReturnValue:
    criterion = _get_or_404(Criterion, criterion_id)
    cset: CriteriaSet = _get_or_404(CriteriaSet, criterion.criteria_set_id)
    if cset.status != CriteriaSetStatus.DRAFT:
        flash(_("Et offentliggjort kriteriesæt kan ikke ændres. Lav en ny version."), "error")
        return redirect(url_for(".criteria_set", set_id=cset.id))
    initial = {
        "title": criterion.title,
        "guidance": criterion.guidance,
        "evidence": criterion.evidence,
        "threshold": criterion.threshold,
        "weight": criterion.weight,
        **{f"anchor_{i}": criterion.anchors.get(str(i), "") for i in range(5)},
    }
    form = CriterionForm(data=None if request.method == "POST" else initial)
    if form.validate_on_submit():
        services.update_criterion(db.session(), current_user.id, criterion, form.to_criterion())
        db.session().commit()
        flash(_("Kriteriet er gemt."), "success")
        return redirect(url_for(".criteria_set", set_id=cset.id))
    return render_template("calls/criterion.html", form=form, criterion=criterion, cset=cset)


# --- calls ---------------------------------------------------------------------------------


@bp.route("/runder")
@requires(Permission.MANAGE_CALLS)
def calls_list() -> str:
    session = db.session()
    all_calls = session.scalars(select(Call).order_by(Call.id.desc())).all()
    counts = {c.id: services.counts_by_status(session, c.id) for c in all_calls}
    return render_template("calls/calls.html", calls=all_calls, counts=counts, now=utcnow())


def _call_form() -> CallForm:
    now = utcnow()
    initial = {
        "opens_at": utc_to_local_naive(now).replace(second=0, microsecond=0),
        "deadline_at": utc_to_local_naive(now + timedelta(days=60)).replace(
            hour=12, minute=0, second=0, microsecond=0
        ),
    }
    form = CallForm(data=None if request.method == "POST" else initial)
    published = db.session().scalars(
        select(CriteriaSet)
        .where(CriteriaSet.status == CriteriaSetStatus.PUBLISHED)
        .order_by(CriteriaSet.id.desc())
    )
    set_choices(
        form.criteria_set_id, [(s.id, f"{s.title} (version {s.version})") for s in published]
    )
    return form


@bp.route("/runder/ny", methods=["GET", "POST"])
@requires(Permission.MANAGE_CALLS)
def create_call() -> ResponseReturnValue:
    form = _call_form()
    if form.validate_on_submit():
        call = services.create_call(db.session(), current_user.id, form.to_call())
        db.session().commit()
        flash(_("Ansøgningsrunden er oprettet og åben for ansøgninger."), "success")
        return redirect(url_for(".call_detail", call_id=call.id))
    return render_template("calls/call_form.html", form=form)


@bp.route("/runder/<int:call_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CALLS)
def call_detail(call_id: int) -> ResponseReturnValue:
    call = _get_or_404(Call, call_id)
    session = db.session()
    form = ExtensionForm()
    funds = session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.FUND)
        .order_by(Organisation.name)
    ).all()
    set_choices(form.organisation_id, [(f.id, f.name) for f in funds])
    status = 200
    if form.validate_on_submit():
        try:
            return _grant_extension(call, form)
        except ApplicationError as refused:
            session.rollback()
            form.deadline_at.errors.append(message(refused))
    if form.errors:
        status = 400
    apps = session.scalars(select(Application).where(Application.call_id == call.id)).all()
    rows = {a.id: assessed_version(session, a) for a in apps}
    return render_template(
        "calls/call.html",
        call=call,
        form=form,
        confirm=ConfirmForm(),
        counts=services.counts_by_status(session, call.id),
        apps=sorted(apps, key=lambda a: a.organisation.name),
        assessed=rows,
        extensions={
            a.organisation_id: extension_for(session, call.id, a.organisation_id) for a in apps
        },
        inflow=services.active_inflow(session, call.id),
    ), status


@bp.route("/runder/<int:call_id>/rediger", methods=["GET", "POST"])
@requires(Permission.MANAGE_CALLS)
def edit_call(call_id: int) -> ResponseReturnValue:
    call = _get_or_404(Call, call_id)
    if call.status != CallStatus.OPEN:
        flash(_("Runden er lukket og kan ikke længere ændres."), "error")
        return redirect(url_for(".call_detail", call_id=call.id))
    initial = None
    if request.method != "POST":
        initial = {
            "title": call.title,
            "deadline_at": utc_to_local_naive(call.deadline_at),
            "dialogue_meeting_on": call.dialogue_meeting_on,
            "page_limit": call.page_limit,
            "page_limit_with_annexes": call.page_limit_with_annexes,
            "target_volume": call.target_volume,
            "min_share_percent": round(call.min_share * 100, 1),
            "years": call.years,
            "national_inflow": call.national_inflow,
        }
    form = CallEditForm(call, data=initial)
    if form.validate_on_submit():
        changed = services.update_call(db.session(), current_user.id, call, form.to_changes())
        db.session().commit()
        if changed:
            flash(_("Rundens indstillinger er ændret og logget."), "success")
        else:
            flash(_("Intet er ændret."), "info")
        return redirect(url_for(".call_detail", call_id=call.id))
    return render_template("calls/call_edit.html", call=call, form=form)


@bp.route("/runder/<int:call_id>/luk", methods=["POST"])
@requires(Permission.MANAGE_CALLS)
def close_call(call_id: int) -> ResponseReturnValue:
    call = _get_or_404(Call, call_id)
    if ConfirmForm().validate_on_submit():
        if call.status == CallStatus.OPEN:
            services.close_call(db.session(), current_user.id, call)
            db.session().commit()
            flash(
                _("Runden er lukket. A-kasserne kan ikke længere skrive eller indsende."),
                "success",
            )
        else:
            flash(_("Runden er allerede lukket."), "info")
    return redirect(url_for(".call_detail", call_id=call.id))


def _grant_extension(call: Call, form: ExtensionForm) -> ResponseReturnValue:
    grant_extension(db.session(), current_user.user, call, form.to_extension())
    db.session().commit()
    flash(_("Fristforlængelsen er givet og logget."), "success")
    return redirect(url_for(".call_detail", call_id=call.id))


@bp.route("/runder/<int:call_id>/eksport.<fmt>")
@requires(Permission.MANAGE_CALLS)
def export(call_id: int, fmt: str) -> ResponseReturnValue:
    call = _get_or_404(Call, call_id)
    rows = exports.submitted_rows(db.session(), call)
    if fmt == "csv":
        body, mimetype = exports.to_csv(rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = exports.to_xlsx(rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="ansoegninger-{call.id}.{fmt}"'
    return response


@bp.route("/ansoegning/<int:app_id>/version/<int:number>")
@requires(Permission.MANAGE_CALLS)
def read_version(app_id: int, number: int) -> str:
    """Any submitted version, as its a-kasse sees it, for the administrator."""
    application = _get_or_404(Application, app_id)
    found = next((v for v in application.versions if v.number == number), None)
    if found is None:
        abort(404)
    extent = Extent.parse(found.content["requested_extent"])
    return render_template(
        "applications/version.html",
        app=application,
        version=found,
        criteria=application.call.criteria_set.criteria,
        extent_words=extent_in_words(extent.entries()),
        effective_words=receipts.effective_extent_words(
            application.call.exclusion_list, extent.entries()
        ),
        admin_view=True,
    )


@bp.route("/ansoegning/<int:app_id>/dossier.zip")
@requires(Permission.MANAGE_CALLS)
def dossier(app_id: int) -> ResponseReturnValue:
    app = _get_or_404(Application, app_id)
    if not app.versions:
        abort(404)
    response = Response(
        exports.dossier(db.session(), app, current_app.config), mimetype="application/zip"
    )
    name = f"dossier-{app.organisation.short_id.lower()}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/runder/<int:call_id>/paamindelser", methods=["POST"])
@requires(Permission.MANAGE_CALLS)
def send_reminders(call_id: int) -> ResponseReturnValue:
    call = _get_or_404(Call, call_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    report = reminders.send_reminders(db.session(), current_user.id, call, current_app.config)
    db.session().commit()
    flash(
        ngettext(
            "Påmindelse sendt til %(num)d modtager med en kladde.",
            "Påmindelse sendt til %(num)d modtagere med en kladde.",
            report.sent,
        ),
        "success",
    )
    if report.no_address:
        flash(
            _(
                "Ikke sendt til %(names)s: a-kassen har ingen aktiv bruger og ingen "
                "kontaktadresse i portalen.",
                names=", ".join(report.no_address),
            ),
            "error",
        )
    if report.failed:
        flash(
            _(
                "Mailen til %(names)s kunne ikke sendes; prøv igen senere.",
                names=", ".join(report.failed),
            ),
            "error",
        )
    return redirect(url_for(".call_detail", call_id=call.id))


# --- reported inflow (Trin 3) ---------------------------------------------------------------


@bp.route("/runder/<int:call_id>/tilgang", methods=["GET", "POST"])
@requires(Permission.MANAGE_CALLS)
def inflow(call_id: int) -> ResponseReturnValue:
    call = _get_or_404(Call, call_id)
    session = db.session()
    form = InflowUploadForm(max_bytes=current_app.config["INFLOW_MAX_BYTES"])
    if form.validate_on_submit():
        upload = services.upload_inflow(session, current_user.id, call, form.to_upload())
        session.commit()
        flash(
            _(
                "Filen %(name)s er gemt: %(n)d rækker for %(year)d. Nye beregninger bruger "
                "den indberettede tilgang.",
                name=upload.filename,
                n=upload.row_count,
                year=upload.year,
            ),
            "success",
        )
        return redirect(url_for(".inflow", call_id=call.id))
    if form.refused is not None:
        services.record_refused_inflow(session, current_user.id, call, form.refused)
        session.commit()
    active = services.active_inflow(session, call.id)
    return render_template(
        "calls/inflow.html",
        call=call,
        form=form,
        confirm=ConfirmForm(),
        active=active,
        active_funds=sorted({row[0] for row in active.rows}) if active else [],
        active_total=sum(row[2] for row in active.rows) if active else 0,
        uploads=services.inflow_uploads(session, call.id),
        fund_ids=sorted(str(i) for i in reference_funds().index),
        max_kb=current_app.config["INFLOW_MAX_BYTES"] // 1024,
    )


@bp.route("/runder/<int:call_id>/tilgang/modelleret", methods=["POST"])
@requires(Permission.MANAGE_CALLS)
def withdraw_inflow(call_id: int) -> ResponseReturnValue:
    call = _get_or_404(Call, call_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    redirect_on_error(url_for(".inflow", call_id=call.id))
    services.withdraw_inflow(db.session(), current_user.id, call)
    db.session().commit()
    flash(
        _("Runden bruger igen modelleret tilgang. Nye beregninger bygger på modellen."),
        "success",
    )
    return redirect(url_for(".inflow", call_id=call.id))
