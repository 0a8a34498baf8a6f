"""A letter as its reader gets it: the context of the page and the PDF (plain values), the PDF
itself and the mail that carries it.

A letter is a Danish document whatever language the sender's or the reader's portal shows, so
the PDF and the mail are made in Danish. A draft is shown as if it were sent today, marked as a
draft.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.extent import Extent, extent_map
from portal.letters import rules
from portal.letters.services import Preview, today
from portal.mail import send_mail
from portal.models import Letter, LetterStage, LetterStatus
from portal.pdf import render_pdf

log = logging.getLogger(__name__)


def letter_context(letter: Letter, weeks: int) -> dict[str, Any]:
    """Plain values for `letters/_letter.html` and `pdf/letter.html`."""
    dated = letter.letter_date or today()
    return _context(
        letter_no=letter.id,
        draft=letter.status != LetterStatus.SENT,
        kind=letter.kind,
        selected=letter.stage == LetterStage.SELECTION,
        subject=letter.subject,
        body=letter.body,
        guidance=letter.guidance,
        facts=letter.facts,
        dated=dated,
        deadline=letter.complaint_deadline or rules.complaint_deadline(dated, weeks),
    )


def preview_context(preview: Preview, weeks: int) -> dict[str, Any] | None:
    """A template's preview as a draft letter sent today; None when it cannot be made."""
    if preview.text is None:
        return None
    dated = today()
    return _context(
        letter_no=None,
        draft=True,
        kind=preview.kind,
        selected=preview.stage == LetterStage.SELECTION,
        subject=preview.text.subject,
        body=preview.text.body,
        guidance=preview.text.guidance,
        facts=preview.facts,
        dated=dated,
        deadline=rules.complaint_deadline(dated, weeks),
    )


def _context(
    *,
    letter_no: int | None,
    draft: bool,
    kind: str,
    selected: bool,
    subject: str,
    body: str,
    guidance: str,
    facts: Mapping[str, Any],
    dated: date,
    deadline: date,
) -> dict[str, Any]:
    extent = facts.get("extent")
    return {
        "letter_no": letter_no,
        "draft": draft,
        "kind": kind,
        "subject": rules.fill_send_time(subject, dated, deadline),
        "blocks": _blocks(rules.fill_send_time(body, dated, deadline)),
        "guidance": _blocks(rules.fill_send_time(guidance, dated, deadline)),
        "fund_name": facts["fund_name"],
        "fund_cvr": facts.get("fund_cvr"),
        "call_title": facts["call_title"],
        "letter_date": rules.danish_date(dated),
        "complaint_deadline": rules.danish_date(deadline),
        "selected": selected,
        "extent": extent,
        "capacity": facts.get("capacity"),
        "volume": facts.get("volume"),
        "map": _map(extent, facts["exclusion_list"], selected) if extent else None,
    }


def _blocks(text: str) -> list[dict[str, Any]]:
    return [asdict(block) for block in rules.blocks(text)]


def _map(extent: Mapping[str, Any], exclusion_list: str, selected: bool) -> str:
    title = (
        _("Udvalgt geografisk udstrækning") if selected else _("Godkendt geografisk udstrækning")
    )
    return extent_map(
        Extent.of_municipalities(list(extent["codes"])),
        exclusion_list,
        title=title,
        legend=_("Udvalgt") if selected else _("Godkendt"),
    )


def filename(letter: Letter) -> str:
    return f"afgoerelse-{letter.id}.pdf"


def letter_pdf(letter: Letter, weeks: int) -> bytes:
    with force_locale("da"):
        return render_pdf("pdf/letter.html", letter_context(letter, weeks))


def mail_letter(config: Mapping[str, object], letter: Letter, pdf: bytes) -> bool:
    """Send the letter as a PDF to its recipients; False when there are none or it failed
    (the a-kasse reads the letter in the portal either way)."""
    if not letter.recipients:
        return False
    with force_locale("da"):
        subject = rules.fill_send_time(
            letter.subject, letter.letter_date or today(), letter.complaint_deadline or today()
        )
        body = _(
            "Styrelsen for Arbejdsmarked og Rekruttering sender hermed et brev til "
            "%(fund)s om «%(call)s». Brevet er vedhæftet som PDF og kan også læses i "
            "Forsøgsportalen under «Breve».\n\nKlagefrist: %(deadline)s.",
            fund=letter.facts["fund_name"],
            call=letter.facts["call_title"],
            deadline=rules.danish_date(letter.complaint_deadline or today()),
        )
    try:
        send_mail(
            config,
            [str(address) for address in letter.recipients],
            subject,
            body,
            [(filename(letter), "application/pdf", pdf)],
        )
    except OSError:
        log.exception("mail of letter %s failed", letter.id)
        return False
    return True
