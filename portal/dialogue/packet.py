"""What the labour-market parties read, as plain data: per criterion the published
interpretation, its history and the distribution of consolidated scores; the published
decisions with a map of the approved extents. The parties' page and the printed
dialogue-meeting packet (`pdf/dialogue_packet.html`) are drawn from the same blocks.

Everything here is primitives (str, int, bool, datetime, lists and dicts of them), so the
packet can go to `render_pdf` as it is.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from geo.maps import render_map
from geo.reference import exclusion_list, municipalities
from portal.dialogue import rules, services
from portal.dialogue.charts import distribution_chart
from portal.maps import map_geometry, map_words
from portal.models import Call, Criterion, CriterionInterpretation, User, utcnow


def bar_label(criterion: Criterion, score: int | None) -> str:
    if score is None:
        return _("Kan ikke vurderes")
    anchor = (criterion.anchors or {}).get(str(score))
    return f"{score} – {anchor}" if anchor else str(score)


def _version(row: CriterionInterpretation) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "text": row.text,
        "borderline": row.borderline,
        "change_note": row.change_note,
        "published_at": row.published_at,
    }


def criterion_block(entry: services.RegisterEntry, dist: rules.Distribution) -> dict[str, Any]:
    """One criterion: its text, the current published interpretation and the earlier ones
    (never a draft), the distribution (chart and rows) and which versions the scores relied
    on."""
    criterion = entry.criterion
    longest = max([bar.count for bar in dist.bars] + [1])
    items = [
        (
            bar_label(criterion, bar.score),
            bar.count,
            bar.score is not None and bar.score >= criterion.threshold,
        )
        for bar in dist.bars
    ]
    bars = [
        {
            "label": label,
            "count": count,
            "reaches": reaches,
            "funds": list(bar.funds),
            # The bar's length in the printed table, in per cent of the longest.
            "length": round(count / longest * 100),
        }
        for (label, count, reaches), bar in zip(items, dist.bars, strict=True)
    ]
    return {
        "id": criterion.id,
        "number": criterion.position,
        "title": criterion.title,
        "guidance": criterion.guidance,
        "threshold": criterion.threshold,
        "threshold_label": bar_label(criterion, criterion.threshold),
        "interpretation": _version(entry.current) if entry.current else None,
        "earlier": [_version(row) for row in entry.history[1:]],
        "bars": bars,
        "total": dist.total,
        "meeting": dist.meeting,
        "chart": str(
            distribution_chart(
                items,
                title=_(
                    "Konsoliderede scorer (%(n)d ansøgninger, tærskel %(threshold)d)",
                    n=dist.total,
                    threshold=criterion.threshold,
                ),
            )
        ),
        "reliance": [{"version": v, "count": n} for v, n in entry.reliance.by_version],
        "unlinked": entry.reliance.unlinked,
    }


def criteria_blocks(db: Session, call: Call, viewer: User) -> list[dict[str, Any]]:
    dists = services.distributions(db, call)
    return [
        criterion_block(entry, dists[entry.criterion.id])
        for entry in services.register(db, call, viewer)
    ]


def approved_extent_map(counts: dict[str, int], exclusion_list_name: str) -> str:
    """How many eligible a-kasser each municipality is approved for; the call's frikommuner
    hatched (never approved)."""
    excluded = exclusion_list(exclusion_list_name)
    values: dict[str, float | None] = {
        code: None if code in excluded else float(counts.get(code, 0))
        for code in municipalities().index
    }
    return render_map(
        values,
        title=_("Godkendt geografisk udstrækning"),
        excluded=excluded,
        legend_title=_("Antal godkendte a-kasser"),
        geometry=map_geometry(),
        value_format=lambda v: str(int(v)),
        id_prefix="approved",
        words=map_words(),
    )


def _extent_words(codes: tuple[str, ...], everywhere: frozenset[str]) -> str:
    if not codes:
        return "–"
    if frozenset(codes) == everywhere:
        return _("Hele landet (undtagen frikommuner)")
    return ngettext("%(num)d kommune", "%(num)d kommuner", len(codes))


def decisions_block(db: Session, call: Call) -> dict[str, Any]:
    """The published decisions: totals and the map always; the a-kasser by name only when
    the lead has published the names (the same rule as the distributions)."""
    rows = services.published_decisions(db, call)
    excluded = exclusion_list(call.exclusion_list)
    everywhere = frozenset(code for code in municipalities().index if code not in excluded)
    named = services.names_published(db, call)
    return {
        "total": len(rows),
        "eligible": sum(1 for r in rows if r.eligible),
        "not_eligible": sum(1 for r in rows if not r.eligible),
        "limited": sum(1 for r in rows if r.eligible and frozenset(r.municipalities) != everywhere),
        "rows": [
            {
                "fund": r.fund,
                "eligible": r.eligible,
                "extent": _extent_words(r.municipalities, everywhere) if r.eligible else "–",
                "capacity": r.capacity,
            }
            for r in rows
        ]
        if named
        else [],
        "map": approved_extent_map(services.approvals_per_municipality(rows), call.exclusion_list),
        "excluded_count": len(excluded),
    }


def meeting_block(db: Session, call: Call) -> dict[str, Any] | None:
    meeting = services.meeting_of(db, call)
    if meeting is None:
        return None
    recorder = meeting.minutes_recorded_by
    return {
        "starts_at": meeting.starts_at,
        "place": meeting.place,
        "agenda": meeting.agenda,
        "names_published": meeting.names_published,
        "minutes": meeting.minutes,
        "minutes_recorded_at": meeting.minutes_recorded_at,
        "minutes_recorded_by": recorder.name if recorder else "",
    }


def packet_context(db: Session, call: Call, viewer: User) -> dict[str, Any]:
    """The context of `pdf/dialogue_packet.html`. Drafts never appear (the criterion blocks
    hold published versions only), so the packet is the same whoever prints it."""
    meeting = meeting_block(db, call)
    return {
        "call_title": call.title,
        "generated_at": utcnow(),
        "meeting": meeting,
        "names_published": bool(meeting and meeting["names_published"]),
        "criteria": criteria_blocks(db, call, viewer),
        "decisions": decisions_block(db, call),
    }
