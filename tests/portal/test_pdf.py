"""Printed documents: the receipt, plain-data contexts and the locked-down URL fetcher."""

from __future__ import annotations

import hashlib
import io
import logging
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import lazy_gettext
from jinja2 import ChoiceLoader, DictLoader
from pypdf import PdfReader

from portal.extent import Extent
from portal.pdf import (
    BASE_URL,
    ResourceRefused,
    StaticOnlyFetcher,
    check_primitives,
    receipt_context,
    render_pdf,
)
from tests.conftest import require_tool

CONTENT_HASH = hashlib.sha256("ansøgning fra 3F, version 2".encode()).hexdigest()
FUND = "Fagbevægelsens Interne Arbejdsløshedskasse"


@pytest.fixture()
def ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context(), app.test_request_context():
        yield app


def _receipt(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "fund_name": FUND,
        "fund_cvr": "31378028",
        "call_title": "Forsøg med a-kassernes kontaktforløb 2027–2030",
        "version_number": 2,
        "submitted_at": datetime(2026, 11, 24, 13, 3, 41, tzinfo=UTC),
        "submitted_by": "Søren Ægidius Ø. Ålund",
        "content_hash": CONTENT_HASH,
        "criteria": [
            ("Organisering og ledelse", "x" * 5231),
            ("Medarbejdernes kompetencer", "æøå" * 4011),
            ("Dokumentation og opfølgning", ""),
        ],
        "attachments": [
            ("Bilag 1 – Organisationsdiagram.pdf", 3, "ab" * 32),
            ("CV'er for nøglemedarbejdere.pdf", 14, "cd" * 32),
        ],
        "extent_summary": "Region Hovedstaden",
        "capacity_courses": 1500,
        "staff_fte": 12.5,
        "interviews_per_fte_week": None,
    }
    values.update(overrides)
    return receipt_context(**values)  # type: ignore[arg-type]


def _pdftotext(pdf: bytes) -> str:
    require_tool("pdftotext", "poppler-utils")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    )
    return result.stdout.decode()


# --- the receipt ---------------------------------------------------------------------------


def test_receipt_renders_danish_text_and_full_hash(ctx: Flask) -> None:
    pdf = render_pdf("pdf/receipt.html", _receipt())
    assert pdf.startswith(b"%PDF-")
    text = _pdftotext(pdf)
    assert "Kvittering for indsendt ansøgning" in text
    assert FUND in text
    assert "31378028" in text
    assert "24. november 2026 kl. 14.03" in text  # Copenhagen time, Danish format
    assert "Søren Ægidius Ø. Ålund" in text
    # The whole digest on one line, unbroken, so it can be copied or compared.
    assert CONTENT_HASH in [line.strip() for line in text.splitlines()]
    assert "Side 1 af" in text


def test_receipt_lists_criteria_attachments_and_capacity(ctx: Flask) -> None:
    text = _pdftotext(render_pdf("pdf/receipt.html", _receipt()))
    assert "5.231" in text and "12.033" in text and "17.264" in text  # counts and total
    assert "Ikke besvaret" in text
    assert "Bilag 1 – Organisationsdiagram.pdf" in text
    assert "abababababab" in text and "cdcdcdcdcdcd" in text
    assert "Region Hovedstaden" in text
    assert "1.500" in text and "12,5" in text
    assert "Ikke oplyst" in text  # interviews per FTE not given
    assert "Sådan kontrolleres den" in text


def test_receipt_metadata_title_and_language(ctx: Flask) -> None:
    reader = PdfReader(io.BytesIO(render_pdf("pdf/receipt.html", _receipt())))
    assert reader.metadata is not None
    assert reader.metadata.title == "Kvittering for indsendt ansøgning"
    assert reader.trailer["/Root"]["/Lang"] == "da"


def test_render_pdf_without_request_context_uses_default_locale(app: Flask) -> None:
    with app.app_context():
        text = _pdftotext(render_pdf("pdf/receipt.html", _receipt()))
    assert "Kvittering for indsendt ansøgning" in text


def test_receipt_context_refuses_naive_time_and_bad_hash() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _receipt(submitted_at=datetime(2026, 11, 24, 14, 3))
    with pytest.raises(ValueError, match="64 lowercase hex"):
        _receipt(content_hash=CONTENT_HASH.upper())


