"""PDF attachments: inspection of hostile files, storage under server names, downloads."""

from __future__ import annotations

import hashlib
import io
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from werkzeug.exceptions import NotFound

from portal.applications import uploads
from portal.applications.uploads import (
    InvalidStoredName,
    UploadRejected,
    inspect_pdf,
    open_stored,
    sanitize_filename,
    send_attachment,
    store,
)

LIMIT = 10 * 1024 * 1024


@pytest.fixture()
def ctx(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


def _blank(pages: int = 1) -> PdfWriter:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    return writer


def _bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _action(kind: str, **entries: object) -> DictionaryObject:
    action = DictionaryObject(
        {NameObject("/Type"): NameObject("/Action"), NameObject("/S"): NameObject(kind)}
    )
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = TextStringObject(str(value))
    return action


def _raw_pdf(catalog_extra: bytes = b"", extra_objects: tuple[bytes, ...] = ()) -> bytes:
    """A hand-written PDF with a correct xref table, for constructs PdfWriter will not make."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _rejected(data: bytes, filename: str = "bilag.pdf", limit: int = LIMIT) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        inspect_pdf(data, filename, limit)
    return info.value


# --- accepted files ------------------------------------------------------------------------


def test_inspect_plain_pdf_describes_it(ctx: None) -> None:
    data = _bytes(_blank(pages=3))
    info = inspect_pdf(data, "Bilag 1 – Organisationsdiagram.pdf", LIMIT)
    assert info.pages == 3
    assert info.size_bytes == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.filename == "Bilag 1 – Organisationsdiagram.pdf"


def test_inspect_extension_is_case_insensitive(ctx: None) -> None:
    assert inspect_pdf(_bytes(_blank()), "SCAN.PDF", LIMIT).filename == "SCAN.PDF"


def test_inspect_reference_cycle_terminates(ctx: None) -> None:
    data = _raw_pdf(b"/Loop 4 0 R", (b"<< /Next 5 0 R >>", b"<< /Next 4 0 R /Up 1 0 R >>"))
    assert inspect_pdf(data, "loop.pdf", LIMIT).pages == 1


def test_inspect_uri_link_is_allowed(ctx: None) -> None:
    writer = _blank()
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 100, 20)]),
            NameObject("/A"): _action("/URI", URI="https://star.dk/"),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    assert inspect_pdf(_bytes(writer), "link.pdf", LIMIT).pages == 1


# --- refused files -------------------------------------------------------------------------


def test_inspect_empty_file_rejected(ctx: None) -> None:
    error = _rejected(b"")
    assert error.code == "empty"
    assert "Filen er tom" in error.message


def test_inspect_too_large_rejected_with_sizes(ctx: None) -> None:
    error = _rejected(_bytes(_blank()), limit=100)
    assert error.code == "too_large"
    assert "må højst fylde" in error.message and "MB" in error.message


def test_inspect_wrong_extension_rejected(ctx: None) -> None:
    error = _rejected(_bytes(_blank()), filename="ansøgning.docx")
    assert error.code == "wrong_extension"
    assert "skal slutte på .pdf" in error.message


def test_inspect_wrong_magic_bytes_rejected(ctx: None) -> None:
    error = _rejected(b"GIF89a" + b"\x00" * 100, filename="billede.pdf")
    assert error.code == "not_pdf"
    assert "ikke en PDF-fil" in error.message


def test_inspect_magic_bytes_must_be_at_start(ctx: None) -> None:
    assert _rejected(b"\n" + _bytes(_blank())).code == "not_pdf"


def test_inspect_garbage_after_header_unreadable(ctx: None) -> None:
    error = _rejected(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    assert error.code == "unreadable"
    assert "kan ikke læses som PDF" in error.message


def test_inspect_truncated_pdf_unreadable(ctx: None) -> None:
    assert _rejected(_bytes(_blank())[:40]).code == "unreadable"


def test_inspect_encrypted_rejected(ctx: None) -> None:
    writer = _blank()
    writer.encrypt(user_password="", owner_password="hemmelig")
    error = _rejected(_bytes(writer))
    assert error.code == "encrypted"
    assert "krypteret eller beskyttet med adgangskode" in error.message


def test_inspect_document_javascript_rejected(ctx: None) -> None:
    writer = _blank()
    name_tree = DictionaryObject(
        {
            NameObject("/Names"): ArrayObject(
                [
                    TextStringObject("start"),
                    writer._add_object(_action("/JavaScript", JS="app.alert(1)")),
                ]
            )
        }
    )
    writer.root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(name_tree)}
    )
    error = _rejected(_bytes(writer))
    assert error.code == "javascript"
    assert "indeholder JavaScript" in error.message
    assert "Udskriv som PDF" in error.message


def test_inspect_open_action_javascript_rejected(ctx: None) -> None:
    writer = _blank()
    writer.root_object[NameObject("/OpenAction")] = _action("/JavaScript", JS="this.print()")
    assert _rejected(_bytes(writer)).code == "javascript"


def test_inspect_page_additional_action_javascript_rejected(ctx: None) -> None:
    writer = _blank()
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): _action("/JavaScript", JS="app.beep(0)")}
    )
    assert _rejected(_bytes(writer)).code == "javascript"


def test_inspect_annotation_javascript_rejected(ctx: None) -> None:
    writer = _blank()
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 100, 100)]),
            NameObject("/A"): _action("/JavaScript", JS="app.alert(2)"),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    assert _rejected(_bytes(writer)).code == "javascript"


def test_inspect_hex_escaped_and_indirect_javascript_name_rejected(ctx: None) -> None:
    data = _raw_pdf(
        b"/OpenAction 4 0 R", (b"<< /S 5 0 R /J#53 (app.alert(3)) >>", b"/J#61vaScript")
    )
    assert _rejected(data).code == "javascript"


def test_inspect_indirect_launch_action_name_rejected(ctx: None) -> None:
    data = _raw_pdf(b"/OpenAction 4 0 R", (b"<< /S 5 0 R /F (calc.exe) >>", b"/L#61unch"))
    assert _rejected(data).code == "launch"


def test_inspect_launch_action_rejected(ctx: None) -> None:
    writer = _blank()
    writer.root_object[NameObject("/OpenAction")] = _action("/Launch", F="calc.exe")
    error = _rejected(_bytes(writer))
    assert error.code == "launch"
    assert "starte andre programmer" in error.message


def test_inspect_embedded_file_rejected(ctx: None) -> None:
    writer = _blank()
    writer.add_attachment("makro.xlsm", b"PK\x03\x04 not really")
    error = _rejected(_bytes(writer))
    assert error.code == "embedded_files"
    assert "indeholder andre filer" in error.message


def test_inspect_file_attachment_annotation_rejected(ctx: None) -> None:
    writer = _blank()
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 10, 10)]),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    assert _rejected(_bytes(writer)).code == "embedded_files"


def test_inspect_object_budget_exceeded_unreadable(ctx: None, monkeypatch) -> None:
    monkeypatch.setattr(uploads, "MAX_OBJECTS_VISITED", 3)
    assert _rejected(_bytes(_blank(pages=5))).code == "unreadable"


# --- filenames -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/Ansøgning.pdf", "Ansøgning.pdf"),
        ("C:\\Users\\Søren\\Bilag æøå ÆØÅ.pdf", "Bilag æøå ÆØÅ.pdf"),
        ("bilag\x00\x1b[31m.pdf", "bilag[31m.pdf"),
        ("faktura\u202efdp.exe", "fakturafdp.exe"),  # right-to-left override removed
        ("Ga\u030ard.pdf", "Gård.pdf"),  # decomposed å composed
        ("  mange   mellemrum .pdf ", "mange mellemrum .pdf"),
    ],
)
def test_sanitize_filename(given: str, expected: str) -> None:
    assert sanitize_filename(given) == expected


def test_sanitize_filename_truncates_keeping_suffix() -> None:
    name = sanitize_filename("æ" * 300 + ".pdf")
    assert len(name) == uploads.MAX_FILENAME
    assert name.endswith("æ.pdf")


def test_inspect_returns_sanitised_filename(ctx: None) -> None:
    info = inspect_pdf(_bytes(_blank()), "/tmp/../Bilag\u202e.pdf", LIMIT)
    assert info.filename == "Bilag.pdf"


# --- storage and download ------------------------------------------------------------------


def test_store_and_open_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    data = _bytes(_blank())
    name = store(folder, data)
    assert uploads.STORED_NAME.fullmatch(name)
    assert open_stored(folder, name) == data
    assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == [name]  # no temporary file left behind


def test_store_generates_distinct_names(tmp_path: Path) -> None:
    assert store(tmp_path, b"%PDF-a") != store(tmp_path, b"%PDF-a")


@pytest.mark.parametrize(
    "name",
    [
        "../secret.pdf",
        "/etc/passwd",
        "..",
        "",
        "a" * 32 + ".PDF",
        "A" * 32 + ".pdf",
        "a" * 31 + ".pdf",
        "a" * 32 + ".pdf/../../x",
        "..%2f" + "a" * 27 + ".pdf",
        "a" * 32 + ".pdf\x00",
        "a" * 32 + ".pdf\n",
    ],
)
def test_open_stored_refuses_names_not_generated(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidStoredName):
        open_stored(tmp_path, name)


def test_send_attachment_headers(app: Flask, tmp_path: Path) -> None:
    data = _bytes(_blank())
    name = store(tmp_path, data)
    with app.test_request_context():
        response = send_attachment(tmp_path, name, 'Ansøgning "endelig".pdf')
    assert response.get_data() == data
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert 'filename="Ansoegning _endelig_.pdf"' in disposition
    assert "filename*=UTF-8''Ans%C3%B8gning%20%22endelig%22.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_send_attachment_unknown_or_invalid_name_is_404(app: Flask, tmp_path: Path) -> None:
    with app.test_request_context():
        with pytest.raises(NotFound):
            send_attachment(tmp_path, "0" * 32 + ".pdf", "x.pdf")
        with pytest.raises(NotFound):
            send_attachment(tmp_path, "../../etc/passwd", "x.pdf")


def test_inspect_too_large_never_reads_as_equal_to_limit(ctx: None) -> None:
    data = _bytes(_blank())
    limit = 10 * 1024 * 1024
    error = _rejected(data + b"\0" * (limit + 1 - len(data)), limit=limit)
    assert error.message == "Filen fylder 10,1 MB, men en fil må højst fylde 10 MB."
