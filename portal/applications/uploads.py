"""PDF attachments: inspection of uploaded bytes, storage outside the web root, download.

`inspect_pdf` accepts only plain PDFs: no encryption and none of the active content listed in
`ACTIVE_CONTENT` (scripts, actions that start programs, open addresses or other files, send
or fetch data, run by themselves, embedded files, XFA forms, media). Plain link annotations
may open an address when clicked. It walks the reachable object graph with a visit budget, so
a hostile file cannot make it loop or run for long. Stored files get server-generated names;
the user's filename is kept (sanitised) only in the database and in the download header.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import re
import secrets
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import Response
from flask_babel import format_decimal
from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)
from werkzeug.exceptions import NotFound

PDF_MAGIC = b"%PDF-"
MAX_FILENAME = 200
MAX_OBJECTS_VISITED = 250_000
STORED_NAME = re.compile(r"[0-9a-f]{32}\.pdf")
WEB_SCHEMES = ("https://", "http://", "mailto:")


@dataclass(frozen=True)
class ActiveContent:
    """One kind of refused content. A dictionary is of the kind when its /S (action type),
    /Subtype or /Type is one of the names, or when it has one of the keys (an empty /AA
    dictionary excepted)."""

    code: str
    actions: frozenset[str] = frozenset()
    subtypes: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()


def _kind(code: str, **names: tuple[str, ...]) -> ActiveContent:
    return ActiveContent(code, **{field: frozenset(value) for field, value in names.items()})


# Everything refused, most specific first: a file with several kinds is refused with the
# first. A /URI action is allowed only as the /A of a /Link annotation (a click on a link) to
# an http(s) or mailto address; reached any other way (open action, /AA trigger, /Next chain,
# bookmark, form field) it is refused. The messages are in `_rejection`; the edit page says
# the same in brief.
ACTIVE_CONTENT: tuple[ActiveContent, ...] = (
    _kind("javascript", actions=("/JavaScript",), keys=("/JS", "/JavaScript")),
    _kind("launch", actions=("/Launch",)),
    _kind("uri", actions=("/URI",)),
    _kind("link_target"),  # a link to a file, network share or other non-web address
    _kind("submit_form", actions=("/SubmitForm",)),
    _kind("import_data", actions=("/ImportData",)),
    _kind("remote_goto", actions=("/GoToR",)),
    _kind("embedded_goto", actions=("/GoToE",)),
    _kind(
        "embedded_files",
        subtypes=("/FileAttachment",),
        types=("/EmbeddedFile",),
        keys=("/EmbeddedFiles", "/EF"),
    ),
    _kind("xfa", keys=("/XFA",)),
    _kind(
        "rich_media",
        actions=("/RichMediaExecute",),
        subtypes=("/RichMedia", "/3D"),
        keys=("/RichMediaContent",),
    ),
    _kind(
        "media",
        actions=("/Sound", "/Movie", "/Rendition"),
        subtypes=("/Sound", "/Movie", "/Screen"),
    ),
    _kind("external_file"),  # URL file specifications, external stream data, reference XObjects
    _kind("auto_action", keys=("/AA",)),
)
_PRIORITY = {kind.code: rank for rank, kind in enumerate(ACTIVE_CONTENT)}


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
    with _parser_trouble() as trouble:
        reader = _open(data)
        pages = _page_count(reader)
        finding = _find_active_content(reader)
    if finding is None and trouble.count:
        finding = "unreadable"
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


# pypdf's object parser, when not strict, logs a warning and carries on with what it has when
# a dictionary is malformed: a duplicate key (it keeps the first, a viewer may take the last),
# a broken entry, or nesting deeper than Python's recursion limit (it drops the inner part).
# What it dropped can be active content a viewer reads, so any such warning refuses the file.
_PARSER_LOGGER = logging.getLogger("pypdf.generic._data_structures")
_PARSER_LOGGER.setLevel(logging.WARNING)  # a quieter pypdf setting must not turn this off


class _ParserTrouble(logging.Handler):
    """Counts the parser's warnings in the current thread."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.count += 1


@contextmanager
def _parser_trouble() -> Iterator[_ParserTrouble]:
    handler = _ParserTrouble()
    _PARSER_LOGGER.addHandler(handler)
    try:
        yield handler
    finally:
        _PARSER_LOGGER.removeHandler(handler)


def _find_active_content(reader: PdfReader) -> str | None:
    """The code of the most specific refused kind reachable from the trailer, or None.

    The whole graph is walked, so the answer does not depend on the order of the objects."""
    found: set[str] = set()
    try:
        for obj, link_target in _walk(reader.trailer):
            found.update(_inspect_object(obj, link_target))
    except Exception:  # see _open; also _BudgetExceeded and broken references deep inside
        return "unreadable"
    return min(found, key=_PRIORITY.__getitem__, default=None)


