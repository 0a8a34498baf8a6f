"""Trin 3 in the portal: runs through the queue, the proposal page with alternatives and
what-ifs, the parties' notes and positions, the meeting, the decision and its PDFs."""

from __future__ import annotations

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
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from geo.maps import render_map
from geo.reference import regions as reference_regions
from portal import db, pagecache
from portal.access import Permission, current_user_model, requires
from portal.assessment import charts
from portal.errors import redirect_on_error
from portal.forms import ConfirmForm, options
from portal.i18n import FIELD_LABELS, SECTOR_LABELS, SIZE_LABELS
from portal.maps import map_geometry, map_words
from portal.models import (
    Call,
    CallStatus,
    MeetingPresentation,
    Role,
    RunKind,
    RunStatus,
    SelectionProposal,
    SelectionRun,
    User,
    utcnow,
)
from portal.pdf import render_pdf
from portal.proposals import figures, jobs, services
from portal.proposals.forms import (
    NoteForm,
    PositionForm,
    SelectionDecisionForm,
    StartRunForm,
    WhatIfForm,
)
from portal.proposals.problem import has_published_decisions
from portal.web import call_or_404, label

bp = Blueprint("proposals", __name__, url_prefix="/udvaelgelse")


def _me() -> User:
    return current_user_model()


def _run_or_404(run_id: int) -> SelectionRun:
    run = db.session().get(SelectionRun, run_id)
    if run is None:
        abort(404)
    return run


def _proposal_or_404(proposal_id: int) -> SelectionProposal:
    found = db.session().get(SelectionProposal, proposal_id)
    if found is None:
        abort(404)
    return found


def _is_runner() -> bool:
    return Role(_me().role) in services.RUNNERS


def _reap() -> None:
    """Runs whose worker died are marked failed before anything shows them; the write (and
    SQLite's write lock) only when there is one, as the run page is polled."""
    if not jobs.has_stale_runs(db.session()):
        return
    db.session().commit()  # end the read, so the writing session below does not wait on it
    with db.write_session() as session:
        jobs.reap_stale_runs(session)


@bp.route("/")
@requires(Permission.REVIEW_SELECTION)
def index() -> str:
    _reap()
    session = db.session()
    calls = session.scalars(
        select(Call).where(Call.status != CallStatus.DRAFT).order_by(Call.deadline_at.desc())
    ).all()
    runs = {
        call.id: list(
            session.scalars(
                select(SelectionRun)
                .where(SelectionRun.call_id == call.id)
                .order_by(SelectionRun.id.desc())
            )
        )
        for call in calls
    }
    return render_template(
        "proposals/index.html",
        calls=calls,
        runs=runs,
        ready={call.id: has_published_decisions(session, call) for call in calls},
        decisions={call.id: services.decision_of(session, call.id) for call in calls},
        presented={call.id: services.presented(session, call.id) for call in calls},
        form=StartRunForm(),
        is_runner=_is_runner(),
    )


