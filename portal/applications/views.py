"""The a-kasse's application: draft, attachments, submission, withdrawal, receipts."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db
from portal.access import Permission, can, can_edit_application, requires
from portal.applications import jobs, notices, receipts, rules, services, uploads
from portal.applications.forms import (
    AttachmentForm,
    SubmitForm,
    WithdrawForm,
    draft_form_class,
)
from portal.assessment import notices as assessment_notices
from portal.assessment import services as assessment
from portal.assessment.forms import AnswerForm
from portal.errors import ApplicationError, message, redirect_on_error
from portal.extent import Extent, extent_in_words, extent_map
from portal.forms import ConfirmForm, options
from portal.i18n import N_
from portal.models import (
    Application,
    ApplicationVersion,
    Attachment,
    Call,
    CallStatus,
    ExclusionList,
    Municipality,
    Region,
)
from portal.web import call_or_404

bp = Blueprint("applications", __name__, url_prefix="/ansoegning")


def _own_application_or_404(app_id: int) -> Application:
    """Object-level permission: another organisation's application does not exist for you."""
    app = db.session().get(Application, app_id)
    if app is None or not can_edit_application(current_user.user, app):
        abort(404)
    return app


@bp.route("/")
@requires(Permission.EDIT_APPLICATION)
def index() -> str:
    session = db.session()
    calls = session.scalars(
        select(Call).where(Call.status != CallStatus.DRAFT).order_by(Call.deadline_at.desc())
    ).all()
    own = {
        a.call_id: a
        for a in session.scalars(
            select(Application).where(Application.organisation_id == current_user.organisation_id)
        )
    }
    deadlines = {
        c.id: services.deadline_for(session, c, current_user.organisation_id) for c in calls
    }
    return render_template("applications/index.html", calls=calls, own=own, deadlines=deadlines)


@dataclass(frozen=True)
class ExtentChoices:
    regions: list[Place]
    by_region: dict[str, list[Place]]
    excluded: dict[str, str]  # code -> reason
    names: dict[str, str]


def _extent_choices(call: Call) -> ExtentChoices:
    """Regions, municipalities and the call's exclusions: reference data, read once per
    process and exclusion list (it changes only when the reference data is reloaded)."""
    cache = current_app.extensions.setdefault("extent_choices", {})
    if call.exclusion_list not in cache:
        cache[call.exclusion_list] = _read_extent_choices(call)
    return cache[call.exclusion_list]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Place:
    """A region or municipality as the form shows it (plain values, safe to keep)."""

    code: str
    name: str
    region_code: str = ""


def _read_extent_choices(call: Call) -> ExtentChoices:
    session = db.session()
    regions = [Place(r.code, r.name) for r in session.scalars(select(Region).order_by(Region.code))]
    munis = [
        Place(m.code, m.name, m.region_code)
        for m in session.scalars(select(Municipality).order_by(Municipality.name))
    ]
    exclusion = session.scalar(
        select(ExclusionList).where(ExclusionList.name == call.exclusion_list)
    )
    excluded = {e.municipality_code: e.reason for e in exclusion.entries} if exclusion else {}
    by_region: dict[str, list[Place]] = {r.code: [] for r in regions}
    for muni in munis:
        by_region[muni.region_code].append(muni)
    return ExtentChoices(regions, by_region, excluded, {m.code: m.name for m in munis})


def _draft_form(
    call: Call, choices: ExtentChoices, app: Application | None, *, posted: bool | None = None
) -> Any:
    """The draft form: as posted, or (`posted=False`) as saved, with the fields' digests."""
    criteria = call.criteria_set.criteria
    budget = rules.answer_budget(call.page_limit, len(criteria))
    form_class = draft_form_class(
        criteria,
        budget,
        frozenset(choices.excluded),
        choices.names,
        exclusion_list=call.exclusion_list,
        region_names={r.code: r.name for r in choices.regions},
    )
    if posted is None:
        posted = request.method == "POST"
    form = form_class() if posted else form_class(formdata=None, data=_initial(app, criteria))
    form.regions.choices = options((r.code, r.name) for r in choices.regions)
    form.municipalities.choices = options(sorted(choices.names.items()))
    if not posted:
        form.base.data = _digests(form.to_draft())
    return form


