"""The agency's assessment workspace (Trin 2): overview, reading view, assignment,
declarations, sealed scoring, requests for information, consolidation, calibration,
decisions and their publication.

Object rules: a version that is not assessable, or that the user may not read, is a 404;
an assessor who has not declared is sent to the declaration first.
"""

from __future__ import annotations

import difflib
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
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from geo.reference import exclusion_list
from portal import db
from portal.access import Permission, current_user_model, requires
from portal.applications import uploads
from portal.assessment import charts, notices, rules, services
from portal.assessment.forms import (
    AssignForm,
    DecisionForm,
    DeclarationForm,
    PublishForm,
    ReopenForm,
    RequestForm,
    consolidated_entries,
    consolidation_form_class,
    consolidation_initial,
    score_entries,
    scoring_form_class,
    scoring_initial,
    show_consolidation_problems,
    show_score_problems,
)
from portal.calls import exports
from portal.errors import AssessmentError, message, redirect_on_error
from portal.extent import Extent, extent_map, reference_names
from portal.forms import ConfirmForm, options
from portal.i18n import FIELD_LABELS, N_, SECTOR_LABELS
from portal.models import (
    ApplicationVersion,
    Assessment,
    AssessmentStatus,
    Attachment,
    Call,
    CallStatus,
    Municipality,
    Region,
    User,
)
from portal.web import call_or_404, label

bp = Blueprint("assessment", __name__, url_prefix="/vurdering")

PROGRESS_LABELS = {
    rules.Progress.NOT_STARTED: N_("Ikke påbegyndt"),
    rules.Progress.IN_PROGRESS: N_("I gang"),
    rules.Progress.SUBMITTED: N_("Vurderinger indsendt"),
    rules.Progress.CONSOLIDATED: N_("Konsolideret"),
    rules.Progress.DECIDED: N_("Afgjort"),
}
FILTERS = {
    "alle": N_("Alle"),
    "venter": N_("Venter på min vurdering"),
    "mine": N_("Tildelt mig"),
    "mangler-fordeling": N_("Mangler sagsbehandler"),
    "konflikt": N_("Uenige scorer"),
    "oplysninger": N_("Oplysninger efterspurgt"),
    "klar": N_("Klar til konsolidering"),
    "afventer": N_("Afventer offentliggørelse"),
}
SORTS = {"akasse": N_("A-kasse"), "fremdrift": N_("Fremdrift")}


def _me() -> User:
    return current_user_model()


def _version_or_404(version_id: int) -> ApplicationVersion:
    version = services.assessable_version(db.session(), version_id)
    if version is None:
        abort(404)
    return version


def _readable_or_404(version_id: int) -> ApplicationVersion | WerkzeugResponse:
    """The version, or a redirect to the declaration when the assessor must declare first."""
    version = _version_or_404(version_id)
    session = db.session()
    if services.must_declare(session, _me(), version):
        return redirect(url_for(".declare", version_id=version.id))
    if not services.may_read(session, _me(), version):
        abort(404)
    return version


def _form_for(form_class: Any, editable: bool, stored: dict[str, Any]) -> Any:
    """The posted values while the thing may still change; what is stored once it is frozen,
    so a refused POST never shows text that was not saved."""
    if request.method == "POST" and editable:
        return form_class()
    return form_class(formdata=None, data=stored)


def _calls_with_work() -> list[tuple[Call, int]]:
    session = db.session()
    calls = session.scalars(
        select(Call).where(Call.status != CallStatus.DRAFT).order_by(Call.deadline_at.desc())
    ).all()
    return [(call, len(services.assessable_versions(session, call))) for call in calls]


@bp.route("/")
@requires(Permission.ASSESS)
def index() -> str:
    return render_template("assessment/index.html", calls=_calls_with_work())


@bp.route("/runde/<int:call_id>")
@requires(Permission.ASSESS)
def overview(call_id: int) -> str:
    call = call_or_404(call_id)
    session = db.session()
    me = _me()
    rows = services.overview(session, call, me)
    default_filter = "alle" if services.is_lead(me) else "mine"
    chosen = request.args.get("vis", default_filter)
    chosen = chosen if chosen in FILTERS else default_filter
    sort = request.args.get("sort", "akasse")
    sort = sort if sort in SORTS else "akasse"
    shown = [row for row in rows if _matches(row, chosen)]
    if sort == "fremdrift":
        order = list(rules.Progress)
        shown.sort(key=lambda r: (order.index(r.progress), r.fund_name))
    return render_template(
        "assessment/overview.html",
        call=call,
        rows=shown,
        total=len(rows),
        filters=FILTERS,
        chosen=chosen,
        sorts=SORTS,
        sort=sort,
        progress_labels=PROGRESS_LABELS,
        waiting=services.waiting_for_deadline(session, call),
        pending=len(services.pending_decisions(session, call)),
        publish_form=PublishForm(),
        is_lead=services.is_lead(me),
    )