@bp.route("/runde/<int:call_id>/beregn", methods=["POST"])
@requires(Permission.RUN_SELECTION)
def start(call_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    form = StartRunForm()
    if not form.validate_on_submit():
        flash(
            _("Beregningen er ikke startet: %(errors)s", errors=_form_errors(form)),
            "error",
        )
        return redirect(url_for(".index"))
    redirect_on_error(url_for(".index"))
    run = services.start_run(
        db.session(),
        _me(),
        call,
        form.to_targets(),
        label=_("Forslag til udvælgelse"),
        options={"alternatives": form.alternatives.data},
    )
    db.session().commit()
    jobs.enqueue(current_app._get_current_object(), run.id)  # type: ignore[attr-defined]
    return redirect(url_for(".run", run_id=run.id))


def _form_errors(form: Any) -> str:
    return "; ".join(
        f"{form[name].label.text}: {error}"
        for name, errors in form.errors.items()
        if name != "csrf_token"
        for error in errors
    )


@bp.route("/beregning/<int:run_id>")
@requires(Permission.REVIEW_SELECTION)
def run(run_id: int) -> ResponseReturnValue:
    pagecache.not_kept()  # the optimizer's progress is written uncounted
    _reap()
    found = _run_or_404(run_id)
    db.session().refresh(found)
    if found.status == RunStatus.DONE and found.proposals and request.args.get("vis") != "status":
        return redirect(url_for(".proposal", proposal_id=found.proposals[0].id))
    return render_template(
        "proposals/run.html",
        run=found,
        call=db.session().get(Call, found.call_id),
        confirm=ConfirmForm(),
        is_runner=_is_runner(),
        elapsed=_elapsed(found),
        status_text=_run_status_text(found),
        live_gap=figures.gap_of(found.progress) if found.status == RunStatus.RUNNING else None,
        inflow=figures.inflow_source(found.problem, found.options),
    )


def _elapsed(run: SelectionRun) -> float | None:
    if run.started_at is None:
        return None
    end = run.finished_at or utcnow()
    return round((end - run.started_at).total_seconds(), 1)


def _run_status_text(run: SelectionRun) -> str:
    return {
        RunStatus.QUEUED: _("I kø: venter på en ledig arbejdsproces."),
        RunStatus.RUNNING: _("Regner …"),
        RunStatus.DONE: _("Færdig."),
        RunStatus.FAILED: _("Fejlet."),
        RunStatus.CANCELLED: _("Afbrudt."),
    }[RunStatus(run.status)]


@bp.route("/beregning/<int:run_id>/afbryd", methods=["POST"])
@requires(Permission.RUN_SELECTION)
def cancel(run_id: int) -> ResponseReturnValue:
    found = _run_or_404(run_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    redirect_on_error(url_for(".run", run_id=found.id, vis="status"))
    services.cancel(db.session(), _me(), found)
    db.session().commit()
    flash(_("Beregningen afbrydes."), "success")
    return redirect(url_for(".run", run_id=found.id, vis="status"))


@bp.route("/beregning/<int:run_id>/igen", methods=["POST"])
@requires(Permission.RUN_SELECTION)
def rerun(run_id: int) -> ResponseReturnValue:
    found = _run_or_404(run_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    redirect_on_error(url_for(".run", run_id=found.id, vis="status"))
    again = services.rerun(db.session(), _me(), found)
    db.session().commit()
    jobs.enqueue(current_app._get_current_object(), again.id)  # type: ignore[attr-defined]
    return redirect(url_for(".run", run_id=again.id))


# --- the proposal page -------------------------------------------------------------------------


def _fund_names(problem: dict[str, Any]) -> dict[str, str]:
    return {f["id"]: f["name"] for f in problem.get("funds") or []}


def _category_labels(problem: dict[str, Any]) -> dict[str, dict[str, str]]:
    regions: dict[str, str] = {}
    for code, row in reference_regions().iterrows():
        regions[str(code)] = str(row["name"])
    return {
        "field": {k: label(FIELD_LABELS, k) for k in FIELD_LABELS},
        "sector": {k: label(SECTOR_LABELS, k) for k in SECTOR_LABELS},
        "size": {k: label(SIZE_LABELS, k) for k in SIZE_LABELS},
        "region": regions,
    }


def coverage_map(
    problem: dict[str, Any], proposal: dict[str, Any], *, title: str, small: bool = False
) -> str:
    names = _fund_names(problem)
    covered = figures.coverage(proposal, names)
    values: dict[str, float | None] = {code: None for code in problem["municipalities"]}
    values.update({code: float(len(funds)) for code, funds in covered.items()})
    svg = render_map(
        values,
        title=title,
        geometry=map_geometry(),
        excluded=set(problem.get("excluded_municipalities") or []),
        legend_title=_("A-kasser, der dækker kommunen"),
        labels={code: ", ".join(funds) for code, funds in covered.items()},
        value_format=lambda v: f"{v:.0f}",
        id_prefix=f"cov{abs(hash((title, small))) % 10_000_000}",
        words=map_words(),
    )
    return str(svg)


def _proposal_context(proposal: SelectionProposal) -> dict[str, Any]:
    session = db.session()
    run = session.get(SelectionRun, proposal.run_id)
    assert run is not None
    document, problem = proposal.proposal, run.problem
    names = _fund_names(problem)
    labels = _category_labels(problem)
    share_rows = figures.shares(problem, document, labels)
    share_charts = {
        dimension: charts.paired_bar_chart(
            [(row.label, row.target, row.achieved) for row in rows],
            title=label(figures.DIMENSION_LABELS, dimension),
            first=_("Mål"),
            second=_("Opnået"),
            fmt=lambda v: format_decimal(round(v * 100, 1)) + " %",
        )
        for dimension, rows in share_rows.items()
    }
    base = run.proposals[0] if run.proposals else None
    parent = session.get(SelectionRun, run.parent_id) if run.parent_id else None
    parent_best = parent.proposals[0] if parent is not None and parent.proposals else None
    eligible = sorted(
        (f["id"] for f in problem.get("funds") or [] if f.get("eligible")),
        key=lambda i: names.get(i, i),
    )
    what_if = WhatIfForm(prefix="whatif")
    what_if.include.choices = options((i, names.get(i, i)) for i in eligible)
    what_if.exclude.choices = options((i, names.get(i, i)) for i in eligible)
    targets = services.targets_of(run)
    if request.method == "GET":
        what_if.include.data = list(targets.include)
        what_if.exclude.data = list(targets.exclude)
    me = _me()
    return {
        "proposal": proposal,
        "document": document,
        "problem": problem,
        "run": run,
        "call": session.get(Call, run.call_id),
        "names": names,
        "gauges": figures.gauges(problem, document),
        "share_rows": share_rows,
        "share_charts": share_charts,
        "dimension_labels": figures.DIMENSION_LABELS,
        "fund_rows": figures.fund_rows(document, names),
        "inflow": figures.inflow_source(problem, run.options),
        "region_names": labels["region"],
        "coverage_svg": coverage_map(problem, document, title=_("Dækning: forslaget"))
        if document.get("selected")
        else None,
        "coverage": figures.coverage(document, names),
        "municipality_names": {c: m["name"] for c, m in problem["municipalities"].items()},
        "alternatives": [p for p in run.proposals if p.rank > 1] if proposal.rank == 1 else [],
        "alternative_maps": {
            p.id: coverage_map(
                problem, p.proposal, title=_("Alternativ %(n)d", n=p.rank - 1), small=True
            )
            for p in run.proposals
            if p.rank > 1 and proposal.rank == 1 and p.proposal.get("selected")
        },
        "best": base,
        "difference_to_best": services.difference(base.proposal, document)
        if base is not None and base.id != proposal.id
        else None,
        "parent": parent,
        "difference_to_parent": services.difference(parent_best.proposal, document)
        if parent_best is not None and proposal.rank == 1
        else None,
        "same_as_parent": services.same_result(parent, run)
        if parent is not None and run.kind == RunKind.RERUN
        else None,
        "explanations": document.get("explanations") or [],
        "diagnosis": document.get("diagnosis"),
        "relaxations": [
            (index, relaxation, figures.relaxed_targets(targets, relaxation, problem) is not None)
            for index, relaxation in enumerate(
                (document.get("diagnosis") or {}).get("relaxations") or []
            )
        ],
        "what_if": what_if,
        "targets": targets,
        "notes": services.notes_of(session, me, proposal) if me.role == Role.PARTY_MEMBER else [],
        "note_form": NoteForm(prefix="note"),
        "positions": services.positions_of(session, proposal),
        "position_form": PositionForm(prefix="position"),
        "decision_form": SelectionDecisionForm(prefix="decision"),
        "decision": services.decision_of(session, run.call_id),
        "presented": services.presented(session, run.call_id),
        "is_runner": _is_runner(),
        "is_party": me.role == Role.PARTY_MEMBER and bool(me.party),
        "confirm": ConfirmForm(),
    }


@bp.route("/forslag/<int:proposal_id>")
@requires(Permission.REVIEW_SELECTION)
def proposal(proposal_id: int) -> str:
    return render_template(
        "proposals/proposal.html", **_proposal_context(_proposal_or_404(proposal_id))
    )


@bp.route("/forslag/<int:proposal_id>/hvad-hvis", methods=["POST"])
@requires(Permission.REVIEW_SELECTION)
def what_if(proposal_id: int) -> ResponseReturnValue:
    found = _proposal_or_404(proposal_id)
    context = _proposal_context(found)
    form = context["what_if"]
    if not form.validate_on_submit():
        flash(_("Hvad-hvis-beregningen er ikke startet; ret fejlene i formularen."), "error")
        return render_template("proposals/proposal.html", **context), 400
    run = context["run"]
    redirect_on_error(url_for(".proposal", proposal_id=found.id))
    new = services.start_run(
        db.session(),
        _me(),
        context["call"],
        form.to_targets(services.targets_of(run)),
        label=_("Hvad nu hvis …"),
        kind=RunKind.WHAT_IF,
        parent=run,
        options={"alternatives": 0, "explanations": False},
    )
    db.session().commit()
    jobs.enqueue(current_app._get_current_object(), new.id)  # type: ignore[attr-defined]
    return redirect(url_for(".run", run_id=new.id))


@bp.route("/forslag/<int:proposal_id>/lemp/<int:index>", methods=["POST"])
@requires(Permission.REVIEW_SELECTION)
def relax(proposal_id: int, index: int) -> ResponseReturnValue:
    found = _proposal_or_404(proposal_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run = _run_or_404(found.run_id)
    relaxations = (found.proposal.get("diagnosis") or {}).get("relaxations") or []
    if not 0 <= index < len(relaxations):
        abort(404)
    targets = figures.relaxed_targets(services.targets_of(run), relaxations[index], run.problem)
    if targets is None:
        abort(404)
    redirect_on_error(url_for(".proposal", proposal_id=found.id))
    new = services.start_run(
        db.session(),
        _me(),
        call_or_404(run.call_id),
        targets,
        label=relaxations[index]["text"]["da"],
        kind=RunKind.RELAXATION,
        parent=run,
        options={"alternatives": 0, "explanations": False},
    )
    db.session().commit()
    jobs.enqueue(current_app._get_current_object(), new.id)  # type: ignore[attr-defined]
    return redirect(url_for(".run", run_id=new.id))


# --- the parties -------------------------------------------------------------------------------


@bp.route("/forslag/<int:proposal_id>/note", methods=["POST"])
@requires(Permission.REVIEW_SELECTION)
def note(proposal_id: int) -> ResponseReturnValue:
    found = _proposal_or_404(proposal_id)
    form = NoteForm(prefix="note")
    target = url_for(".proposal", proposal_id=found.id) + "#noter"
    if not form.validate_on_submit():
        flash(_("Skriv noten."), "error")
        return redirect(target)
    redirect_on_error(target)
    services.add_note(db.session(), _me(), found, form.text.data or "")
    db.session().commit()
    flash(_("Din note er gemt. Kun du kan se den."), "success")
    return redirect(target)


@bp.route("/forslag/<int:proposal_id>/holdning", methods=["POST"])
@requires(Permission.REVIEW_SELECTION)
def position(proposal_id: int) -> ResponseReturnValue:
    found = _proposal_or_404(proposal_id)
    form = PositionForm(prefix="position")
    target = url_for(".proposal", proposal_id=found.id) + "#holdninger"
    if not form.validate_on_submit():
        flash(_("Vælg partiets holdning."), "error")
        return redirect(target)
    redirect_on_error(target)
    services.set_position(
        db.session(), _me(), found, form.stance.data or "", form.comment.data or ""
    )
    db.session().commit()
    flash(_("Partiets holdning er registreret og kan ses af de andre partier."), "success")
    return redirect(target)


# --- the meeting -------------------------------------------------------------------------------


@bp.route("/forslag/<int:proposal_id>/praesenter", methods=["POST"])
@requires(Permission.RUN_SELECTION)
def present(proposal_id: int) -> ResponseReturnValue:
    found = _proposal_or_404(proposal_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.present(db.session(), _me(), found)
    db.session().commit()
    flash(_("Forslaget vises nu på deltagernes skærme i mødevisningen."), "success")
    return redirect(url_for(".proposal", proposal_id=found.id))


def _shown_key(shown: MeetingPresentation | None) -> str:
    """What the meeting view shows, as a key that changes with every presentation (also when
    the same proposal is presented again)."""
    return "" if shown is None else f"{shown.proposal_id}@{shown.presented_at.isoformat()}"


@bp.route("/runde/<int:call_id>/moede")
@requires(Permission.REVIEW_SELECTION)
def meeting(call_id: int) -> str:
    call = call_or_404(call_id)
    shown = services.presented(db.session(), call.id)
    context = _proposal_context(_proposal_or_404(shown.proposal_id)) if shown else {}
    context.update(call=call, shown=shown, shown_key=_shown_key(shown))
    return render_template("proposals/meeting.html", **context)


@bp.route("/runde/<int:call_id>/moede/tilstand")
@requires(Permission.REVIEW_SELECTION)
def meeting_state(call_id: int) -> ResponseReturnValue:
    """What the meeting view should show now. The page asks every few seconds and fetches
    itself again only when this changes, instead of reloading the whole page on a timer."""
    call = call_or_404(call_id)
    return jsonify(shown=_shown_key(services.presented(db.session(), call.id)))


# --- the decision ------------------------------------------------------------------------------


@bp.route("/forslag/<int:proposal_id>/beslut", methods=["POST"])
@requires(Permission.RUN_SELECTION)
def decide(proposal_id: int) -> ResponseReturnValue:
    found = _proposal_or_404(proposal_id)
    form = SelectionDecisionForm(prefix="decision")
    target = url_for(".proposal", proposal_id=found.id) + "#beslutning"
    if not form.validate_on_submit():
        flash(_("Beslutningen er ikke registreret: %(errors)s", errors=_form_errors(form)), "error")
        return redirect(target)
    redirect_on_error(target)
    services.record_decision(
        db.session(), _me(), found, form.decided_on.data, form.minutes.data or ""
    )
    db.session().commit()
    flash(_("Aftalepartiernes beslutning er registreret; udvælgelsen er låst."), "success")
    return redirect(target)


@bp.route("/runde/<int:call_id>/beslutningsreferat.pdf")
@requires(Permission.REVIEW_SELECTION)
def decision_pdf(call_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    decision = services.decision_of(db.session(), call.id)
    if decision is None:
        abort(404)
    context = _pdf_context(_proposal_or_404(decision.proposal_id))
    recorder = db.session().get(User, decision.recorded_by_id)
    context.update(
        decided_on=decision.decided_on,
        minutes=decision.minutes,
        recorded_by=recorder.name if recorder else "",
        positions=list(decision.positions or []),
    )
    pdf = render_pdf("pdf/selection_decision.html", context)
    return _pdf_response(pdf, f"beslutningsreferat-runde-{call.id}.pdf")


@bp.route("/beregning/<int:run_id>/moedemateriale.pdf")
@requires(Permission.REVIEW_SELECTION)
def packet_pdf(run_id: int) -> ResponseReturnValue:
    found = _run_or_404(run_id)
    if found.status != RunStatus.DONE or not found.proposals:
        abort(404)
    context = _pdf_context(found.proposals[0])
    context["alternatives"] = [
        {
            "rank": p.rank - 1,
            "text": (p.proposal.get("text") or {}).get("da", ""),
            "selected": [
                context["names"].get(s["id"], s["id"]) for s in p.proposal.get("selected") or []
            ],
            "volume": p.proposal.get("volume"),
            "objective": p.proposal.get("objective"),
            "map": coverage_map(found.problem, p.proposal, title=f"Alternativ {p.rank - 1}"),
        }
        for p in found.proposals
        if p.rank > 1 and p.proposal.get("selected")
    ]
    pdf = render_pdf("pdf/selection_packet.html", context)
    return _pdf_response(pdf, f"moedemateriale-beregning-{found.id}.pdf")


def _pdf_context(proposal: SelectionProposal) -> dict[str, Any]:
    """Plain data for the PDF templates (render_pdf takes no ORM objects)."""
    run = db.session().get(SelectionRun, proposal.run_id)
    assert run is not None
    call = db.session().get(Call, run.call_id)
    assert call is not None
    document, problem = proposal.proposal, run.problem
    names = _fund_names(problem)
    rows = figures.fund_rows(document, names)
    return {
        "call_title": call.title,
        "run_id": run.id,
        "input_hash": run.input_hash,
        "solver": run.solver_version or "",
        "status": document.get("status"),
        "objective": document.get("objective"),
        "gap": document.get("gap"),
        "volume": document.get("volume"),
        "share": document.get("share_of_national_inflow"),
        "names": names,
        "funds": [
            {
                "name": r.name,
                "treated_volume": r.treated_volume,
                "municipalities": r.municipalities,
                "comparison": r.comparison,
                "mde": r.mde,
                "warnings": [w.get("da", "") for w in r.warnings],
            }
            for r in rows
        ],
        "deviation": {
            label(figures.DIMENSION_LABELS, d): v
            for d, v in (document.get("deviation") or {}).items()
        },
        "evaluation_method": _method_words(document.get("evaluation") or {}),
        "evaluation_mde": (document.get("evaluation") or {}).get("mde"),
        "map": coverage_map(problem, document, title="Dækning"),
        "inflow": _inflow_primitives(figures.inflow_source(problem, run.options)),
        "positions": [],
    }


def _inflow_primitives(source: figures.InflowSource) -> dict[str, Any]:
    return {
        "reported": source.reported,
        "year": source.year,
        "sha256": source.sha256,
        "filename": source.filename,
        "modelled_funds": list(source.modelled_funds),
        "label": source.label,
    }


def _method_words(evaluation: dict[str, Any]) -> str:
    """The evaluation design in the reader's language (the core names it in English)."""
    if not evaluation:
        return ""
    return _(
        "to-stikprøvetest af andele i beskæftigelse efter 52 uger, signifikansniveau %(alpha)s "
        "(tosidet), styrke %(power)s, basisandel %(base)s, %(years)s års forsøg",
        alpha=format_decimal(evaluation.get("alpha", 0.05)),
        power=format_decimal(evaluation.get("power", 0.8)),
        base=format_decimal(evaluation.get("baseline_rate", 0.5)),
        years=format_decimal(evaluation.get("years", 4)),
    )


def _pdf_response(pdf: bytes, filename: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
