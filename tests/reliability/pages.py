"""Reading the portal's pages as a browser would: the POST forms, their controls and values,
and the error message shown next to a field. Standard library only (html.parser)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser


@dataclass
class Form:
    """One `<form method="post">`: where it posts, its attributes, every control's name with
    the values the page offers, and what a browser would send if nothing were changed."""

    action: str | None
    attrs: dict[str, str]
    values: dict[str, list[str]] = field(default_factory=dict)  # name -> values offered
    files: set[str] = field(default_factory=set)  # names of file inputs
    defaults: list[tuple[str, str]] = field(default_factory=list)  # as sent untouched

    def add(self, name: str, value: str | None) -> None:
        seen = self.values.setdefault(name, [])
        if value is not None and value not in seen:
            seen.append(value)

    def targets(self, page_url: str) -> list[str]:
        """Every address the form may post to: its action (without one, the page's own) and
        any data-* address, such as the draft's autosave."""
        found = [self.action or page_url]
        found += [v for k, v in self.attrs.items() if k.startswith("data-") and v.startswith("/")]
        return found


@dataclass
class _Select:
    name: str
    multiple: bool
    first: str | None = None
    chosen: list[str] = field(default_factory=list)


# What a person types into an empty required control, by its type (the form must be valid
# apart from what is changed on purpose).
TYPED = {
    "number": "1",
    "date": "2030-01-02",
    "datetime-local": "2030-01-02T12:00",
    "email": "fuzz@example.dk",
    "tel": "33 12 34 56",
}


def _typed(kind: str, attrs: dict[str, str]) -> str:
    if attrs.get("inputmode") == "decimal":
        return "1"
    if kind == "number" and attrs.get("min"):
        return attrs["min"]
    return TYPED.get(kind, "Tekst")


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._textarea_required = False
        self._select: _Select | None = None
        self._text: list[str] = []
        self._button_sent = False
        self._radios: dict[str, tuple[str, bool]] = {}  # required, unchecked group: first value

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = Form(a.get("action") or None, a)
                self.forms.append(self._form)
                self._button_sent = False
                self._radios = {}
        elif self._form is not None and tag == "option" and self._select is not None:
            self._option(self._form, self._select, a)
        elif self._form is not None and a.get("name"):
            self._control(self._form, tag, a["name"], a)

    def _control(self, form: Form, tag: str, name: str, a: dict[str, str]) -> None:
        kind = a.get("type", "submit" if tag == "button" else "text").lower()
        sent = "disabled" not in a
        if tag == "input" and kind == "file":
            form.files.add(name)
            form.add(name, None)
        elif tag == "button" or (tag == "input" and kind in ("submit", "image")):
            form.add(name, a.get("value", ""))
            if sent and not self._button_sent:  # the first button is the one pressed
                form.defaults.append((name, a.get("value", "")))
                self._button_sent = True
        elif tag == "input":
            self._input(form, kind, name, a, sent)
        elif tag == "textarea":
            self._textarea, self._text = name, []
            self._textarea_required = "required" in a
            form.add(name, None)
        elif tag == "select":
            self._select = _Select(name, "multiple" in a)
            form.add(name, None)

    def _input(self, form: Form, kind: str, name: str, a: dict[str, str], sent: bool) -> None:
        value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
        form.add(name, value)
        if kind == "radio" and sent:
            self._radio(form, name, value, a)
        elif sent and (kind != "checkbox" or "checked" in a):
            if not value and "required" in a and kind != "hidden":
                value = _typed(kind, a)
            form.defaults.append((name, value))

    def _radio(self, form: Form, name: str, value: str, a: dict[str, str]) -> None:
        if "checked" in a:
            form.defaults.append((name, value))
            self._radios[name] = ("", True)
        elif name not in self._radios and "required" in a:
            self._radios[name] = (value, False)  # chosen at the end if none is checked

    def _option(self, form: Form, select: _Select, a: dict[str, str]) -> None:
        value = a.get("value", "")
        form.add(select.name, value)
        if select.first is None:
            select.first = value
        if "selected" in a:
            select.chosen.append(value)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            for name, (first, checked) in self._radios.items():
                if not checked:
                    self._form.defaults.append((name, first))
            self._form = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            # A browser drops the line break that opens a textarea's content.
            content = "".join(self._text)
            content = content[2:] if content.startswith("\r\n") else content.removeprefix("\n")
            self._form.add(self._textarea, content)
            typed = content or ("Tekst" if self._textarea_required else "")
            self._form.defaults.append((self._textarea, typed))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            select = self._select
            chosen = select.chosen
            if not select.multiple:  # one option is always chosen: the last marked, or the first
                chosen = chosen[-1:] or ([select.first] if select.first is not None else [])
            self._form.defaults += [(select.name, value) for value in chosen]
            self._select = None


def post_forms(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.forms


def field_errors(html: str, field_id: str) -> list[str]:
    """The messages shown next to one field (the design system's form-error-message)."""
    pattern = (
        rf'<span class="form-error-message" id="{re.escape(field_id)}-error">'
        r'<span class="sr-only">[^<]*</span>\s*([^<]*)</span>'
    )
    return [unescape(m).strip() for m in re.findall(pattern, html)]


def control_value(html: str, name: str) -> str | None:
    """The value a form shows again in the control called `name` (the first one)."""
    for form in post_forms(html):
        if name in form.values and form.values[name]:
            return form.values[name][0]
    return None
