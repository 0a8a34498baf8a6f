"""Domain errors, their Danish messages, and the one place they become responses.

Services raise `DomainError(code, **params)` (one subclass per area). `MESSAGES` maps each
area's codes to Danish message ids. The registered handler rolls back, flashes the message
and redirects (POST/redirect/GET); a view catches a domain error itself only where it must
re-render the form with what the user typed (then it calls `message(error)`).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, ClassVar
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal import db
from portal.i18n import N_

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A refusal a user can act on. `code` names it within its area; `params` fill the text."""

    area: ClassVar[str] = "portal"

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(f"{self.area}.{code} {params}" if params else f"{self.area}.{code}")
        self.code = code
        self.params = params

    @property
    def key(self) -> str:
        return f"{self.area}.{self.code}"


class AccountError(DomainError):
    area = "accounts"


class CallError(DomainError):
    area = "calls"


class ApplicationError(DomainError):
    area = "applications"


class AssessmentError(DomainError):
    area = "assessment"


class ProposalError(DomainError):
    area = "proposals"


class LetterError(DomainError):
    area = "letters"


class DialogueError(DomainError):
    area = "dialogue"


# One catalogue: area.code -> Danish message id (translated when shown).
MESSAGES: dict[str, str] = {
    # accounts
    "accounts.bad_credentials": N_("E-mail eller adgangskode er forkert."),
    "accounts.bad_current_password": N_("Den nuværende adgangskode er forkert."),
    "accounts.throttled": N_(
        "For mange mislykkede forsøg. Kontoen er midlertidigt spærret; prøv igen om "
        "%(minutes)d minutter."
    ),
    "accounts.inactive": N_("Kontoen er spærret. Kontakt administratoren."),
    "accounts.demo_disabled": N_("Demokonti kan kun bruges, når portalen kører i demotilstand."),
    # accounts: user management
    "accounts.not_allowed": N_("Du kan ikke ændre denne brugers konto. Intet er ændret."),
    "accounts.email_taken": N_("Der findes allerede en bruger med denne e-mailadresse."),
    "accounts.role_not_for_organisation": N_(
        "Rollen passer ikke til organisationen: en a-kasses brugere er tegningsberettigede "
        "eller medarbejdere, styrelsens er administratorer eller sagsbehandlere, og "
        "aftalepartierne og arbejdsmarkedets parter har hver deres rolle."
    ),
    "accounts.party_missing": N_("Skriv hvilket parti medlemmet repræsenterer, fx Venstre."),
    "accounts.last_admin": N_(
        "Portalen skal have mindst én aktiv administrator. Gør først en anden bruger til "
        "administrator. Intet er ændret."
    ),
    "accounts.own_account": N_("Du kan ikke spærre din egen konto. Intet er ændret."),
    "accounts.user_inactive": N_(
        "Kontoen er spærret. Genaktivér den, før du sender et link til ny adgangskode."
    ),
    "accounts.mail_failed": N_(
        "E-mailen med linket kunne ikke sendes, så intet er gemt. Prøv igen om lidt."
    ),
    # calls
    "calls.already_published": N_("Kriteriesættet er allerede offentliggjort."),
    "calls.no_criteria": N_("Et kriteriesæt skal have mindst ét kriterium."),
    "calls.set_not_published": N_("En ansøgningsrunde kræver et offentliggjort kriteriesæt."),
    "calls.deadline_before_opening": N_("Fristen skal ligge efter åbningstidspunktet."),
    "calls.deadline_in_past": N_(
        "Fristen ligger i fortiden. Vælg en frist, der endnu ikke er passeret."
    ),
    "calls.call_closed": N_("Runden er lukket og kan ikke længere ændres."),
    "calls.set_frozen": N_("Et offentliggjort kriteriesæt kan ikke ændres. Lav en ny version."),
    "calls.inflow_without_rows": N_("Tilgangsfilen har ingen rækker. Intet er gemt."),
    "calls.inflow_already_modelled": N_("Runden bruger allerede modelleret tilgang."),
    # applications
    "applications.closed": N_(
        "Fristen er overskredet, eller runden er ikke åben. Ansøgningen kan ikke ændres."
    ),
    "applications.stale": N_(
        "Ansøgningen er ændret eller indsendt, siden du åbnede siden. Gennemse den og indsend igen."
    ),
    "applications.incomplete": N_(
        "Ansøgningen mangler %(count)d punkt(er) på tjeklisten og kan ikke indsendes."
    ),
    "applications.not_signatory": N_(
        "Kun a-kassens tegningsberettigede kan indsende eller trække ansøgningen tilbage."
    ),
    "applications.not_submitted": N_("Kun en indsendt ansøgning kan trækkes tilbage."),
    "applications.stale_draft": N_(
        "Ikke gemt endnu: en anden har gemt ansøgningen, mens du skrev. Din tekst er bevaret; "
        "vælg ved hvert felt, hvilken version der skal gemmes, og gem igen."
    ),
    "applications.attachments_too_large": N_("Bilagene må tilsammen højst fylde %(limit_mb)d MB."),
    "applications.annex_pages": N_(
        "Bilagene ville fylde %(pages)d sider; grænsen for bilag er %(limit)d sider."
    ),
    "applications.extension_not_later": N_("Den nye frist skal ligge efter rundens frist."),
    "applications.concurrent_change": N_(
        "Ansøgningen blev ændret samtidig af en anden. Intet er gemt; prøv igen."
    ),
    "applications.no_signatory": N_(
        "A-kassen har ingen aktiv tegningsberettiget i portalen. Bed administratoren om at "
        "oprette en."
    ),
    # assessment (Trin 2)
    "assessment.lead_only": N_("Kun den ledende sagsbehandler kan gøre dette."),
    "assessment.nothing_to_assign": N_("Der er ingen ansøgninger at fordele endnu."),
    "assessment.no_assessors": N_("Der er ingen aktive sagsbehandlere at fordele til."),
    "assessment.not_an_assessor": N_("Kun aktive sagsbehandlere kan tildeles en ansøgning."),
    "assessment.conflict_declared": N_(
        "%(name)s har erklæret interessekonflikt for denne ansøgning og kan ikke tildeles den."
    ),
    "assessment.already_assigned": N_("%(name)s er allerede tildelt ansøgningen."),
    "assessment.not_assigned": N_("Ansøgningen er ikke tildelt dig."),
    "assessment.has_assessment": N_(
        "%(name)s er gået i gang med at vurdere ansøgningen og kan ikke fjernes."
    ),
    "assessment.already_declared": N_("Du har allerede afgivet din habilitetserklæring."),
    "assessment.conflict_reason_missing": N_("Beskriv interessekonflikten."),
    "assessment.not_declared": N_("Afgiv din habilitetserklæring, før du vurderer ansøgningen."),
    "assessment.consolidation_started": N_(
        "Konsolideringen er gået i gang; de individuelle vurderinger kan ikke længere ændres."
    ),
    "assessment.already_submitted": N_(
        "Din vurdering er allerede indsendt og kan ikke ændres. Den ledende sagsbehandler "
        "kan genåbne den."
    ),
    "assessment.invalid_scores": N_("Vurderingen har %(count)d fejl; se ved kriterierne."),
    "assessment.reopen_reason_missing": N_("Skriv hvorfor vurderingen genåbnes."),
    "assessment.not_submitted": N_("Vurderingen er ikke indsendt."),
    "assessment.question_missing": N_("Skriv spørgsmålet til a-kassen."),
    "assessment.due_in_past": N_("Svarfristen skal ligge i fremtiden."),
    "assessment.not_signatory": N_("Kun a-kassens tegningsberettigede kan svare."),
    "assessment.already_answered": N_("Spørgsmålet er allerede besvaret."),
    "assessment.answer_missing": N_("Skriv svaret."),
    "assessment.too_few_assessments": N_(
        "Konsolideringen kræver mindst %(required)d indsendte vurderinger."
    ),
    "assessment.consolidation_signed_off": N_("Konsolideringen er godkendt og kan ikke ændres."),
    "assessment.invalid_consolidation": N_(
        "Konsolideringen har %(count)d fejl; se ved kriterierne."
    ),
    "assessment.not_consolidated": N_(
        "Afgørelsen kræver en godkendt konsolidering af vurderingerne."
    ),
    "assessment.decision_published": N_("Afgørelsen er offentliggjort og er endelig."),
    "assessment.invalid_decision": N_("Afgørelsen har fejl; se ved felterne."),
    "assessment.nothing_to_publish": N_("Der er ingen afventende afgørelser at offentliggøre."),
    # dialogue (Trin 2: interpretations and the dialogue meeting)
    "dialogue.lead_only": N_("Kun den ledende sagsbehandler kan gøre dette."),
    "dialogue.criterion_not_in_call": N_("Kriteriet hører ikke til ansøgningsrunden."),
    "dialogue.text_missing": N_("Skriv styrelsens fortolkning af kriteriet. Intet er gemt."),
    "dialogue.change_note_missing": N_(
        "Skriv, hvad der er ændret i forhold til den offentliggjorte version. Intet er gemt."
    ),
    "dialogue.already_published": N_(
        "Fortolkningen er offentliggjort og kan ikke ændres; en ændring bliver en ny version."
    ),
    "dialogue.nothing_to_publish": N_("Der er ingen kladder til fortolkninger at offentliggøre."),
    "dialogue.meeting_incomplete": N_("Skriv mødets sted og dagsorden. Intet er gemt."),
    "dialogue.meeting_held": N_(
        "Referatet af dialogmødet er registreret; mødets tid, sted og dagsorden kan ikke "
        "længere ændres."
    ),
    "dialogue.meeting_missing": N_("Dialogmødet er ikke planlagt endnu."),
    "dialogue.meeting_not_held": N_("Referatet kan først registreres, når dialogmødet er holdt."),
    "dialogue.minutes_missing": N_("Skriv referatet af dialogmødet. Intet er gemt."),
    "dialogue.not_a_labour_party": N_(
        "Kun arbejdsmarkedets parter kan skrive bemærkninger til dialogmødet."
    ),
    "dialogue.comment_missing": N_("Skriv bemærkningen. Intet er gemt."),
    "dialogue.comments_closed": N_(
        "Dialogmødet er begyndt; der kan ikke længere skrives bemærkninger til det."
    ),
    # proposals (Trin 3)
    "proposals.not_allowed": N_(
        "Kun den ledende sagsbehandler og administratoren kan starte beregninger og "
        "registrere beslutningen."
    ),
    "proposals.no_published_decisions": N_(
        "Runden har ingen offentliggjorte afgørelser om støtteberettigelse endnu; de skal "
        "offentliggøres i trin 2, før der kan beregnes forslag."
    ),
    "proposals.no_eligible_funds": N_(
        "Ingen a-kasse er fundet støtteberettiget i runden, så der er intet at udvælge imellem."
    ),
    "proposals.call_decided": N_(
        "Aftalepartierne har truffet beslutning i runden; udvælgelsen er låst."
    ),
    "proposals.not_running": N_("Beregningen er allerede afsluttet."),
    "proposals.not_a_party_member": N_(
        "Kun medlemmer af aftalepartierne med et parti på deres konto kan gøre dette."
    ),
    "proposals.note_missing": N_("Skriv noten."),
    "proposals.unknown_stance": N_("Vælg partiets holdning."),
    "proposals.not_decidable": N_(
        "Beslutningen kan kun registreres for et forslag fra en afsluttet beregning, der "
        "overholder målene."
    ),
    "proposals.minutes_missing": N_("Skriv referatet af beslutningen."),
    # letters and appeals
    "letters.not_allowed": N_(
        "Kun administratoren og den ledende sagsbehandler kan danne, godkende og sende breve."
    ),
    "letters.admin_only": N_("Kun administratoren kan ændre brevskabelonerne."),
    "letters.unknown_kind": N_("Den slags brev findes ikke."),
    "letters.invalid_template": N_("Skabelonen har fejl; se ved felterne. Intet er gemt."),
    "letters.unknown_placeholder": N_(
        "Brevet til %(fund)s kan ikke dannes: skabelonen har ukendte flettefelter "
        "(%(names)s). Ret skabelonen. Intet er gemt."
    ),
    "letters.template_incomplete": N_(
        "Brevet til %(fund)s kan ikke dannes: skabelonen mangler afgørelsen, begrundelsen "
        "eller klagefristen. Ret skabelonen. Intet er gemt."
    ),
    "letters.unresolved": N_(
        "Brevet til %(fund)s kan ikke dannes: flettefeltet %(names)s har ingen værdi for "
        "denne afgørelse. Intet er gemt."
    ),
    "letters.nothing_to_generate": N_("Alle afgørelser i runden har allerede et brev."),
    "letters.no_selection_decision": N_(
        "Aftalepartierne har ikke truffet beslutning om udvælgelsen i runden endnu."
    ),
    "letters.not_a_draft": N_("Brevet er allerede godkendt og sendt, eller det er kasseret."),
    "letters.own_letter": N_(
        "Du har selv dannet brevet og kan ikke godkende det: en anden person skal godkende "
        "det, før det sendes. Intet er ændret."
    ),
    "letters.not_signatory": N_("Kun a-kassens tegningsberettigede kan klage over afgørelsen."),
    "letters.not_sent": N_("Brevet er ikke sendt."),
    "letters.already_appealed": N_("I har allerede klaget over denne afgørelse."),
    "letters.appeal_too_late": N_(
        "Klagefristen udløb %(deadline)s. Klagen kan ikke modtages, og intet er gemt."
    ),
    "letters.appeal_reasons_missing": N_("Skriv, hvad I klager over, og hvorfor."),
    "letters.lead_only": N_("Kun den ledende sagsbehandler kan fordele klager."),
    "letters.not_a_handler": N_("Kun aktive medarbejdere i styrelsen kan behandle klager."),
    "letters.handler_took_part": N_(
        "%(name)s har deltaget i vurderingen af ansøgningen og kan ikke behandle klagen."
    ),
    "letters.appeal_decided": N_("Klagen er afgjort og kan ikke ændres."),
    "letters.not_handler": N_("Klagen er ikke fordelt til dig."),
    "letters.outcome_reasoning_missing": N_("Skriv begrundelsen for afgørelsen af klagen."),
    "letters.unknown_outcome": N_("Vælg, om afgørelsen fastholdes eller ændres."),
    "letters.invalid_change": N_("Den ændrede afgørelse har fejl; se ved felterne."),
    "letters.nothing_changed": N_(
        "Den ændrede afgørelse er den samme som den oprindelige. Vælg «Afgørelsen "
        "fastholdes», eller ret afgørelsen."
    ),
}


