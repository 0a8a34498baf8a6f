"""Pure portal rules: length budgets, completeness, status transitions.

No Flask, no database: plain values in, plain values out (texts are Danish message ids that
the caller translates).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from portal.i18n import N_

# A Danish "normalside" is 2,400 characters including spaces.
CHARS_PER_PAGE = 2400
CVR_PATTERN = re.compile(r"^\d{8}$")


def answer_budget(page_limit: int, criteria_count: int) -> int:
    """Characters per criterion answer: the page limit shared equally by the criteria."""
    if criteria_count <= 0:
        raise ValueError("criteria_count must be positive")
    return page_limit * CHARS_PER_PAGE // criteria_count


def annex_page_budget(page_limit: int, page_limit_with_annexes: int) -> int:
    """Pages left for attachments once the application text has its full page limit."""
    return max(0, page_limit_with_annexes - page_limit)


def text_pages(answers: Sequence[str]) -> float:
    return sum(len(text) for text in answers) / CHARS_PER_PAGE


@dataclass(frozen=True)
class ChecklistItem:
    key: str  # a stable key, e.g. "answer:12", "cvr", "extent"
    label: str
    done: bool
    problem: str | None = None
    params: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Draft:
    """What the completeness check needs of an application, as plain data."""

    cvr: str | None
    members: int | None
    field: str | None
    sector: str | None
    answers: Mapping[int, str]
    criteria: Sequence[tuple[int, str]]  # (criterion id, title) in order
    extent: Sequence[str]
    capacity_courses: int | None
    staff_fte: float | None
    interviews_per_fte_week: float | None
    contact_name: str | None
    contact_email: str | None
    annex_pages: int
    page_limit: int
    page_limit_with_annexes: int
    # Municipalities the requested extent covers once the call's frikommuner are taken out;
    # None when not worked out (then only "chosen or not" counts).
    eligible_municipalities: int | None = None


def checklist(draft: Draft) -> list[ChecklistItem]:
    """Everything a complete application needs, in the order the form shows it."""
    budget = answer_budget(draft.page_limit, max(1, len(draft.criteria)))
    items = [
        _item("cvr", N_("CVR-nummer (8 cifre)"), bool(draft.cvr and CVR_PATTERN.match(draft.cvr))),
        _item("members", N_("Antal medlemmer"), draft.members is not None),
        _item("field", N_("Fagligt område og sektor"), bool(draft.field and draft.sector)),
    ]
    for criterion_id, title in draft.criteria:
        items.append(_answer_item(criterion_id, title, draft.answers.get(criterion_id, ""), budget))
    items += [
        _extent_item(draft),
        _item(
            "capacity",
            N_("Kapacitet: forløb om året, årsværk og samtaler pr. årsværk"),
            None not in (draft.capacity_courses, draft.staff_fte, draft.interviews_per_fte_week),
        ),
        _item(
            "contact",
            N_("Kontaktperson med e-mail"),
            bool(draft.contact_name and draft.contact_email),
        ),
        _annex_item(draft),
    ]
    return items


def _item(
    key: str, label: str, done: bool, problem: str | None = None, **params: int
) -> ChecklistItem:
    return ChecklistItem(key=key, label=label, done=done, problem=problem, params=params)


def _answer_item(criterion_id: int, title: str, text: str, budget: int) -> ChecklistItem:
    key = f"answer:{criterion_id}"
    if not text.strip():
        return _item(key, title, False, N_("Kriteriet er ikke besvaret."))
    if len(text) > budget:
        return _item(
            key,
            title,
            False,
            N_("Svaret er %(length)d tegn; grænsen er %(budget)d."),
            length=len(text),
            budget=budget,
        )
    return _item(key, title, True)


def _extent_item(draft: Draft) -> ChecklistItem:
    label = N_("Ønsket geografisk udstrækning")
    if draft.extent and draft.eligible_municipalities == 0:
        return _item(
            "extent",
            label,
            False,
            N_("Udstrækningen dækker kun frikommuner, så ingen kommuner kan indgå i forsøget."),
        )
    return _item("extent", label, bool(draft.extent))


def _annex_item(draft: Draft) -> ChecklistItem:
    limit = annex_page_budget(draft.page_limit, draft.page_limit_with_annexes)
    if draft.annex_pages > limit:
        return _item(
            "annexes",
            N_("Bilag inden for sidegrænsen"),
            False,
            N_("Bilagene fylder %(pages)d sider; grænsen er %(limit)d."),
            pages=draft.annex_pages,
            limit=limit,
        )
    return _item("annexes", N_("Bilag inden for sidegrænsen"), True)


def is_complete(items: Sequence[ChecklistItem]) -> bool:
    return all(item.done for item in items)


def is_open(now: datetime, opens_at: datetime, deadline: datetime) -> bool:
    return opens_at <= now <= deadline


def can_edit(status: str, now: datetime, opens_at: datetime, deadline: datetime) -> bool:
    """Drafts and submitted applications may change (into a new version) until the deadline;
    a withdrawn one may be taken up again before the deadline too."""
    return is_open(now, opens_at, deadline)


def pages_needed(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_PAGE)


# --- two people saving the same draft ------------------------------------------------------


def value_digest(value: str) -> str:
    """A short fingerprint of one field's value as the form was loaded with it."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Merge:
    """How a save on an outdated form meets the version saved in the meantime.

    `taken`: fields only the other person changed (their value is kept); `conflicts`: fields
    both changed differently (the user chooses). Fields only the user changed keep theirs."""

    taken: tuple[str, ...]
    conflicts: tuple[str, ...]


def merge_draft(
    base: Mapping[str, str], mine: Mapping[str, str], theirs: Mapping[str, str]
) -> Merge:
    """Three-way comparison per field: `base` holds the digests of the values the form was
    loaded with, `mine` what the user sends, `theirs` what is saved now. A field without a
    digest counts as changed on both sides, so nothing is overwritten unseen."""
    taken: list[str] = []
    conflicts: list[str] = []
    for name, their_value in theirs.items():
        my_value = mine.get(name, their_value)
        if my_value == their_value:
            continue
        loaded = base.get(name)
        if loaded == value_digest(their_value):
            continue  # only I changed it
        if loaded == value_digest(my_value):
            taken.append(name)  # only they changed it
        else:
            conflicts.append(name)
    return Merge(tuple(taken), tuple(conflicts))
