"""Decision letters and appeals.

The agency (administrator and lead) generates letters for a call, reads them and approves
another person's draft, which sends it; the administrator edits the templates, with a
preview. The a-kasse reads its sent letters and its signatory may appeal within the deadline.
The lead assigns an appeal to someone who took no part in the assessment, who records the
outcome.

Object rules: another a-kasse's letter, a draft or a discarded letter is a 404 to an a-kasse;
an appeal is a 404 to anyone but the lead and its handler.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
from sqlalchemy import select

from portal import db
from portal.access import Permission, can_read_letter, current_user_model, requires
from portal.errors import LetterError, message, redirect_on_error
from portal.extent import Extent, extent_map
from portal.forms import ConfirmForm, options
from portal.letters import documents, rules, services
from portal.letters.forms import AppealForm, HandlerForm, OutcomeForm, TemplateForm
from portal.models import (
    Appeal,
    Call,
    CallStatus,
    EligibilityDecision,
    Letter,
    LetterStage,
    LetterStatus,
    Municipality,
    Organisation,
    Region,
    Role,
    User,
)
from portal.web import call_or_404

bp = Blueprint("letters", __name__, url_prefix="/breve")

STAGES = {"afgoerelse": LetterStage.ELIGIBILITY, "udvaelgelse": LetterStage.SELECTION}


def _me() -> User:
    return current_user_model()


def _weeks() -> int:
    return int(current_app.config["LETTER_COMPLAINT_WEEKS"])


def _letter_or_404(letter_id: int) -> Letter:
    letter = db.session().get(Letter, letter_id)
    if letter is None:
        abort(404)
    return letter


def _pdf_response(letter: Letter) -> Response:
    pdf = letter.pdf or documents.letter_pdf(letter, _weeks())
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{documents.filename(letter)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {u.id: u.name for u in db.session().scalars(select(User).where(User.id.in_(wanted)))}


# --- the agency's letters ----------------------------------------------------------------------


def _call_rows() -> list[dict[str, Any]]:
    session = db.session()
    calls = session.scalars(
        select(Call).where(Call.status != CallStatus.DRAFT).order_by(Call.deadline_at.desc())
    )
    rows = []
    for call in calls:
        published = services.published_decisions(session, call)
        if not published:
            continue
        rows.append(
            {
                "call": call,
                "published": len(published),
                "eligibility_missing": len(
                    services.without_letter(session, call, LetterStage.ELIGIBILITY)
                ),
                "selection_decided": services.selection_of(session, call) is not None,
                "selection_missing": len(
                    services.without_letter(session, call, LetterStage.SELECTION)
                ),
            }
        )
    return rows


@bp.route("/")
@requires(Permission.MANAGE_LETTERS)
def index() -> str:
    session = db.session()
    lists = {status: services.letters_of(session, status) for status in LetterStatus}
    every = [letter for letters in lists.values() for letter in letters]
    return render_template(
        "letters/index.html",
        calls=_call_rows(),
        drafts=lists[LetterStatus.DRAFT],
        sent=lists[LetterStatus.SENT],
        discarded=lists[LetterStatus.DISCARDED],
        funds=_fund_names({letter.organisation_id for letter in every}),
        people=_names(
            {i for letter in every for i in (letter.created_by_id, letter.approved_by_id)}
        ),
        appeals=services.appeals_by_letter(session, [letter.id for letter in every]),
        kind_labels=rules.KIND_LABELS,
        confirm=ConfirmForm(),
        me=_me(),
    )


def _fund_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session().scalars(select(Organisation).where(Organisation.id.in_(list(ids))))
    return {org.id: org.name for org in rows}


@bp.route("/runde/<int:call_id>/dan/<stage>", methods=["POST"])
@requires(Permission.MANAGE_LETTERS)
def generate(call_id: int, stage: str) -> ResponseReturnValue:
    call = call_or_404(call_id)
    if stage not in STAGES or not ConfirmForm().validate_on_submit():
        abort(404 if stage not in STAGES else 400)
    redirect_on_error(url_for(".index"))
    letters = services.generate(db.session(), _me(), call, STAGES[stage])
    db.session().commit()
    flash(
        ngettext(
            "%(num)d brev er dannet og venter på en anden persons godkendelse.",
            "%(num)d breve er dannet og venter på en anden persons godkendelse.",
            len(letters),
        ),
        "success",
    )
    return redirect(url_for(".index") + "#venter")


@bp.route("/<int:letter_id>")
@requires(Permission.MANAGE_LETTERS)
def letter(letter_id: int) -> str:
    found = _letter_or_404(letter_id)
    session = db.session()
    return render_template(
        "letters/letter.html",
        letter=found,
        doc=documents.letter_context(found, _weeks()),
        people=_names({found.created_by_id, found.approved_by_id, found.discarded_by_id}),
        appeal=services.appeal_of(session, found),
        kind_labels=rules.KIND_LABELS,
        confirm=ConfirmForm(),
        me=_me(),
    )


@bp.route("/<int:letter_id>/pdf")
@requires(Permission.MANAGE_LETTERS)
def letter_pdf(letter_id: int) -> Response:
    return _pdf_response(_letter_or_404(letter_id))


@bp.route("/<int:letter_id>/godkend", methods=["POST"])
@requires(Permission.MANAGE_LETTERS)
def approve(letter_id: int) -> ResponseReturnValue:
    found = _letter_or_404(letter_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session = db.session()
    redirect_on_error(url_for(".letter", letter_id=found.id))
    services.approve(session, _me(), found, _weeks())
    session.commit()
    pdf = documents.letter_pdf(found, _weeks())
    mailed = documents.mail_letter(current_app.config, found, pdf)
    services.keep_sent(session, found, pdf, mailed)
    session.commit()
    flash(
        _("Brevet er godkendt og sendt til %(fund)s.", fund=found.facts["fund_name"])
        if mailed
        else _(
            "Brevet er godkendt; %(fund)s kan læse det i portalen (e-mailen kunne ikke sendes).",
            fund=found.facts["fund_name"],
        ),
        "success",
    )
    return redirect(url_for(".letter", letter_id=found.id))


@bp.route("/<int:letter_id>/kasser", methods=["POST"])
@requires(Permission.MANAGE_LETTERS)
def discard(letter_id: int) -> ResponseReturnValue:
    found = _letter_or_404(letter_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    redirect_on_error(url_for(".letter", letter_id=found.id))
    services.discard(db.session(), _me(), found)
    db.session().commit()
    flash(_("Brevet er kasseret. Det kan dannes igen fra oversigten."), "success")
    return redirect(url_for(".index"))


# --- templates ---------------------------------------------------------------------------------


@bp.route("/skabeloner")
@requires(Permission.EDIT_LETTER_TEMPLATES)
def templates() -> str:
    session = db.session()
    stored = {kind: services.stored_template(session, kind) for kind in rules.KINDS}
    return render_template(
        "letters/templates.html",
        kinds=rules.KINDS,
        stored=stored,
        people=_names({row.updated_by_id for row in stored.values() if row is not None}),
        kind_labels=rules.KIND_LABELS,
    )


def _kind_or_404(kind: str) -> str:
    if kind not in rules.KINDS:
        abort(404)
    return kind


@bp.route("/skabeloner/<kind>", methods=["GET", "POST"])
@requires(Permission.EDIT_LETTER_TEMPLATES)
def edit_template(kind: str) -> ResponseReturnValue:
    kind = _kind_or_404(kind)
    session = db.session()
    current = services.template_for(session, kind)
    form = (
        TemplateForm()
        if request.method == "POST"
        else TemplateForm(formdata=None, data=current.__dict__)
    )
    candidates = services.preview_decisions(session, kind)
    form.decision.choices = options((str(d.id), name) for d, name in candidates)
    text = current
    valid = True
    if request.method == "POST":
        valid = form.validate() and form.check(kind)
        text = form.to_text()
        if valid and form.action.data == "save":
            services.save_template(session, _me(), kind, text)
            session.commit()
            flash(_("Skabelonen er gemt. Nye breve dannes med den."), "success")
            return redirect(url_for(".edit_template", kind=kind))
        if not valid:
            flash(message(LetterError("invalid_template")), "error")
    preview = _preview(kind, text, form.decision.data, candidates) if valid else None
    return render_template(
        "letters/template.html",
        kind=kind,
        form=form,
        allowed=rules.ALLOWED[kind],
        required=set(rules.REQUIRED_IN_BODY[kind]) | set(rules.REQUIRED_IN_GUIDANCE),
        labels=rules.PLACEHOLDER_LABELS,
        kind_labels=rules.KIND_LABELS,
        stored=services.stored_template(session, kind),
        preview=preview,
        has_candidates=bool(candidates),
        confirm=ConfirmForm(),
    ), (200 if valid else 400)


def _preview(
    kind: str,
    text: services.TemplateText,
    chosen: int | None,
    candidates: list[tuple[EligibilityDecision, str]],
) -> dict[str, Any] | None:
    decision = next((d for d, _name in candidates if d.id == chosen), None)
    if decision is None and candidates:
        decision = candidates[0][0]
    if decision is None:
        return None
    made = services.preview(db.session(), kind, text, decision)
    return {
        "doc": documents.preview_context(made, _weeks()),
        "refusal": message(made.refusal) if made.refusal else None,
        "decision_id": decision.id,
    }


@bp.route("/skabeloner/<kind>/standard", methods=["POST"])
@requires(Permission.EDIT_LETTER_TEMPLATES)
def reset_template(kind: str) -> ResponseReturnValue:
    kind = _kind_or_404(kind)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.reset_template(db.session(), _me(), kind)
    db.session().commit()
    flash(_("Standardteksten er gendannet."), "success")
    return redirect(url_for(".edit_template", kind=kind))


# --- the a-kasse's letters ---------------------------------------------------------------------


def _own_letter_or_404(letter_id: int) -> Letter:
    found = db.session().get(Letter, letter_id)
    if found is None or not can_read_letter(_me(), found):
        abort(404)
    return found


@bp.route("/akasse")
@requires(Permission.READ_LETTERS)
def fund_index() -> str:
    session = db.session()
    letters = services.fund_letters(session, _me().organisation_id)
    return render_template(
        "letters/fund_index.html",
        letters=letters,
        appeals=services.appeals_by_letter(session, [letter.id for letter in letters]),
        kind_labels=rules.KIND_LABELS,
        status_labels=rules.APPEAL_STATUS_LABELS,
    )


def _fund_letter_page(found: Letter, form: AppealForm) -> str:
    session = db.session()
    appeal = services.appeal_of(session, found)
    return render_template(
        "letters/fund_letter.html",
        letter=found,
        doc=documents.letter_context(found, _weeks()),
        appeal=appeal,
        may_appeal=appeal is None and services.may_appeal(found),
        form=form,
        status_labels=rules.APPEAL_STATUS_LABELS,
        outcome_labels=rules.OUTCOME_LABELS,
        kind_labels=rules.KIND_LABELS,
    )


@bp.route("/akasse/<int:letter_id>")
@requires(Permission.READ_LETTERS)
def fund_letter(letter_id: int) -> str:
    return _fund_letter_page(_own_letter_or_404(letter_id), AppealForm())


@bp.route("/akasse/<int:letter_id>/pdf")
@requires(Permission.READ_LETTERS)
def fund_pdf(letter_id: int) -> Response:
    return _pdf_response(_own_letter_or_404(letter_id))


@bp.route("/akasse/<int:letter_id>/klage", methods=["POST"])
@requires(Permission.FILE_APPEAL)
def file_appeal(letter_id: int) -> ResponseReturnValue:
    found = _own_letter_or_404(letter_id)
    form = AppealForm()
    if not form.validate_on_submit():
        return _fund_letter_page(found, form), 400
    target = url_for(".fund_letter", letter_id=found.id)
    redirect_on_error(target + "#klage")
    services.file_appeal(db.session(), _me(), found, form.reasons.data or "")
    db.session().commit()
    flash(
        _("Klagen er modtaget. I får besked i portalen, når den er behandlet."),
        "success",
    )
    return redirect(target + "#klage")


# --- appeals -----------------------------------------------------------------------------------


def _appeal_or_404(appeal_id: int) -> Appeal:
    found = db.session().get(Appeal, appeal_id)
    if found is None or not services.may_see_appeal(_me(), found):
        abort(404)
    return found


@bp.route("/klager")
@requires(Permission.HANDLE_APPEALS)
def appeals() -> str:
    session = db.session()
    rows = services.appeals_for(session, _me())
    letters = {a.letter_id: session.get(Letter, a.letter_id) for a in rows}
    return render_template(
        "letters/appeals.html",
        appeals=rows,
        letters=letters,
        funds=_fund_names({a.organisation_id for a in rows}),
        people=_names({a.handler_id for a in rows}),
        status_labels=rules.APPEAL_STATUS_LABELS,
        outcome_labels=rules.OUTCOME_LABELS,
        kind_labels=rules.KIND_LABELS,
    )


def _outcome_choices(decision: EligibilityDecision) -> dict[str, Any]:
    """The requested (covered) municipalities by region, for a changed extent."""
    session = db.session()
    covered, declared = services.requested_of(session, decision)
    regions = list(session.scalars(select(Region).order_by(Region.code)))
    towns = list(
        session.scalars(
            select(Municipality).where(Municipality.code.in_(covered)).order_by(Municipality.name)
        )
    )
    by_region = {r.code: [m for m in towns if m.region_code == r.code] for r in regions}
    return {
        "regions": [r for r in regions if by_region[r.code]],
        "by_region": by_region,
        "declared": declared,
    }


def _appeal_page(found: Appeal, outcome: OutcomeForm | None = None) -> str:
    session = db.session()
    me = _me()
    decision = session.get(EligibilityDecision, found.decision_id)
    letter_row = session.get(Letter, found.letter_id)
    assert decision is not None and letter_row is not None
    staff = services.handler_candidates(session, found)
    handler_form = HandlerForm()
    handler_form.handler.choices = options((str(u.id), u.name) for u in staff)
    current = services.decision_values(decision)
    if outcome is None:
        outcome = OutcomeForm(
            formdata=None,
            data={
                "eligible": "yes" if current["eligible"] else "no",
                "approved": current["extent"],
                "capacity": current["capacity"],
            },
        )
    return render_template(
        "letters/appeal.html",
        appeal=found,
        letter=letter_row,
        doc=documents.letter_context(letter_row, _weeks()),
        decision=decision,
        current=current,
        current_map=extent_map(
            Extent.of_municipalities(current["extent"]),
            letter_row.facts["exclusion_list"],
            title=_("Godkendt geografisk udstrækning"),
            legend=_("Godkendt"),
        )
        if current["extent"]
        else None,
        fund=letter_row.facts["fund_name"],
        people=_names({found.handler_id, found.filed_by_id, found.assigned_by_id}),
        staff=staff,
        handler_form=handler_form,
        outcome_form=outcome,
        is_lead=me.role == Role.LEAD_ASSESSOR,
        is_handler=found.handler_id == me.id,
        status_labels=rules.APPEAL_STATUS_LABELS,
        outcome_labels=rules.OUTCOME_LABELS,
        kind_labels=rules.KIND_LABELS,
        **_outcome_choices(decision),
    )


@bp.route("/klager/<int:appeal_id>")
@requires(Permission.HANDLE_APPEALS)
def appeal(appeal_id: int) -> str:
    return _appeal_page(_appeal_or_404(appeal_id))


@bp.route("/klager/<int:appeal_id>/tildel", methods=["POST"])
@requires(Permission.LEAD_ASSESSMENT)
def assign(appeal_id: int) -> ResponseReturnValue:
    found = _appeal_or_404(appeal_id)
    session = db.session()
    form = HandlerForm()
    form.handler.choices = options(
        (str(u.id), u.name) for u in session.scalars(select(User).where(User.is_active))
    )
    target = url_for(".appeal", appeal_id=found.id)
    if not form.validate_on_submit():
        flash(_("Vælg en sagsbehandler til klagen."), "error")
        return redirect(target)
    handler = session.get(User, form.handler.data)
    if handler is None:
        abort(404)
    redirect_on_error(target)
    services.assign_handler(session, _me(), found, handler)
    session.commit()
    flash(_("Klagen er fordelt til %(name)s.", name=handler.name), "success")
    return redirect(target)


@bp.route("/klager/<int:appeal_id>/afgoer", methods=["POST"])
@requires(Permission.HANDLE_APPEALS)
def decide(appeal_id: int) -> ResponseReturnValue:
    found = _appeal_or_404(appeal_id)
    session = db.session()
    form = OutcomeForm()
    decision = session.get(EligibilityDecision, found.decision_id)
    assert decision is not None
    if not form.validate_on_submit():
        return _appeal_page(found, form), 400
    data = form.to_data()
    if data.outcome == rules.CHANGED:
        problems = services.change_problems(session, decision, data)
        for name, problem in problems.items():
            form[name].errors = [*form[name].errors, _(problem)]
        if problems:
            flash(message(LetterError("invalid_change")), "error")
            return _appeal_page(found, form), 400
    redirect_on_error(url_for(".appeal", appeal_id=found.id))
    services.decide_appeal(session, _me(), found, data)
    session.commit()
    flash(
        _("Klagen er afgjort: afgørelsen er ændret og indgår i næste beregning af udvælgelsen.")
        if data.outcome == rules.CHANGED
        else _("Klagen er afgjort: afgørelsen fastholdes."),
        "success",
    )
    return redirect(url_for(".appeal", appeal_id=found.id))