def _matches(row: services.OverviewRow, chosen: str) -> bool:
    return {
        "alle": True,
        "venter": row.awaits_viewer,
        "mine": row.mine,
        "mangler-fordeling": row.gap > 0,
        "konflikt": row.conflicting,
        "oplysninger": row.information_missing,
        "klar": row.progress == rules.Progress.SUBMITTED,
        "afventer": row.decision is not None and row.decision.status == "pending",
    }[chosen]


# --- assignment --------------------------------------------------------------------------------


@bp.route("/runde/<int:call_id>/fordeling")
@requires(Permission.LEAD_ASSESSMENT)
def assignments(call_id: int) -> str:
    call = call_or_404(call_id)
    session = db.session()
    versions = services.assessable_versions(session, call)
    ids = [v.id for v in versions]
    assigned = services.assignments(session, ids)
    declared = services.declarations(session, ids)
    started = set(
        session.execute(
            select(Assessment.version_id, Assessment.assessor_id).where(
                Assessment.version_id.in_(ids)
            )
        ).tuples()
    )
    people = services.agency_assessors(session)
    names = {u.id: u for u in people}
    forms = {}
    for version in versions:
        taken = {a.assessor_id for a in assigned[version.id]}
        conflicted = {d.assessor_id for d in declared[version.id] if d.has_conflict}
        form = AssignForm(prefix=f"v{version.id}")
        form.assessor.choices = options(
            (str(u.id), u.name) for u in people if u.id not in taken | conflicted
        )
        forms[version.id] = form
    load: dict[int, int] = {u.id: 0 for u in people}
    for rows in assigned.values():
        for a in rows:
            load[a.assessor_id] = load.get(a.assessor_id, 0) + 1
    return render_template(
        "assessment/assignments.html",
        call=call,
        versions=versions,
        assigned=assigned,
        declared=declared,
        started=started,
        names=names,
        forms=forms,
        load=load,
        people=people,
        required=services.REQUIRED_ASSESSMENTS,
        confirm=ConfirmForm(),
    )


