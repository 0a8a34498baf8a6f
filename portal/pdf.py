"""Printed documents: Jinja templates under `templates/pdf/` rendered to PDF by WeasyPrint.

`render_pdf(template, context)` takes primitives only (str, int, float, bool, None,
date/datetime, and lists/tuples/dicts of them), so a template can never lazy-load from the
database or call into the application. WeasyPrint fetches resources through
`StaticOnlyFetcher`, which serves the app's own static files and `data:` URLs and refuses
everything else (no network, no other files).

Templates link static files relatively, e.g. `static/pdf.css`; the document's base URL is a
private origin (`https://forsoegsportalen.invalid/`) that only the fetcher understands.

The receipt (`pdf/receipt.html`) takes the dictionary built by `receipt_context()`; its keys
are documented there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, has_request_context, render_template
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

BASE_URL = "https://forsoegsportalen.invalid/"
_PRIMITIVES = (str, int, float, bool, type(None), date)  # date covers datetime
_MAX_DEPTH = 20
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTENT_TYPES = {
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}


class ResourceRefused(ValueError):
    """A resource outside the app's static files was requested while rendering a PDF."""


# --- rendering ---------------------------------------------------------------------------


def render_pdf(template: str, context: Mapping[str, object]) -> bytes:
    """Render a Jinja template to PDF bytes. Call inside an app context; a request context is
    pushed when there is none (e.g. from the CLI), so the default locale applies."""
    check_primitives(context)
    with _request_context():
        html = render_template(template, **context)
    static = current_app.static_folder
    fetcher = StaticOnlyFetcher(
        Path(static) if static else None, current_app.static_url_path or "/static"
    )
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    pdf = document.write_pdf(font_config=FontConfiguration(), pdf_tags=True)
    if not isinstance(pdf, bytes):  # write_pdf returns bytes when no target is given
        raise RuntimeError("WeasyPrint returned no PDF")
    return pdf


@contextmanager
def _request_context() -> Iterator[None]:
    if has_request_context():
        yield
        return
    with current_app.test_request_context():
        yield


def check_primitives(context: Mapping[str, object]) -> None:
    """Raise TypeError naming the first value that is not plain data."""
    if not isinstance(context, Mapping):
        raise TypeError(f"PDF context must be a mapping, not {type(context).__name__}")
    _check_value(dict(context), "context", 0)


def _check_value(value: object, where: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise TypeError(f"PDF context nested too deeply at {where}")
    if isinstance(value, _PRIMITIVES):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_value(item, f"{where}[{index}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"PDF context key at {where} is not a string: {key!r}")
            _check_value(item, f"{where}[{key!r}]", depth + 1)
        return
    raise TypeError(f"PDF context value at {where} is not plain data: {type(value).__name__}")


# --- the URL fetcher -----------------------------------------------------------------------


class StaticOnlyFetcher(URLFetcher):
    """Serve `data:` URLs and files under the static folder; refuse everything else.

    WeasyPrint catches the exception, logs it and renders without the resource."""

    def __init__(self, static_folder: Path | None, static_url_path: str = "/static") -> None:
        super().__init__(allowed_protocols=("data",))
        self.static_root = Path(static_folder).resolve() if static_folder else None
        self.static_prefix = static_url_path.rstrip("/") + "/"

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, dict(headers or {}))
        path = self.static_path(url)
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": _content_type(path)})

    def static_path(self, url: str) -> Path:
        """The file a URL names under the static folder, or ResourceRefused."""
        parts = urlsplit(url)
        if self.static_root is None:
            raise ResourceRefused("the app has no static folder")
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            candidate = Path(unquote(parts.path))
        elif url.startswith(BASE_URL) and parts.path.startswith(self.static_prefix):
            relative = unquote(parts.path[len(self.static_prefix) :])
            candidate = self.static_root / relative
        else:
            raise ResourceRefused(f"resource not allowed in a PDF: {url[:200]}")
        resolved = candidate.resolve()
        if not resolved.is_relative_to(self.static_root) or not resolved.is_file():
            raise ResourceRefused(f"not a static file: {url[:200]}")
        return resolved


def _content_type(path: Path) -> str:
    return _CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


# --- the receipt ---------------------------------------------------------------------------


def receipt_context(
    *,
    fund_name: str,
    fund_cvr: str | None,
    call_title: str,
    version_number: int,
    submitted_at: datetime,
    submitted_by: str,
    content_hash: str,
    criteria: Sequence[tuple[str, str]],
    attachments: Sequence[tuple[str, int, str]],
    extent_summary: str,
    capacity_courses: int | None,
    staff_fte: float | None,
    interviews_per_fte_week: float | None,
) -> dict[str, object]:
    """The context of `pdf/receipt.html`, from plain values.

    `criteria` is (criterion title, answer text) in criterion order; `attachments` is
    (filename, pages, sha256). The result has these keys:

    - fund_name, fund_cvr (str or None), call_title, version_number, submitted_by
    - submitted_at: timezone-aware datetime (shown in Europe/Copenhagen by Flask-Babel)
    - content_hash: 64 hex digits; hash_groups: the same in 8 groups of 8, for display
    - criteria: [{"number", "title", "characters"}]; characters_total
    - attachments: [{"filename", "pages", "sha256", "sha256_short"}]; attachment_pages
    - extent_summary (str, in words, see `describe_extent`)
    - capacity_courses (int or None), staff_fte, interviews_per_fte_week (float or None)
    """
    if submitted_at.tzinfo is None:
        raise ValueError("submitted_at must be timezone-aware")
    if not _SHA256.fullmatch(content_hash):
        raise ValueError("content_hash must be 64 lowercase hex digits")
    rows = [
        {"number": i, "title": title, "characters": len(text)}
        for i, (title, text) in enumerate(criteria, start=1)
    ]
    files = [
        {"filename": name, "pages": pages, "sha256": digest, "sha256_short": digest[:12]}
        for name, pages, digest in attachments
    ]
    return {
        "fund_name": fund_name,
        "fund_cvr": fund_cvr,
        "call_title": call_title,
        "version_number": version_number,
        "submitted_at": submitted_at.astimezone(UTC),
        "submitted_by": submitted_by,
        "content_hash": content_hash,
        "hash_groups": [content_hash[i : i + 8] for i in range(0, 64, 8)],
        "criteria": rows,
        "characters_total": sum(len(text) for _title, text in criteria),
        "attachments": files,
        "attachment_pages": sum(pages for _name, pages, _digest in attachments),
        "extent_summary": extent_summary,
        "capacity_courses": capacity_courses,
        "staff_fte": staff_fte,
        "interviews_per_fte_week": interviews_per_fte_week,
    }
