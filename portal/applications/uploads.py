"""PDF attachments: inspection of uploaded bytes, storage outside the web root, download.

`inspect_pdf` accepts only plain PDFs: no encryption, no JavaScript, no launch actions and no
embedded files. It walks the reachable object graph with a visit budget, so a hostile file
cannot make it loop or run for long. Stored files get server-generated names; the user's
filename is kept (sanitised) only in the database and in the download header.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import Response
from flask_babel import format_decimal
from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject
from werkzeug.exceptions import NotFound

PDF_MAGIC = b"%PDF-"
MAX_FILENAME = 200
MAX_OBJECTS_VISITED = 250_000
STORED_NAME = re.compile(r"[0-9a-f]{32}\.pdf")
_DANGEROUS_KEYS = {
    "/JS": "javascript",
    "/JavaScript": "javascript",
    "/XFA": "javascript",
    "/EmbeddedFiles": "embedded_files",
    "/EF": "embedded_files",
}
_DANGEROUS_ACTIONS = {"/JavaScript": "javascript", "/Launch": "launch"}


class UploadError(Exception):
    """Base of this module's errors."""


class UploadRejected(UploadError):
    """The upload is refused; `code` is stable for tests and logs, `message` is for the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidStoredName(UploadError, ValueError):
    """A stored name that the server could not have generated."""


@dataclass(frozen=True)
class PdfInfo:
    filename: str
    size_bytes: int
    pages: int
    sha256: str


# --- inspection ----------------------------------------------------------------------------


def inspect_pdf(data: bytes, filename: str, max_bytes: int) -> PdfInfo:
    """Check an uploaded PDF and describe it, or raise UploadRejected."""
    clean_name = sanitize_filename(filename)
    _check_envelope(data, clean_name, max_bytes)
    reader = _open(data)
    pages = _page_count(reader)
    finding = _find_active_content(reader)
    if finding is not None:
        raise _rejection(finding)
    return PdfInfo(
        filename=clean_name,
        size_bytes=len(data),
        pages=pages,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def sanitize_filename(filename: str) -> str:
    """The last path component, NFC-normalised, without control or format characters (which
    includes bidirectional overrides), at most MAX_FILENAME characters with the suffix kept."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_FILENAME:
        _stem, dot, suffix = name.rpartition(".")
        keep = f"{dot}{suffix}" if dot and len(suffix) <= 10 else ""
        name = name[: MAX_FILENAME - len(keep)].rstrip() + keep
    return name


def _check_envelope(data: bytes, filename: str, max_bytes: int) -> None:
    """What can be refused without parsing: size, extension and the magic bytes."""
    if not data:
        raise _rejection("empty")
    if len(data) > max_bytes:
        raise UploadRejected(
            "too_large",
            _(
                "Filen fylder %(size)s MB, men en fil må højst fylde %(limit)s MB.",
                size=_megabytes(len(data), up=True),
                limit=_megabytes(max_bytes),
            ),
        )
    if not filename.lower().endswith(".pdf"):
        raise _rejection("wrong_extension")
    if not data.startswith(PDF_MAGIC):
        raise _rejection("not_pdf")


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many types on hostile input; all mean unreadable
        raise _rejection("unreadable") from exc
    if encrypted:
        raise _rejection("encrypted")
    return reader


def _page_count(reader: PdfReader) -> int:
    try:
        pages = len(reader.pages)
    except Exception as exc:  # see _open
        raise _rejection("unreadable") from exc
    if pages < 1:
        raise _rejection("unreadable")
    return pages


class _BudgetExceeded(UploadError):
    pass


def _find_active_content(reader: PdfReader) -> str | None:
    """The code of the first forbidden construct reachable from the trailer, or None."""
    try:
        for obj in _walk(reader.trailer):
            finding = _inspect_object(obj)
            if finding is not None:
                return finding
    except Exception:  # see _open; also _BudgetExceeded and broken references deep inside
        return "unreadable"
    return None


def _walk(root: PdfObject) -> Iterator[DictionaryObject]:
    """Every dictionary (and stream dictionary) reachable from root, each indirect object once.

    Iterative, so deep nesting cannot exhaust the stack; bounded by MAX_OBJECTS_VISITED."""
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject] = [root]
    visited = 0
    while stack:
        visited += 1
        if visited > MAX_OBJECTS_VISITED:
            raise _BudgetExceeded
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            target = None if key in seen else obj.get_object()
            seen.add(key)
            if target is not None:
                stack.append(target)
        elif isinstance(obj, DictionaryObject):
            yield obj
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def _inspect_object(obj: DictionaryObject) -> str | None:
    for key, code in _DANGEROUS_KEYS.items():
        if key in obj:
            return code
    action = _name(obj, "/S")
    if action in _DANGEROUS_ACTIONS:
        return _DANGEROUS_ACTIONS[action]
    if _name(obj, "/Subtype") == "/FileAttachment" or _name(obj, "/Type") == "/EmbeddedFile":
        return "embedded_files"
    return None