@bp.route("/runde/<int:call_id>/fordeling/forslag", methods=["POST"])
@requires(Permission.LEAD_ASSESSMENT)
def propose(call_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = url_for(".assignments", call_id=call.id)
    redirect_on_error(target)
    result = services.propose_assignment(db.session(), _me(), call)
    db.session().commit()
    flash(
        ngettext(
            "Fordelingen er foreslået: %(num)d ny tildeling.",
            "Fordelingen er foreslået: %(num)d nye tildelinger.",
            result.added,
        )
        + (
            " "
            + ngettext(
                "%(num)d ansøgning mangler stadig sagsbehandlere; tildel dem i hånden.",
                "%(num)d ansøgninger mangler stadig sagsbehandlere; tildel dem i hånden.",
                len(result.gaps),
            )
            if result.gaps
            else ""
        ),
        "success",
    )
    return redirect(target)


@bp.route("/fordeling/<int:version_id>", methods=["POST"])
@requires(Permission.LEAD_ASSESSMENT)
def assign(version_id: int) -> ResponseReturnValue:
    version = _version_or_404(version_id)
    session = db.session()
    form = AssignForm(prefix=f"v{version.id}")
    form.assessor.choices = options((str(u.id), u.name) for u in services.agency_assessors(session))
    target = url_for(".assignments", call_id=version.application.call_id) + f"#v{version.id}"
    if not form.validate_on_submit():
        flash(_("Vælg en sagsbehandler."), "error")
        return redirect(target)
    redirect_on_error(target)
    assessor = session.get(User, form.assessor.data)
    if assessor is None:
        abort(404)
    services.add_assignment(session, _me(), version, assessor)
    session.commit()
    flash(
        _(
            "%(name)s er tildelt ansøgningen fra %(fund)s.",
            name=assessor.name,
            fund=version.application.organisation.name,
        ),
        "success",
    )
    return redirect(target)


@bp.route("/fordeling/<int:version_id>/fjern/<int:assessor_id>", methods=["POST"])
@requires(Permission.LEAD_ASSESSMENT)
def unassign(version_id: int, assessor_id: int) -> ResponseReturnValue:
    version = _version_or_404(version_id)
    session = db.session()
    assessor = session.get(User, assessor_id)
    if assessor is None or not ConfirmForm().validate_on_submit():
        abort(404 if assessor is None else 400)
    target = url_for(".assignments", call_id=version.application.call_id) + f"#v{version.id}"
    redirect_on_error(target)
    services.remove_assignment(session, _me(), version, assessor)
    session.commit()
    flash(_("%(name)s er fjernet fra ansøgningen.", name=assessor.name), "success")
    return redirect(target)


# --- reading -----------------------------------------------------------------------------------


def _extent_context(version: ApplicationVersion) -> dict[str, Any]:
    session = db.session()
    call = version.application.call
    extent = Extent.parse(version.content.get("requested_extent"))
    names = reference_names()
    excluded = set(exclusion_list(call.exclusion_list).codes)
    requested_all = set(extent.resolve(call.exclusion_list)) if not extent.is_empty else set()
    touched_excluded = sorted(
        names.municipalities.get(code, code)
        for code in excluded
        if _extent_touches(extent, code, names.region_of)
    )
    covered = services.requested_covered(session, version)
    return {
        "extent_words": extent.describe(names.regions, names.municipalities),
        "extent_svg": extent_map(
            extent,
            call.exclusion_list,
            title=_("Ansøgt geografisk udstrækning"),
            legend=_("Ansøgt"),
        ),
        "covered_count": len(covered),
        "excluded_in_request": touched_excluded,
        "requested_all": requested_all,
    }


def _extent_touches(extent: Extent, code: str, region_of: dict[str, str]) -> bool:
    """Does the requested extent (before the exclusion list) include this municipality?"""
    if extent.kind == "national":
        return True
    if code in extent.municipalities:
        return True
    return region_of.get(code) in extent.regions


def _read_context(version: ApplicationVersion, request_form: RequestForm) -> dict[str, Any]:
    session = db.session()
    me = _me()
    app = version.application
    ids = [version.id]
    return {
        "version": version,
        "app": app,
        "criteria": services.criteria_of(version),
        "others": [v for v in app.versions if v.id != version.id],
        "requests": services.requests_of(session, version.id),
        "request_form": request_form,
        "declarations": services.declarations(session, ids)[version.id],
        "assigned": services.assignments(session, ids)[version.id],
        "users": {u.id: u for u in services.agency_assessors(session)},
        "own": services.own_assessment(session, version.id, me.id),
        "visible": services.visible_assessments(session, me, version.id),
        "sealed": not services.may_see_others(session, me, version.id),
        "consolidation": services.consolidation_of(session, version.id),
        "decision": services.decision_of(session, version.id),
        "is_lead": services.is_lead(me),
        "is_assigned": services.find_assignment(session, version.id, me.id) is not None,
        "field_text": label(FIELD_LABELS, version.content["organisation"].get("field") or "–"),
        "sector_text": label(SECTOR_LABELS, version.content["organisation"].get("sector") or "–"),
        **_extent_context(version),
    }


@bp.route("/ansoegning/<int:version_id>")
@requires(Permission.ASSESS)
def read(version_id: int) -> ResponseReturnValue:
    found = _readable_or_404(version_id)
    if isinstance(found, WerkzeugResponse):
        return found
    return render_template("assessment/read.html", **_read_context(found, RequestForm()))


@bp.route("/ansoegning/<int:version_id>/forskel/<int:number>")
@requires(Permission.ASSESS)
def diff(version_id: int, number: int) -> ResponseReturnValue:
    found = _readable_or_404(version_id)
    if isinstance(found, WerkzeugResponse):
        return found
    version = found
    other = next((v for v in version.application.versions if v.number == number), None)
    if other is None or other.id == version.id:
        abort(404)
    old, new = (other, version) if other.number < version.number else (version, other)
    changes = []
    for criterion in services.criteria_of(version):
        key = str(criterion.id)
        before = old.content["answers"].get(key, "")
        after = new.content["answers"].get(key, "")
        if before != after:
            changes.append((criterion, _line_diff(before, after)))
    facts = []
    for fact, path in (
        (_("Geografisk udstrækning"), ("requested_extent",)),
        (_("Forløb om året"), ("capacity", "courses")),
        (_("Årsværk"), ("capacity", "staff_fte")),
    ):
        before, after = _dig(old.content, path), _dig(new.content, path)
        if before != after:
            facts.append((fact, before, after))
    return render_template(
        "assessment/diff.html", version=version, old=old, new=new, changes=changes, facts=facts
    )


def _dig(content: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = content
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _line_diff(before: str, after: str) -> list[tuple[str, str]]:
    """(kind, text) per line: "same", "removed" or "added"; marked in words, not colour."""
    lines = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "? ":
            continue
        lines.append(({"  ": "same", "- ": "removed", "+ ": "added"}[tag], text))
    return lines


@bp.route("/ansoegning/<int:version_id>/bilag/<int:attachment_id>")
@requires(Permission.ASSESS)
def attachment(version_id: int, attachment_id: int) -> ResponseReturnValue:
    found = _readable_or_404(version_id)
    if isinstance(found, WerkzeugResponse):
        return found
    listed = {item["id"] for item in found.content.get("attachments", [])}
    row = db.session().get(Attachment, attachment_id)
    if row is None or attachment_id not in listed or row.application_id != found.application_id:
        abort(404)
    return uploads.send_attachment(
        current_app.config["UPLOAD_DIR"], row.stored_name, row.filename, inline=True
    )


# --- declaration and scoring -------------------------------------------------------------------


@bp.route("/ansoegning/<int:version_id>/erklaering", methods=["GET", "POST"])
@requires(Permission.ASSESS)
def declare(version_id: int) -> ResponseReturnValue:
    version = _version_or_404(version_id)
    session = db.session()
    me = _me()
    if services.find_assignment(session, version.id, me.id) is None:
        abort(404)
    if services.declaration_of(session, version.id, me.id) is not None:
        return redirect(url_for(".read", version_id=version.id))
    form = DeclarationForm()
    if form.validate_on_submit():
        conflict = form.choice.data == "conflict"
        declaration = services.declare(session, me, version, conflict, form.reason.data or "")
        session.commit()
        if conflict:
            notices.conflict_declared(session, current_app.config, declaration)
            session.commit()
            flash(
                _(
                    "Din interessekonflikt er registreret, og du er fjernet fra ansøgningen. "
                    "Den ledende sagsbehandler har fået besked."
                ),
                "success",
            )
            return redirect(url_for(".overview", call_id=version.application.call_id))
        flash(_("Din habilitetserklæring er registreret."), "success")
        return redirect(url_for(".score", version_id=version.id))
    return render_template(
        "assessment/declare.html",
        version=version,
        fund=version.application.organisation.name,
        form=form,
    )


@bp.route("/ansoegning/<int:version_id>/vurdering", methods=["GET", "POST"])
@requires(Permission.ASSESS)
def score(version_id: int) -> ResponseReturnValue:
    found = _readable_or_404(version_id)
    if isinstance(found, WerkzeugResponse):
        return found
    version = found
    session = db.session()
    me = _me()
    if services.find_assignment(session, version.id, me.id) is None:
        abort(404)  # the lead reads everything but scores only where assigned
    criteria = services.criteria_of(version)
    own = services.own_assessment(session, version.id, me.id)
    form_class = scoring_form_class(criteria)
    frozen = own is not None and own.status == AssessmentStatus.COMPLETED
    closed = services.consolidation_of(session, version.id) is not None
    form = _form_for(form_class, not (frozen or closed), scoring_initial(own))
    if request.method == "POST" and not (frozen or closed) and form.validate():
        submit = form.action.data == "submit"
        entries = score_entries(form, criteria)
        problems = rules.score_problems(
            entries, {c.id: c.scale_max for c in criteria}, require_complete=submit
        )
        if problems:
            show_score_problems(form, problems)
            flash(message(AssessmentError("invalid_scores", count=len(problems))), "error")
        else:
            try:
                services.save_assessment(session, me, version, entries, submit)
                session.commit()
            except AssessmentError as refusal:
                session.rollback()
                flash(message(refusal), "error")
            else:
                if submit:
                    flash(
                        _("Din vurdering er indsendt. Nu kan du se de andres vurderinger."),
                        "success",
                    )
                    return redirect(url_for(".read", version_id=version.id) + "#vurderinger")
                flash(_("Din vurdering er gemt som kladde."), "success")
                return redirect(url_for(".score", version_id=version.id))
    elif request.method == "POST" and (frozen or closed):
        flash(
            message(AssessmentError("already_submitted" if frozen else "consolidation_started")),
            "error",
        )
    return render_template(
        "assessment/score.html",
        version=version,
        fund=version.application.organisation.name,
        criteria=criteria,
        form=form,
        own=own,
        frozen=frozen,
        closed=closed,
        answers=version.content.get("answers", {}),
    )


@bp.route("/vurdering/<int:assessment_id>/genaabn", methods=["POST"])
@requires(Permission.LEAD_ASSESSMENT)
def reopen(assessment_id: int) -> ResponseReturnValue:
    session = db.session()
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        abort(404)
    version = _version_or_404(assessment.version_id)
    target = url_for(".consolidate", version_id=version.id)
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_("Skriv hvorfor vurderingen genåbnes."), "error")
        return redirect(target)
    redirect_on_error(target)
    services.reopen(session, _me(), assessment, form.reason.data or "")
    session.commit()
    flash(_("Vurderingen er genåbnet; sagsbehandleren kan rette og indsende igen."), "success")
    return redirect(target)


# --- requests for more information -------------------------------------------------------------


@bp.route("/ansoegning/<int:version_id>/spoergsmaal", methods=["POST"])
@requires(Permission.ASSESS)
def ask(version_id: int) -> ResponseReturnValue:
    found = _readable_or_404(version_id)
    if isinstance(found, WerkzeugResponse):
        return found
    version = found
    session = db.session()
    form = RequestForm()
    target = url_for(".read", version_id=version.id) + "#oplysninger"
    if not form.validate_on_submit():
        return _read_with_errors(version, form)
    redirect_on_error(target)
    request_row = services.request_information(
        session, _me(), version, form.question.data or "", form.due_at()
    )
    session.commit()
    mailed = notices.information_requested(session, current_app.config, request_row)
    session.commit()
    flash(
        _("Spørgsmålet er sendt til a-kassen.")
        if mailed
        else _("Spørgsmålet er gemt; a-kassen ser det i portalen (e-mailen kunne ikke sendes)."),
        "success",
    )
    return redirect(target)


def _read_with_errors(version: ApplicationVersion, form: RequestForm) -> ResponseReturnValue:
    """The reading view again, the question kept and its errors next to the fields."""
    return render_template("assessment/read.html", **_read_context(version, form)), 400


# --- consolidation -----------------------------------------------------------------------------


@bp.route("/ansoegning/<int:version_id>/konsolidering", methods=["GET", "POST"])
@requires(Permission.LEAD_ASSESSMENT)
def consolidate(version_id: int) -> ResponseReturnValue:
    version = _version_or_404(version_id)
    session = db.session()
    me = _me()
    criteria = services.criteria_of(version)
    submitted = services.visible_assessments(session, me, version.id)
    submitted = [a for a in submitted if a.status == AssessmentStatus.COMPLETED]
    people = {u.id: u for u in services.agency_assessors(session)}
    consolidation = services.consolidation_of(session, version.id)
    form_class = consolidation_form_class(
        criteria,
        [(a.assessor_id, people[a.assessor_id].name) for a in submitted if a.assessor_id in people],
    )
    signed = consolidation is not None and consolidation.signed_off_at is not None
    form = _form_for(form_class, not signed, consolidation_initial(consolidation))
    if request.method == "POST" and signed:
        flash(message(AssessmentError("consolidation_signed_off")), "error")
    if request.method == "POST" and not signed and form.validate():
        sign_off = form.action.data == "sign_off"
        entries = consolidated_entries(form, criteria)
        problems = services.consolidation_problems(
            criteria, entries, {a.assessor_id for a in submitted}, require_complete=sign_off
        )
        if problems:
            show_consolidation_problems(form, problems)
            flash(message(AssessmentError("invalid_consolidation", count=len(problems))), "error")
        else:
            try:
                services.save_consolidation(session, me, version, entries, sign_off)
                session.commit()
            except AssessmentError as refusal:
                session.rollback()
                flash(message(refusal), "error")
            else:
                if sign_off:
                    flash(_("Konsolideringen er godkendt. Træf nu afgørelsen."), "success")
                    return redirect(url_for(".decide", version_id=version.id))
                flash(_("Konsolideringen er gemt som kladde."), "success")
                return redirect(url_for(".consolidate", version_id=version.id))
    scores = {a.id: {s.criterion_id: s for s in a.scores} for a in submitted}
    deviations = {
        c.id: rules.deviation(
            [
                value
                for a in submitted
                if (value := _score_value(scores[a.id].get(c.id))) is not None
            ]
        )
        for c in criteria
    }
    drafts = [
        a
        for a in session.scalars(select(Assessment).where(Assessment.version_id == version.id))
        if a.status != AssessmentStatus.COMPLETED
    ]
    return render_template(
        "assessment/consolidate.html",
        version=version,
        fund=version.application.organisation.name,
        criteria=criteria,
        form=form,
        submitted=submitted,
        scores=scores,
        deviations=deviations,
        people=people,
        consolidation=consolidation,
        signed=signed,
        drafts=drafts,
        required=services.REQUIRED_ASSESSMENTS,
        reopen_form=ReopenForm(),
        answers=version.content.get("answers", {}),
    )


def _score_value(score: Any) -> int | None:
    return None if score is None else score.score


# --- decision ----------------------------------------------------------------------------------


def _decision_choices(version: ApplicationVersion) -> dict[str, Any]:
    session = db.session()
    covered = services.requested_covered(session, version)
    regions = list(session.scalars(select(Region).order_by(Region.code)))
    munis = list(
        session.scalars(
            select(Municipality).where(Municipality.code.in_(covered)).order_by(Municipality.name)
        )
    )
    by_region: dict[str, list[Municipality]] = {r.code: [] for r in regions}
    for muni in munis:
        by_region[muni.region_code].append(muni)
    return {
        "regions": [r for r in regions if by_region[r.code]],
        "by_region": by_region,
        "covered": covered,
    }


@bp.route("/ansoegning/<int:version_id>/afgoerelse", methods=["GET", "POST"])
@requires(Permission.LEAD_ASSESSMENT)
def decide(version_id: int) -> ResponseReturnValue:
    version = _version_or_404(version_id)
    session = db.session()
    proposed = services.proposal(session, version)
    if proposed is None:
        flash(message(AssessmentError("not_consolidated")), "error")
        return redirect(url_for(".consolidate", version_id=version.id))
    decision = services.decision_of(session, version.id)
    choices = _decision_choices(version)
    declared = services.declared_capacity(version)
    published = decision is not None and decision.status == "published"
    form = _form_for(
        DecisionForm,
        not published,
        _decision_initial(decision, proposed[0], choices["covered"], declared),
    )
    form.approved.choices = options(
        (m.code, m.name) for ms in choices["by_region"].values() for m in ms
    )
    if request.method == "POST" and published:
        flash(message(AssessmentError("decision_published")), "error")
    if request.method == "POST" and not published and form.validate():
        data = form.to_data()
        problems = services.decision_problems(session, version, data, proposed[0])
        if form.action.data == "preview":
            pass  # show the chosen extent on the map, nothing stored
        elif problems:
            for name, problem in problems.items():
                form[name].errors = [*form[name].errors, _(problem)]
            flash(message(AssessmentError("invalid_decision")), "error")
        else:
            services.decide(session, _me(), version, data)
            session.commit()
            flash(
                _(
                    "Afgørelsen er gemt som afventende. Den bliver endelig, når "
                    "afgørelserne offentliggøres."
                ),
                "success",
            )
            return redirect(
                url_for(".overview", call_id=version.application.call_id, vis="afventer")
            )
    chosen = sorted(form.approved.data or []) if form.eligible.data == "yes" else []
    criteria = services.criteria_of(version)
    consolidation = services.consolidation_of(session, version.id)
    return render_template(
        "assessment/decide.html",
        version=version,
        fund=version.application.organisation.name,
        form=form,
        proposed=proposed,
        criteria=criteria,
        consolidated={s.criterion_id: s for s in consolidation.scores} if consolidation else {},
        decision=decision,
        published=published,
        declared=declared,
        approved_svg=extent_map(
            Extent.of_municipalities(chosen) if chosen else Extent(None),
            version.application.call.exclusion_list,
            title=_("Godkendt geografisk udstrækning"),
            legend=_("Godkendt"),
        ),
        **choices,
        **{
            k: v
            for k, v in _extent_context(version).items()
            if k in ("extent_words", "excluded_in_request")
        },
    )


def _decision_initial(
    decision: Any, proposed: bool, covered: set[str], declared: int | None
) -> dict[str, Any]:
    if decision is None:
        return {
            "eligible": "yes" if proposed else "no",
            "approved": sorted(covered) if proposed else [],
            "capacity": declared if proposed else None,
        }
    return {
        "eligible": "yes" if decision.eligible else "no",
        "reasoning": decision.reasoning,
        "override_reason": decision.override_reason,
        "approved": sorted(e.municipality_code for e in decision.extent),
        "capacity": decision.approved_capacity,
    }


@bp.route("/runde/<int:call_id>/offentliggoer", methods=["POST"])
@requires(Permission.LEAD_ASSESSMENT)
def publish(call_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    if not PublishForm().validate_on_submit():
        abort(400)
    target = url_for(".overview", call_id=call.id)
    redirect_on_error(target)
    session = db.session()
    ids = services.publish(session, _me(), call)
    session.commit()
    notices.decisions_published(session, current_app.config, call, ids)
    session.commit()
    flash(
        ngettext(
            "%(num)d afgørelse er offentliggjort; a-kassen har fået besked.",
            "%(num)d afgørelser er offentliggjort; a-kasserne har fået besked.",
            len(ids),
        ),
        "success",
    )
    return redirect(target)


# --- calibration and export --------------------------------------------------------------------


@bp.route("/runde/<int:call_id>/kalibrering")
@requires(Permission.LEAD_ASSESSMENT)
def calibration(call_id: int) -> str:
    call = call_or_404(call_id)
    figures = services.calibration(db.session(), _me(), call)
    titles = {c.id: f"{c.position}. {c.title}" for c in figures.criteria}
    agreement_svg = charts.bar_chart(
        [(_short(titles[cid]), share) for cid, share in figures.agreement.items()],
        low=0.0,
        high=1.0,
        fmt=lambda v: f"{round(v * 100)} %",
        title=_("Enighed pr. kriterium (scorer højst 1 point fra hinanden)"),
    )
    leniency_svg = charts.bar_chart(
        [(figures.assessors[aid].name, value) for aid, value in figures.leniency.items()],
        low=-2.0,
        high=2.0,
        fmt=lambda v: f"{v:+.2f}".replace(".", ","),
        title=_("Mildhed pr. sagsbehandler (gns. afvigelse fra konsolideret score)"),
    )
    return render_template(
        "assessment/calibration.html",
        call=call,
        figures=figures,
        titles=titles,
        agreement_svg=agreement_svg if figures.agreement else None,
        leniency_svg=leniency_svg if figures.leniency else None,
    )


def _short(title: str, limit: int = 34) -> str:
    """A chart label; the table beside the chart carries the full title."""
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


@bp.route("/runde/<int:call_id>/vurderinger.<fmt>")
@requires(Permission.ASSESS)
def export(call_id: int, fmt: str) -> ResponseReturnValue:
    call = call_or_404(call_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    rows = [exports.Row(values) for values in services.score_rows(db.session(), _me(), call)]
    if fmt == "csv":
        data = exports.to_csv(rows, services.SCORE_HEADER)
        mimetype = "text/csv; charset=utf-8"
    else:
        data = exports.to_xlsx(rows, services.SCORE_HEADER, sheet_title="Vurderinger")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="vurderinger-runde-{call.id}.{fmt}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/api/vurdering/<int:assessment_id>")
@requires(Permission.ASSESS)
def assessment_json(assessment_id: int) -> ResponseReturnValue:
    """One individual assessment as JSON, for those the sealed rule lets see it; else 404."""
    session = db.session()
    found = session.get(Assessment, assessment_id)
    if found is None or _version_or_none(found.version_id) is None:
        abort(404)
    visible = services.visible_assessments(session, _me(), found.version_id)
    if found not in visible:
        abort(404)
    return jsonify(
        id=found.id,
        version_id=found.version_id,
        assessor_id=found.assessor_id,
        status=found.status,
        submitted_at=found.submitted_at.isoformat() if found.submitted_at else None,
        scores=[
            {
                "criterion_id": s.criterion_id,
                "score": s.score,
                "cannot_assess": s.cannot_assess,
                "justification": s.justification,
            }
            for s in sorted(found.scores, key=lambda s: s.criterion_id)
        ],
    )


def _version_or_none(version_id: int) -> ApplicationVersion | None:
    return services.assessable_version(db.session(), version_id)