def test_receipt_context_counts_and_groups() -> None:
    context = _receipt()
    assert context["characters_total"] == 5231 + 3 * 4011
    assert context["attachment_pages"] == 17
    assert "".join(context["hash_groups"]) == CONTENT_HASH  # type: ignore[arg-type]
    check_primitives(context)


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (["national"], "Hele landet"),
        (["region:1084", "region:1085"], "Region Hovedstaden, Region Sjælland"),
        (["147", "101"], "2 kommuner: Frederiksberg, København"),
        (["101"], "1 kommune: København"),
        ([], "Ingen geografisk udstrækning angivet"),
    ],
)
def test_describe_extent(ctx: Flask, requested: list[str], expected: str) -> None:
    regions = {"1084": "Region Hovedstaden", "1085": "Region Sjælland"}
    municipalities = {"101": "København", "147": "Frederiksberg"}
    assert Extent.parse(requested).describe(regions, municipalities) == expected


# --- plain data only -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        object(),
        {1, 2},
        b"bytes",
        lazy_gettext("Kladde"),
        [1, [2, object()]],
        {"nested": {"deeper": print}},
        {1: "non-string key"},
    ],
)
def test_render_pdf_refuses_non_primitive_context(ctx: Flask, value: object) -> None:
    with pytest.raises(TypeError):
        render_pdf("pdf/receipt.html", {"value": value})


def test_check_primitives_accepts_plain_data() -> None:
    check_primitives(
        {
            "a": None,
            "b": [1, 2.5, True, "x"],
            "c": {"d": date(2026, 1, 1)},
            "e": (datetime.now(UTC),),
        }
    )


def test_check_primitives_names_the_key() -> None:
    with pytest.raises(TypeError, match=r"\['rows'\]\[1\]"):
        check_primitives({"rows": [1, object()]})


# --- the URL fetcher -----------------------------------------------------------------------


@pytest.fixture()
def fetcher(app: Flask) -> StaticOnlyFetcher:
    return StaticOnlyFetcher(Path(app.static_folder or ""), app.static_url_path or "/static")


def test_fetcher_serves_static_file(fetcher: StaticOnlyFetcher, app: Flask) -> None:
    for url in (f"{BASE_URL}static/pdf.css", (Path(app.static_folder) / "pdf.css").as_uri()):
        response = fetcher.fetch(url)
        assert response.content_type == "text/css"
        assert b"@page" in response.read()
        response.close()


def test_fetcher_serves_data_url(fetcher: StaticOnlyFetcher) -> None:
    response = fetcher.fetch("data:text/plain;base64,aGVq")
    assert response.read() == b"hej"
    response.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/static/pdf.css",
        f"{BASE_URL}static/../../pyproject.toml",
        f"{BASE_URL}static/%2e%2e/%2e%2e/pyproject.toml",
        f"{BASE_URL}static/vendor/../../config.py",
        f"{BASE_URL}config.py",
        f"{BASE_URL}static/",
        "file:///etc/passwd",
        "ftp://example.com/x",
    ],
)
def test_fetcher_refuses_everything_else(fetcher: StaticOnlyFetcher, url: str) -> None:
    with pytest.raises(ResourceRefused):
        fetcher.fetch(url)


def test_fetcher_refuses_file_url_traversal(fetcher: StaticOnlyFetcher, app: Flask) -> None:
    escape = f"{Path(app.static_folder).as_uri()}/../config.py"
    with pytest.raises(ResourceRefused):
        fetcher.fetch(escape)


def test_render_pdf_skips_refused_resources(ctx: Flask, caplog: pytest.LogCaptureFixture) -> None:
    page = (
        '<html lang="da"><head><title>Test</title></head><body><p>Hej</p>'
        '<img src="http://127.0.0.1:9/spy.png"><img src="file:///etc/hostname">'
        '<img src="static/../../pyproject.toml"></body></html>'
    )
    ctx.jinja_env.loader = ChoiceLoader(
        [DictLoader({"pdf/probe.html": page}), ctx.jinja_env.loader]
    )
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf("pdf/probe.html", {})
    assert pdf.startswith(b"%PDF-")
    refused = [r.getMessage() for r in caplog.records if "ResourceRefused" in r.getMessage()]
    assert len(refused) == 3, refused