def _name(obj: DictionaryObject, key: str) -> str | None:
    """A name-valued entry, following an indirect reference (dict.get does not)."""
    value = dict.get(obj, key)
    if isinstance(value, IndirectObject):
        value = value.get_object()
    return str(value) if isinstance(value, NameObject) else None


def _rejection(code: str) -> UploadRejected:
    messages = {
        "empty": _("Filen er tom. Vælg en PDF-fil med indhold."),
        "wrong_extension": _("Filen skal være en PDF-fil, og filnavnet skal slutte på .pdf."),
        "not_pdf": _("Filen er ikke en PDF-fil. Gem dokumentet som PDF og prøv igen."),
        "unreadable": _(
            "Filen kan ikke læses som PDF. Den kan være beskadiget. Gem dokumentet "
            "som PDF igen og prøv en gang til."
        ),
        "encrypted": _(
            "Filen er krypteret eller beskyttet med adgangskode. Upload en PDF uden kryptering."
        ),
        "javascript": _(
            "Filen indeholder JavaScript, som ikke er tilladt af sikkerhedshensyn. "
            "Gem den som en almindelig PDF (fx 'Udskriv som PDF') og prøv igen."
        ),
        "launch": _(
            "Filen indeholder en handling, der kan starte andre programmer, og det er "
            "ikke tilladt af sikkerhedshensyn. Gem den som en almindelig PDF (fx "
            "'Udskriv som PDF') og prøv igen."
        ),
        "embedded_files": _(
            "Filen indeholder andre filer (vedhæftede filer i PDF'en), og det er "
            "ikke tilladt. Upload hver fil for sig som en almindelig PDF."
        ),
    }
    return UploadRejected(code, messages[code])


def _megabytes(size: int, *, up: bool = False) -> str:
    """Megabytes (MiB) to one decimal. Sizes round up, so a file just over the limit never
    reads as equal to it."""
    tenths = size * 10 / (1024 * 1024)
    return str(
        format_decimal((math.ceil(tenths) if up else math.floor(tenths)) / 10, format="#,##0.#")
    )


# --- storage -------------------------------------------------------------------------------


def store(upload_dir: str | Path, data: bytes) -> str:
    """Write data under a new random name (readable by the owner only) and return the name.
    The file appears atomically: written to a temporary file, then renamed."""
    folder = Path(upload_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.pdf"
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, folder / name)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return name


def stored_path(upload_dir: str | Path, stored_name: str) -> Path:
    """The path of a stored file; refuses any name `store` could not have produced."""
    if not isinstance(stored_name, str) or not STORED_NAME.fullmatch(stored_name):
        raise InvalidStoredName(f"not a stored attachment name: {stored_name!r:.80}")
    return Path(upload_dir) / stored_name


def open_stored(upload_dir: str | Path, stored_name: str) -> bytes:
    return stored_path(upload_dir, stored_name).read_bytes()


def send_attachment(
    upload_dir: str | Path, stored_name: str, download_name: str, *, inline: bool = False
) -> Response:
    """A download response that browsers save rather than render, with nothing active allowed
    should one render it anyway; `inline` lets the browser's own PDF viewer show it (the
    sandbox directive would stop that viewer). Unknown or invalid names are a 404."""
    try:
        data = open_stored(upload_dir, stored_name)
    except (InvalidStoredName, FileNotFoundError) as exc:
        raise NotFound() from exc
    response = Response(data, mimetype="application/pdf")
    disposition = content_disposition(download_name)
    if inline:
        disposition = disposition.replace("attachment;", "inline;", 1)
    response.headers["Content-Disposition"] = disposition
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'" if inline else "default-src 'none'; sandbox"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def content_disposition(download_name: str) -> str:
    """`attachment` with an ASCII fallback and the UTF-8 name per RFC 6266 / RFC 5987."""
    name = sanitize_filename(download_name) or "bilag.pdf"
    return (
        f"attachment; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    )


_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def _ascii_fallback(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name.translate(_TRANSLITERATE))
    ascii_name = ascii_name.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._ ()-]", "_", ascii_name) or "bilag.pdf"