def _walk(root: PdfObject) -> Iterator[tuple[DictionaryObject, bool]]:
    """Every dictionary (and stream dictionary) reachable from root, with whether it was
    reached as the /A of a /Link annotation. Each indirect object is visited once per way of
    reaching it (link /A or any other), so one object cannot hide behind a link.

    Iterative, so deep nesting cannot exhaust the stack; bounded by MAX_OBJECTS_VISITED."""
    seen: set[tuple[int, int, bool]] = set()
    stack: list[tuple[PdfObject, bool]] = [(root, False)]
    visited = 0
    while stack:
        visited += 1
        if visited > MAX_OBJECTS_VISITED:
            raise _BudgetExceeded
        obj, link_target = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation, link_target)
            target = None if key in seen else obj.get_object()
            seen.add(key)
            if target is not None:
                stack.append((target, link_target))
        elif isinstance(obj, DictionaryObject):
            yield obj, link_target
            is_link = _name(obj, "/Subtype") == "/Link"
            stack.extend((value, is_link and key == "/A") for key, value in obj.items())
        elif isinstance(obj, ArrayObject):
            stack.extend((item, False) for item in obj)


def _inspect_object(obj: DictionaryObject, link_target: bool) -> Iterator[str]:
    """The codes of the refused kinds this dictionary is (an action is judged where it is
    reached, so a /URI action reached as a link's /A passes)."""
    action, subtype, kind = _name(obj, "/S"), _name(obj, "/Subtype"), _name(obj, "/Type")
    for content in ACTIVE_CONTENT:
        refused_action = action in content.actions and not (link_target and action == "/URI")
        named = refused_action or subtype in content.subtypes or kind in content.types
        if named or any(key in obj for key in content.keys if not _empty_aa(obj, key)):
            yield content.code
    if link_target and action == "/URI" and not _web_address(obj):
        yield "link_target"
    if _is_external_reference(obj):
        yield "external_file"


def _web_address(action: DictionaryObject) -> bool:
    value = dict.get(action, "/URI")
    if isinstance(value, IndirectObject):
        value = value.get_object()
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return False
    address = "".join(ch for ch in value if ch > " ").lower()  # as browsers read it
    return address.startswith(WEB_SCHEMES)


def _empty_aa(obj: DictionaryObject, key: str) -> bool:
    """An /AA dictionary without triggers does nothing."""
    if key != "/AA":
        return False
    value = dict.get(obj, key)
    if isinstance(value, IndirectObject):
        value = value.get_object()
    return isinstance(value, DictionaryObject) and len(value) == 0


def _is_external_reference(obj: DictionaryObject) -> bool:
    """A URL file specification, a stream whose data lies in another file, or a reference
    XObject (a page imported from another file when shown)."""
    if _name(obj, "/FS") == "/URL":
        return True
    if isinstance(obj, StreamObject) and "/F" in obj:
        return True
    return _name(obj, "/Subtype") == "/Form" and "/Ref" in obj


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
    if code in messages:
        return UploadRejected(code, messages[code])
    active = {
        "uri": _(
            "Filen indeholder en handling, der åbner en internetadresse (/URI) andre steder "
            "fra end et link i teksten, fx når filen åbnes."
        ),
        "link_target": _(
            "Filen indeholder et link til en fil, et netværksdrev eller en anden adresse, "
            "der ikke er en almindelig internet- eller mailadresse (/URI)."
        ),
        "submit_form": _(
            "Filen indeholder en formular, der kan sende data til en internetadresse (/SubmitForm)."
        ),
        "import_data": _(
            "Filen indeholder en handling, der henter data fra en anden fil (/ImportData)."
        ),
        "remote_goto": _(
            "Filen indeholder en handling, der åbner en anden fil, fx på et netværksdrev (/GoToR)."
        ),
        "embedded_goto": _(
            "Filen indeholder en handling, der åbner en anden eller en indlejret PDF-fil (/GoToE)."
        ),
        "xfa": _("Filen indeholder en dynamisk XFA-formular (/XFA), som kan køre scripts."),
        "rich_media": _(
            "Filen indeholder interaktivt indhold som Flash eller 3D-modeller (/RichMedia)."
        ),
        "media": _(
            "Filen indeholder lyd eller video, der kan afspilles i PDF'en (/Sound, /Movie "
            "eller /Rendition)."
        ),
        "external_file": _(
            "Filen henter indhold fra en anden fil eller en internetadresse (ekstern "
            "filhenvisning)."
        ),
        "auto_action": _(
            "Filen indeholder handlinger, der kører af sig selv, fx når filen eller en side "
            "åbnes, eller når man fører musen over et felt (/AA)."
        ),
    }
    advice = _(
        "Det er ikke tilladt af sikkerhedshensyn. Gem filen som en almindelig PDF (fx "
        "'Udskriv som PDF') og prøv igen."
    )
    return UploadRejected(code, f"{active[code]} {advice}")


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