def _digests(data: services.DraftData) -> str:
    values = services.draft_values(data)
    return json.dumps(
        {name: rules.value_digest(value) for name, value in values.items()},
        sort_keys=True,
        separators=(",", ":"),
    )


def _loaded_digests(raw: str | None) -> dict[str, str]:
    try:
        loaded = json.loads(raw or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _initial(app: Application | None, criteria: list[Any]) -> dict[str, Any]:
    org = current_user.organisation
    data: dict[str, Any] = {
        "cvr": org.cvr,
        "members": org.members,
        "field": org.field or "",
        "sector": org.sector or "",
    }
    if app is None:
        return data
    extent = Extent.parse(app.requested_extent)
    answers = {a.criterion_id: a.text for a in app.answers}
    data.update(
        {
            "extent_kind": extent.kind,
            "regions": list(extent.regions),
            "municipalities": list(extent.municipalities),
            "capacity_courses": app.capacity_courses,
            "staff_fte": app.staff_fte,
            "interviews_per_fte_week": app.interviews_per_fte_week,
            "contact_name": app.contact_name,
            "contact_email": app.contact_email,
            "contact_phone": app.contact_phone,
            "revision": app.revision,
            **{f"answer_{c.id}": answers.get(c.id, "") for c in criteria},
        }
    )
    return data


@bp.route("/runde/<int:call_id>", methods=["GET", "POST"])
@requires(Permission.EDIT_APPLICATION)
def edit(call_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    app = services.find(db.session(), call.id, current_user.organisation_id)
    choices = _extent_choices(call)
    form = _draft_form(call, choices, app)
    redirect_on_error(url_for(".edit", call_id=call.id))
    conflict = None
    if request.method == "POST" and form.validate():
        outcome = _save_or_merge(call, app, form, choices)
        if outcome.conflict is None:
            flash(_saved_message(outcome), "success")
            return redirect(url_for(".edit", call_id=call.id))
        app, conflict = outcome.app, outcome.conflict
    return _edit_page(call, app, form=form, conflict=conflict)


def _edit_page(
    call: Call,
    app: Application | None,
    *,
    form: Any = None,
    attachment_form: AttachmentForm | None = None,
    conflict: Conflict | None = None,
) -> str:
    choices = _extent_choices(call)
    form = form if form is not None else _draft_form(call, choices, app, posted=False)
    editable = services.is_open_for(db.session(), call, current_user.organisation_id)
    context = _edit_context(call, app, form, choices, editable)
    if attachment_form is not None:
        context["attachment_form"] = attachment_form
    return render_template("applications/edit.html", conflict=conflict, **context)


# --- two people saving the same draft ------------------------------------------------------


@dataclass(frozen=True)
class OtherVersion:
    """One field both people changed: the other person's value as the page shows it."""

    name: str
    label: str
    shown: str
    free_text: bool  # offer "merge" (edit the text box)


@dataclass(frozen=True)
class Conflict:
    by: str
    at: datetime | None
    fields: dict[str, OtherVersion]
    taken: list[str]  # labels of the fields only the other person changed (their value kept)


@dataclass(frozen=True)
class SaveOutcome:
    app: Application | None
    conflict: Conflict | None = None
    taken: tuple[str, ...] = ()


# A conflict is decided per unit; the extent is one unit of three form fields.
EXTENT_FIELDS = ("extent_kind", "regions", "municipalities")


def _fields_of(unit: str) -> tuple[str, ...]:
    return EXTENT_FIELDS if unit == "extent" else (unit,)


def _save_or_merge(
    call: Call, app: Application | None, form: Any, choices: ExtentChoices
) -> SaveOutcome:
    """Save the draft. On a form loaded before someone else's save, keep their change where
    the user left the field alone, and return the fields both changed for the user to decide
    (nothing is saved then, and the form moves to the current revision)."""
    session = db.session()
    resolved = _apply_choices(call, app, form, choices)
    try:
        return SaveOutcome(_save_draft(call, app, replace(form.to_draft(), resolved=resolved)))
    except ApplicationError as error:
        if error.code != "stale_draft":
            raise
    session.rollback()
    current = services.find(session, call.id, current_user.organisation_id)
    theirs = _draft_form(call, choices, current, posted=False)
    merge = rules.merge_draft(
        _loaded_digests(form.base.data),
        services.draft_values(form.to_draft()),
        services.draft_values(theirs.to_draft()),
    )
    for unit in merge.taken:
        _copy_unit(form, theirs, unit)
    _copy_unit(form, theirs, "revision")
    _copy_unit(form, theirs, "base")
    if not merge.conflicts:
        try:
            data = replace(form.to_draft(), resolved=dict.fromkeys(merge.taken, "taken"))
            return SaveOutcome(_save_draft(call, current, data), taken=merge.taken)
        except ApplicationError as error:
            if error.code != "stale_draft":
                raise
            session.rollback()  # a third save in between: show it like a conflict
    return SaveOutcome(current, _conflict(current, form, theirs, merge))


def _copy_unit(form: Any, source: Any, unit: str) -> None:
    for name in _fields_of(unit):
        form[name].data = source[name].data
        form[name].raw_data = []  # render the copied value, not what was posted


def _apply_choices(
    call: Call, app: Application | None, form: Any, choices: ExtentChoices
) -> dict[str, str]:
    """The user's choice per conflicting field, posted from the conflict page; "theirs"
    copies the saved value into the form. Only for a form at the current revision: after
    yet another save the conflict is shown afresh."""
    chosen = {
        unit: request.form.get(f"resolve-{unit}", "")
        for unit in services.draft_values(form.to_draft())
    }
    chosen = {unit: c for unit, c in chosen.items() if c in ("mine", "theirs", "merged")}
    if not chosen or app is None or form.revision.data != app.revision:
        return {}
    saved = _draft_form(call, choices, app, posted=False)
    for unit, choice in chosen.items():
        if choice == "theirs":
            _copy_unit(form, saved, unit)
    return chosen


def _conflict(app: Application | None, form: Any, theirs: Any, merge: rules.Merge) -> Conflict:
    saved = services.last_saved(db.session(), app) if app is not None else None
    return Conflict(
        by=saved.by if saved else "",
        at=saved.at if saved else None,
        fields={unit: _other_version(unit, form, theirs) for unit in merge.conflicts},
        taken=[_unit_label(unit, form) for unit in merge.taken],
    )


def _unit_label(unit: str, form: Any) -> str:
    if unit == "extent":
        return str(form.extent_kind.label.text)
    return str(form[unit].label.text)


def _other_version(unit: str, form: Any, theirs: Any) -> OtherVersion:
    label = _unit_label(unit, form)
    if unit == "extent":
        shown = extent_in_words(theirs.extent().entries())
        return OtherVersion(unit, label, shown, free_text=False)
    field = theirs[unit]
    value = field.data
    if hasattr(field, "iter_choices"):
        shown = next((str(c[1]) for c in field.iter_choices() if c[2] and c[0]), "")
    elif isinstance(value, int | float | Decimal):
        shown = format_decimal(value)
    else:
        shown = "" if value is None else str(value)
    return OtherVersion(unit, label, shown, free_text=field.type == "TextAreaField")


def _saved_message(outcome: SaveOutcome) -> str:
    if not outcome.taken:
        return _("Kladden er gemt.")
    return _(
        "Kladden er gemt. En anden havde gemt imens; deres ændringer i felter, du ikke "
        "havde rettet, er bevaret."
    )


def _save_draft(call: Call, app: Application | None, data: services.DraftData) -> Application:
    """Create the application on its first save, then save the draft and commit."""
    session = db.session()
    if not services.is_open_for(session, call, current_user.organisation_id):
        raise ApplicationError("closed")
    if app is not None and data.revision is None:
        # The form was opened before the application existed, and a colleague's first save
        # created it since: saving now would silently overwrite that text.
        raise ApplicationError("stale_draft")
    try:
        # Insert only: between the lookup and now a colleague may have saved first.
        app = app or services.create(session, call, current_user.organisation_id, current_user.id)
        services.save_draft(session, current_user.user, app, data)
        session.commit()
    except (StaleDataError, IntegrityError) as race:
        raise ApplicationError("stale_draft") from race
    return app


def _edit_context(
    call: Call, app: Application | None, form: Any, choices: ExtentChoices, editable: bool
) -> dict[str, Any]:
    session = db.session()
    checklist = rules.checklist(services.draft_of(session, app)) if app else []
    extent = Extent.parse(app.requested_extent if app else None)
    return {
        "call": call,
        "app": app,
        "form": form,
        "choices": choices,
        "editable": editable,
        "checklist": checklist,
        "complete": bool(app) and rules.is_complete(checklist),
        "submitted": services.submitted_unchanged(session, app) if app else None,
        "handed_over": services.pending_signature_request(session, app) if app else None,
        "handover_form": ConfirmForm(),
        "extent_words": extent_in_words(extent.entries()),
        "effective_words": extent.describe_effective(call.exclusion_list, choices.names),
        "extent_choices_html": _extent_choices_html(call, form, choices),
        "budget": rules.answer_budget(call.page_limit, len(call.criteria_set.criteria)),
        "annex_budget": rules.annex_page_budget(call.page_limit, call.page_limit_with_annexes),
        "attachments": services.live_attachments(session, app) if app else [],
        "attachment_form": _attachment_form(call),
        "deadline": services.deadline_for(session, call, current_user.organisation_id),
        "extension": services.extension_for(session, call.id, current_user.organisation_id),
        "extent_svg": extent_map(
            extent,
            call.exclusion_list,
            title=_("Ønsket geografisk udstrækning"),
            legend=_("Ønskes dækket"),
        ),
        "confirm_form": ConfirmForm(),
        "criterion_titles": {c.id: f"{c.position}. {c.title}" for c in call.criteria_set.criteria},
    }


EXTENT_BLOCKS_KEPT = 512


def _extent_choices_html(call: Call, form: Any, choices: ExtentChoices) -> Markup:
    """The region and municipality checkboxes (about a hundred of them): the same for every
    request with the same exclusion list, language and choice, so rendered once and kept per
    process. A block showing errors is rendered each time."""
    errors = bool(form.regions.errors or form.municipalities.errors)
    key = (
        call.exclusion_list,
        str(get_locale()),
        tuple(sorted(form.regions.data or ())),
        tuple(sorted(form.municipalities.data or ())),
    )
    kept: dict[tuple[Any, ...], Markup] = current_app.extensions.setdefault("extent_blocks", {})
    hit = None if errors else kept.get(key)  # one lookup: another thread may clear the dict
    if hit is not None:
        return hit
    html = Markup(  # noqa: S704 - an autoescaped template's output
        render_template(
            "applications/_extent_choices.html",
            form=form,
            choices=choices,
            excluded_by_region={
                r.code: sum(1 for m in choices.by_region[r.code] if m.code in choices.excluded)
                for r in choices.regions
            },
        )
    )
    if not errors:
        if len(kept) >= EXTENT_BLOCKS_KEPT:
            kept.clear()
        kept[key] = html
    return html


def _attachment_form(call: Call) -> AttachmentForm:
    form = AttachmentForm()
    form.criterion.choices = options(
        [("", _("Generelt bilag"))]
        + [(str(c.id), f"{c.position}. {c.title}") for c in call.criteria_set.criteria]
    )
    return form


@bp.route("/runde/<int:call_id>/autosave", methods=["POST"])
@requires(Permission.EDIT_APPLICATION)
def autosave(call_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    session = db.session()
    app = services.find(session, call.id, current_user.organisation_id)
    form = _draft_form(call, _extent_choices(call), app)
    if not form.validate():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        labels = ", ".join(
            str(form[name].label.text) for name in errors if name in form and name != "csrf_token"
        )
        text = (
            _("Ikke gemt: ret fejlen ved %(fields)s. Din tekst er her endnu.", fields=labels)
            if labels
            else _("Ikke gemt: ret fejlene i formularen.")
        )
        return jsonify(ok=False, message=text, errors=errors), 400
    data = form.to_draft()
    try:
        app = _save_draft(call, app, data)
    except ApplicationError as error:
        session.rollback()
        if error.code != "stale_draft":
            return jsonify(ok=False, message=message(error)), 409
        return jsonify(ok=False, conflict=True, message=_stale_autosave_message(call)), 409
    return jsonify(
        ok=True,
        revision=app.revision,
        base=_digests(data),
        message=_("Automatisk gemt kl. %(time)s", time=format_datetime(app.updated_at, "HH:mm")),
    ), 200


def _stale_autosave_message(call: Call) -> str:
    current = services.find(db.session(), call.id, current_user.organisation_id)
    saved = services.last_saved(db.session(), current) if current else None
    return _(
        "Ikke gemt: %(name)s har gemt ansøgningen kl. %(time)s, mens du skrev. Din tekst er "
        "her endnu. Klik «Gem kladde» for at se begge versioner og vælge.",
        name=saved.by if saved and saved.by else _("en kollega"),
        time=format_datetime(saved.at, "HH:mm") if saved else "",
    )


@bp.route("/<int:app_id>/bilag", methods=["POST"])
@requires(Permission.EDIT_APPLICATION)
def upload(app_id: int) -> ResponseReturnValue:
    """Add a PDF; a refusal is shown at the file field, with the chosen criterion kept."""
    app = _own_application_or_404(app_id)
    form = _attachment_form(app.call)
    if form.validate_on_submit():
        try:
            _store_attachment(app, form)
        except uploads.UploadRejected as rejected:
            _record_refusal(app, form, rejected.code)
            form.file.errors = [str(rejected.message)]
        except ApplicationError as refusal:
            db.session().rollback()
            form.file.errors = [message(refusal)]
        else:
            flash(_("Bilaget er tilføjet."), "success")
            return redirect(url_for(".edit", call_id=app.call_id) + "#bilag")
    for f in form:  # one message per field
        f.errors = list(f.errors)[:1]
    return _edit_page(app.call, app, attachment_form=form), 400


def _record_refusal(app: Application, form: AttachmentForm, code: str) -> None:
    session = db.session()
    audit.record(
        session,
        current_user.id,
        "attachment.refused",
        app,
        reason=code,
        filename=uploads.sanitize_filename(form.file.data.filename or ""),
    )
    session.commit()


def _store_attachment(app: Application, form: AttachmentForm) -> None:
    config = current_app.config
    storage = form.file.data
    data = storage.read()  # bounded by MAX_CONTENT_LENGTH; inspect_pdf applies the file limit
    info = uploads.inspect_pdf(data, storage.filename or "", config["ATTACHMENT_MAX_BYTES"])
    session = db.session()
    stored_name = uploads.store(config["UPLOAD_DIR"], data)
    try:
        services.add_attachment(
            session,
            current_user.user,
            app,
            services.NewAttachment(
                filename=info.filename,
                stored_name=stored_name,
                size_bytes=info.size_bytes,
                pages=info.pages,
                sha256=info.sha256,
                criterion_id=form.criterion.data,
            ),
            config["APPLICATION_ATTACHMENTS_MAX_BYTES"],
        )
        session.commit()
    except (StaleDataError, IntegrityError) as race:
        session.rollback()
        uploads.stored_path(config["UPLOAD_DIR"], stored_name).unlink(missing_ok=True)
        raise ApplicationError("concurrent_change") from race
    except Exception:
        session.rollback()
        uploads.stored_path(config["UPLOAD_DIR"], stored_name).unlink(missing_ok=True)
        raise


def _own_attachment_or_404(app: Application, attachment_id: int) -> Attachment:
    attachment = db.session().get(Attachment, attachment_id)
    if attachment is None or attachment.application_id != app.id:
        abort(404)
    return attachment


def _live_attachment_or_404(app: Application, attachment_id: int) -> Attachment:
    attachment = _own_attachment_or_404(app, attachment_id)
    if attachment.removed_at is not None:
        abort(404)
    return attachment


@bp.route("/<int:app_id>/bilag/<int:attachment_id>")
@requires(Permission.EDIT_APPLICATION)
def download(app_id: int, attachment_id: int) -> ResponseReturnValue:
    app = _own_application_or_404(app_id)
    attachment = _own_attachment_or_404(app, attachment_id)
    return uploads.send_attachment(
        current_app.config["UPLOAD_DIR"], attachment.stored_name, attachment.filename
    )


@bp.route("/<int:app_id>/bilag/<int:attachment_id>/fjern", methods=["POST"])
@requires(Permission.EDIT_APPLICATION)
def remove(app_id: int, attachment_id: int) -> ResponseReturnValue:
    app = _own_application_or_404(app_id)
    attachment = _live_attachment_or_404(app, attachment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    redirect_on_error(url_for(".edit", call_id=app.call_id) + "#bilag")
    services.remove_attachment(db.session(), current_user.user, app, attachment)
    db.session().commit()
    flash(_("Bilaget er fjernet fra kladden."), "success")
    return redirect(url_for(".edit", call_id=app.call_id) + "#bilag")


@bp.route("/<int:app_id>/indsend", methods=["GET", "POST"])
@requires(Permission.EDIT_APPLICATION)
def submit(app_id: int) -> ResponseReturnValue:
    app = _own_application_or_404(app_id)
    session = db.session()
    form = SubmitForm(data=None if request.method == "POST" else {"revision": app.revision})
    error = None
    if form.validate_on_submit():
        try:
            version = _submit(app, int(form.revision.data))
        except ApplicationError as refusal:
            session.rollback()
            error = message(refusal)
        else:
            return redirect(url_for(".version", app_id=app.id, number=version.number))
    checklist = rules.checklist(services.draft_of(session, app))
    return render_template(
        "applications/submit.html",
        app=app,
        form=form,
        error=error,
        checklist=checklist,
        complete=rules.is_complete(checklist),
        deadline=services.effective_deadline(session, app),
        can_submit=can(current_user.user, Permission.SUBMIT_APPLICATION),
        can_hand_over=can(current_user.user, Permission.REQUEST_SIGNATURE),
        editable=services.is_editable(session, app),
        submitted=services.submitted_unchanged(session, app),
        handed_over=services.pending_signature_request(session, app),
        handover_form=ConfirmForm(),
        **_extent_texts(app.call, app.requested_extent),
    )


def _extent_texts(call: Call, entries: list[str] | None) -> dict[str, str]:
    """The requested extent in words and what remains of it without the frikommuner."""
    extent = Extent.parse(entries)
    return {
        "extent_words": extent_in_words(extent.entries()),
        "effective_words": receipts.effective_extent_words(call.exclusion_list, extent.entries()),
    }


@bp.route("/<int:app_id>/til-underskrift", methods=["POST"])
@requires(Permission.REQUEST_SIGNATURE)
def request_signature(app_id: int) -> ResponseReturnValue:
    """The drafter hands the finished draft to the a-kasse's signatories (mail and start
    page)."""
    app = _own_application_or_404(app_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session = db.session()
    redirect_on_error(url_for(".edit", call_id=app.call_id))
    signatories = services.request_signature(session, current_user.user, app)
    session.commit()
    mailed = notices.signature_requested(
        session,
        current_app.config,
        app,
        current_user.user,
        signatories,
        services.effective_deadline(session, app),
    )
    session.commit()
    names = ", ".join(user.name for user in signatories)
    if mailed:
        flash(
            _("Ansøgningen er sendt til underskrift. %(names)s har fået en e-mail.", names=names),
            "success",
        )
    else:
        flash(
            _(
                "Ansøgningen er sendt til underskrift og vises på %(names)s' forside, men "
                "e-mailen kunne ikke sendes.",
                names=names,
            ),
            "error",
        )
    return redirect(url_for(".edit", call_id=app.call_id))


def _submit(app: Application, revision: int) -> ApplicationVersion:
    """Submit and commit; the receipt is rendered and mailed by the worker (or here, when the
    queue cannot take it). Says what happened, once."""
    session = db.session()
    try:
        version = services.submit(session, current_user.user, app, revision)
        session.commit()
    except (IntegrityError, StaleDataError) as race:
        session.rollback()
        raise ApplicationError("stale") from race
    if jobs.enqueue(version.id):
        flash(
            _(
                "Ansøgningen er indsendt som version %(n)d. Kvitteringen sendes pr. e-mail om "
                "et øjeblik, og I kan hente den her på siden.",
                n=version.number,
            ),
            "success",
        )
    elif jobs.deliver(version.id):
        flash(
            _(
                "Ansøgningen er indsendt som version %(n)d. Kvitteringen er sendt pr. e-mail.",
                n=version.number,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Ansøgningen er indsendt som version %(n)d, men kvitteringen kunne ikke sendes "
                "pr. e-mail; hent den her på siden.",
                n=version.number,
            ),
            "error",
        )
    return version


@bp.route("/<int:app_id>/version/<int:number>")
@requires(Permission.EDIT_APPLICATION)
def version(app_id: int, number: int) -> str:
    app = _own_application_or_404(app_id)
    found = next((v for v in app.versions if v.number == number), None)
    if found is None:
        abort(404)
    return render_template(
        "applications/version.html",
        app=app,
        version=found,
        criteria=app.call.criteria_set.criteria,
        **_extent_texts(app.call, found.content["requested_extent"]),
    )


@bp.route("/<int:app_id>/version/<int:number>/kvittering.pdf")
@requires(Permission.EDIT_APPLICATION)
def receipt(app_id: int, number: int) -> ResponseReturnValue:
    app = _own_application_or_404(app_id)
    found = next((v for v in app.versions if v.number == number), None)
    if found is None:
        abort(404)
    stored = receipts.stored_receipt(db.session(), found)
    if stored is None:
        # The server stopped between the submission and its receipt: make it now.
        draft = receipts.receipt_draft(db.session(), found)
        db.session().commit()
        content = receipts.render_receipt(draft)
        with db.write_session() as writer:
            stored = receipts.keep_receipt(writer, draft, content)
    response = Response(stored.content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{stored.filename}"'
    return response


@bp.route("/<int:app_id>/traek-tilbage", methods=["GET", "POST"])
@requires(Permission.EDIT_APPLICATION)
def withdraw(app_id: int) -> ResponseReturnValue:
    app = _own_application_or_404(app_id)
    form = WithdrawForm()
    error = None
    if form.validate_on_submit():
        try:
            services.withdraw(db.session(), current_user.user, app, form.reason.data or "")
            db.session().commit()
        except ApplicationError as refusal:
            db.session().rollback()
            error = message(refusal)
        else:
            flash(
                _("Ansøgningen er trukket tilbage. Den kan indsendes igen før fristen."), "success"
            )
            return redirect(url_for(".edit", call_id=app.call_id))
    return render_template("applications/withdraw.html", app=app, form=form, error=error)


# --- where the application stands in Trin 2 ----------------------------------------------------

STAGE_LABELS = {
    assessment.RECEIVED: N_("Modtaget"),
    assessment.UNDER_ASSESSMENT: N_("Under vurdering"),
    assessment.INFORMATION_REQUESTED: N_("Oplysninger efterspurgt"),
    assessment.DECIDED: N_("Afgjort"),
}


@bp.route("/<int:app_id>/status")
@requires(Permission.EDIT_APPLICATION)
def status(app_id: int) -> str:
    app = _own_application_or_404(app_id)
    return _status_page(app, {})


def _status_page(app: Application, forms: dict[int, AnswerForm]) -> str:
    session = db.session()
    decision = assessment.published_decision(session, app)
    requests = assessment.fund_requests(session, app)
    approved_svg = None
    approved_words = None
    if decision is not None and decision.eligible:
        extent = Extent.of_municipalities([e.municipality_code for e in decision.extent])
        approved_svg = extent_map(
            extent,
            app.call.exclusion_list,
            title=_("Godkendt geografisk udstrækning"),
            legend=_("Godkendt"),
        )
        approved_words = extent_in_words(extent.entries())
    stage = assessment.fund_stage(session, app)
    return render_template(
        "applications/status.html",
        app=app,
        stage=stage,
        stage_labels=STAGE_LABELS,
        # The step of a question exists in the a-kasse's case only once the agency asked one.
        stages=[k for k in STAGE_LABELS if k != assessment.INFORMATION_REQUESTED or requests],
        decision=decision,
        approved_svg=approved_svg,
        approved_words=approved_words,
        requests=requests,
        forms={r.id: forms.get(r.id) or AnswerForm(prefix=f"r{r.id}") for r in requests},
        can_answer=can(current_user.user, Permission.SUBMIT_APPLICATION),
    )


@bp.route("/<int:app_id>/spoergsmaal/<int:request_id>", methods=["POST"])
@requires(Permission.SUBMIT_APPLICATION)
def answer(app_id: int, request_id: int) -> ResponseReturnValue:
    app = _own_application_or_404(app_id)
    session = db.session()
    found = next((r for r in assessment.fund_requests(session, app) if r.id == request_id), None)
    if found is None:
        abort(404)
    form = AnswerForm(prefix=f"r{found.id}")
    if not form.validate_on_submit():
        return _status_page(app, {found.id: form}), 400
    redirect_on_error(url_for(".status", app_id=app.id))
    assessment.answer_request(session, current_user.user, found, form.answer.data or "")
    session.commit()
    assessment_notices.information_answered(session, current_app.config, found)
    session.commit()
    flash(_("Svaret er sendt til styrelsen og lagt ved ansøgningen som tillæg."), "success")
    return redirect(url_for(".status", app_id=app.id))
