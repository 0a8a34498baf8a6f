"""The dialogue meeting with the labour-market parties (Trin 2): the criteria interpretation
register, the parties' page, the meeting and its minutes, and the printed packet.

Object rules: a draft call, a criterion outside the call, or an interpretation the user may
not see (a draft, for a labour-market party) is a 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from portal import db
from portal.access import Permission, current_user_model, requires
from portal.dialogue import packet, services
from portal.dialogue.forms import (
    CommentForm,
    InterpretationForm,
    MeetingForm,
    MinutesForm,
    meeting_initial,
)
from portal.errors import redirect_on_error
from portal.forms import ConfirmForm
from portal.models import Call, Criterion, User, utcnow
from portal.pdf import render_pdf
from portal.web import call_or_404

bp = Blueprint("dialogue", __name__, url_prefix="/dialog")


def _me() -> User:
    return current_user_model()


def _criterion_or_404(call: Call, criterion_id: int) -> Criterion:
    criterion = services.criterion_of_call(call, criterion_id)
    if criterion is None:
        abort(404)
    return criterion


@bp.route("/")
@requires(Permission.READ_INTERPRETATION)
def index() -> str:
    session = db.session()
    calls = services.calls_with_dialogue(session)
    standings = services.standings(session, calls, _me())
    return render_template(
        "dialogue/index.html", calls=[(call, standings[call.id]) for call in calls]
    )


@bp.route("/runde/<int:call_id>")
@requires(Permission.READ_INTERPRETATION)
def call_page(call_id: int) -> str:
    call = call_or_404(call_id)
    return render_template("dialogue/call.html", **_call_context(call, CommentForm()))


def _call_context(call: Call, comment_form: CommentForm) -> dict[str, Any]:
    session = db.session()
    me = _me()
    comment_form.set_criteria(services.criteria_of(call))
    meeting = services.meeting_of(session, call)
    return {
        "call": call,
        "meeting": meeting,
        "criteria": packet.criteria_blocks(session, call, me),
        "register": {e.criterion.id: e for e in services.register(session, call, me)},
        "decisions": packet.decisions_block(session, call),
        "comments": services.comments_for(session, call, me),
        "criterion_titles": {c.id: f"{c.position}. {c.title}" for c in services.criteria_of(call)},
        "comment_form": comment_form,
        "comments_open": meeting is None or utcnow() < meeting.starts_at,
        "is_lead": services.is_lead(me),
        "is_agency": services.is_agency(me),
        "confirm": ConfirmForm(),
    }


@bp.route("/runde/<int:call_id>/kriterium/<int:criterion_id>")
@requires(Permission.READ_INTERPRETATION)
def history(call_id: int, criterion_id: int) -> str:
    call = call_or_404(call_id)
    criterion = _criterion_or_404(call, criterion_id)
    rows = services.visible_versions(db.session(), call, criterion, _me())
    return render_template(
        "dialogue/history.html",
        call=call,
        criterion=criterion,
        versions=rows,
        is_lead=services.is_lead(_me()),
        confirm=ConfirmForm(),
    )


@bp.route("/fortolkning/<int:interpretation_id>")
@requires(Permission.READ_INTERPRETATION)
def interpretation(interpretation_id: int) -> str:
    found = services.visible_interpretation(db.session(), interpretation_id, _me())
    if found is None:
        abort(404)
    call = call_or_404(found.call_id)
    criterion = _criterion_or_404(call, found.criterion_id)
    newest = services.visible_versions(db.session(), call, criterion, _me())
    return render_template(
        "dialogue/interpretation.html",
        call=call,
        criterion=criterion,
        row=found,
        newest=newest[0] if newest else found,
    )


# --- the lead's register -----------------------------------------------------------------------


@bp.route("/runde/<int:call_id>/kriterium/<int:criterion_id>/fortolkning", methods=["GET", "POST"])
@requires(Permission.LEAD_ASSESSMENT)
def edit(call_id: int, criterion_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    criterion = _criterion_or_404(call, criterion_id)
    session = db.session()
    rows = services.visible_versions(session, call, criterion, _me())
    draft = rows[0] if rows and not rows[0].is_published else None
    published = next((r for r in rows if r.is_published), None)
    start = draft or published
    stored = {"text": start.text, "borderline": start.borderline} if start else {}
    if draft is not None:
        stored["change_note"] = draft.change_note
    form = InterpretationForm() if request.method == "POST" else InterpretationForm(data=stored)
    form.revision = published is not None
    if form.validate_on_submit():
        target = url_for(".call_page", call_id=call.id) + f"#kriterium-{criterion.id}"
        redirect_on_error(url_for(".edit", call_id=call.id, criterion_id=criterion.id))
        saved = services.save_interpretation(
            session, _me(), call, criterion, form.to_interpretation()
        )
        session.commit()
        flash(
            _(
                "Version %(n)d af fortolkningen er gemt som kladde. Arbejdsmarkedets parter "
                "ser den først, når den er offentliggjort.",
                n=saved.version,
            ),
            "success",
        )
        return redirect(target)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "dialogue/edit.html",
        call=call,
        criterion=criterion,
        form=form,
        draft=draft,
        published=published,
        next_version=draft.version if draft else (published.version + 1 if published else 1),
    ), status


@bp.route("/fortolkning/<int:interpretation_id>/offentliggoer", methods=["POST"])
@requires(Permission.LEAD_ASSESSMENT)
def publish(interpretation_id: int) -> ResponseReturnValue:
    session = db.session()
    found = services.visible_interpretation(session, interpretation_id, _me())
    if found is None:
        abort(404)
    call = call_or_404(found.call_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = url_for(".call_page", call_id=call.id) + f"#kriterium-{found.criterion_id}"
    redirect_on_error(target)
    linked = services.publish_interpretation(session, _me(), found)
    session.commit()
    flash(
        _(
            "Version %(n)d af fortolkningen er offentliggjort for arbejdsmarkedets parter.",
            n=found.version,
        )
        + (
            " "
            + ngettext(
                "%(num)d konsolideret score er knyttet til den.",
                "%(num)d konsoliderede scorer er knyttet til den.",
                linked,
            )
            if linked
            else ""
        ),
        "success",
    )
    return redirect(target)


@bp.route("/runde/<int:call_id>/offentliggoer", methods=["POST"])
@requires(Permission.LEAD_ASSESSMENT)
def publish_all(call_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = url_for(".call_page", call_id=call.id)
    redirect_on_error(target)
    published = services.publish_drafts(db.session(), _me(), call)
    db.session().commit()
    flash(
        ngettext(
            "%(num)d fortolkning er offentliggjort for arbejdsmarkedets parter.",
            "%(num)d fortolkninger er offentliggjort for arbejdsmarkedets parter.",
            len(published),
        ),
        "success",
    )
    return redirect(target)


# --- the meeting -------------------------------------------------------------------------------


@bp.route("/runde/<int:call_id>/moede", methods=["GET", "POST"])
@requires(Permission.LEAD_ASSESSMENT)
def meeting(call_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    session = db.session()
    found = services.meeting_of(session, call)
    held = found is not None and found.minutes is not None
    posted = request.method == "POST" and not held
    form = MeetingForm() if posted else MeetingForm(data=meeting_initial(found, call))
    if posted and form.validate():
        redirect_on_error(url_for(".meeting", call_id=call.id))
        services.save_meeting(session, _me(), call, form.to_meeting())
        session.commit()
        flash(_("Dialogmødet er gemt."), "success")
        return redirect(url_for(".call_page", call_id=call.id))
    if request.method == "POST" and held:
        flash(_("Referatet er registreret; mødets oplysninger kan ikke længere ændres."), "error")
    minutes_form = MinutesForm(data={"minutes": found.minutes} if found and found.minutes else {})
    return render_template(
        "dialogue/meeting.html",
        call=call,
        meeting=found,
        form=form,
        held=held,
        minutes_form=minutes_form,
        may_record=found is not None and utcnow() >= found.starts_at,
    ), (400 if posted else 200)


@bp.route("/runde/<int:call_id>/referat", methods=["POST"])
@requires(Permission.LEAD_ASSESSMENT)
def minutes(call_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    session = db.session()
    form = MinutesForm()
    target = url_for(".meeting", call_id=call.id)
    if not form.validate_on_submit():
        flash(_("Referatet er ikke gemt: skriv referatet af dialogmødet."), "error")
        return redirect(target + "#referat")
    redirect_on_error(target + "#referat")
    services.record_minutes(session, _me(), call, form.minutes.data or "")
    session.commit()
    flash(_("Referatet af dialogmødet er registreret og gemt med ansøgningsrunden."), "success")
    return redirect(url_for(".call_page", call_id=call.id) + "#referat")


# --- the parties' comments ---------------------------------------------------------------------


@bp.route("/runde/<int:call_id>/bemaerkning", methods=["POST"])
@requires(Permission.COMMENT_ON_DIALOGUE)
def comment(call_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    form = CommentForm()
    form.set_criteria(services.criteria_of(call))
    if not form.validate_on_submit():
        return render_template("dialogue/call.html", **_call_context(call, form)), 400
    redirect_on_error(url_for(".call_page", call_id=call.id) + "#bemaerkninger")
    services.add_comment(db.session(), _me(), call, form.to_comment())
    db.session().commit()
    flash(_("Bemærkningen er gemt til dialogmødet."), "success")
    return redirect(url_for(".call_page", call_id=call.id) + "#bemaerkninger")


# --- the packet --------------------------------------------------------------------------------


@bp.route("/runde/<int:call_id>/dialogmoede.pdf")
@requires(Permission.READ_INTERPRETATION)
def packet_pdf(call_id: int) -> ResponseReturnValue:
    call = call_or_404(call_id)
    pdf = render_pdf("pdf/dialogue_packet.html", packet.packet_context(db.session(), call, _me()))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="dialogmoede-runde-{call.id}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