def message(error: DomainError) -> str:
    """The error's text in the user's language."""
    return gettext(MESSAGES[error.key], **error.params)


def redirect_on_error(url: str) -> None:
    """Where the handler sends the user back to if a domain error follows in this request."""
    g.domain_error_target = url


def _back() -> str:
    target = g.get("domain_error_target")
    if target:
        return str(target)
    referrer = request.referrer
    if referrer and urlsplit(referrer).netloc == request.host:
        parts = urlsplit(referrer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return url_for("home.index")


def _domain_error(error: DomainError) -> ResponseReturnValue:
    db.session().rollback()
    text = message(error)
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(ok=False, code=error.key, message=text), 409
    flash(text, "error")
    return redirect(_back())


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    # First of all: Flask-WTF's CSRF check fails on a form field without a name.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nameless_fields)


def _refuse_nameless_fields() -> None:
    """A multipart part without a name (no browser sends one) is a malformed request: 400."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if any(not isinstance(key, str) for key in (*request.form.keys(), *request.files.keys())):
        abort(400)


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/error.html", code=400, kind="csrf"), 400


def _http_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    kind = str(code) if code in (400, 403, 404, 405, 413, 429) else "other"
    return render_template("errors/error.html", code=code, kind=kind), code


def _unexpected(error: Exception) -> tuple[str, int]:
    """The Danish 500 page. The request's session is rolled back first (after a database
    error it refuses every query until then); if the page still cannot be drawn (the database
    is unusable), it is drawn as for the anonymous, which needs no database."""
    log.exception("unhandled error: %s", type(error).__name__)
    _discard_request_session()
    try:
        return render_template("errors/error.html", code=500, kind="500"), 500
    except Exception:
        log.exception("the error page needed the database; drawn without the user")
    _discard_request_session()
    # Flask-Login's own way to make this request's user the anonymous one.
    current_app.login_manager._update_request_context_with_user()  # type: ignore[attr-defined]
    return render_template("errors/error.html", code=500, kind="500"), 500


def _discard_request_session() -> None:
    """Roll back the request's session; drop it if even that fails (a later use opens anew)."""
    session = g.get("db_session")
    if session is None:
        return
    try:
        session.rollback()
    except Exception:
        log.exception("rollback after an unhandled error failed")
        g.pop("db_session", None)
        with contextlib.suppress(Exception):  # the connection is already gone
            session.close()
