"""Outgoing mail: the outbox folder, and SMTP against a tiny local server."""

from __future__ import annotations

import base64
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest

from portal.mail import (
    OUTBOX_NAME,
    InvalidOutboxName,
    MailError,
    list_outbox,
    read_outbox,
    send_mail,
)

SENDER = "forsoegsportalen@star.example.dk"
PDF = b"%PDF-1.7\n% a stand-in for a receipt\n"


def _outbox_config(tmp_path: Path) -> dict[str, object]:
    return {"MAIL_SERVER": None, "OUTBOX_DIR": str(tmp_path / "outbox"), "MAIL_SENDER": SENDER}


# --- outbox --------------------------------------------------------------------------------


def test_send_mail_without_server_writes_outbox(tmp_path: Path) -> None:
    config = _outbox_config(tmp_path)
    when = datetime(2026, 11, 24, 13, 3, 7, tzinfo=UTC)
    path = Path(
        send_mail(
            config,
            ["signatar@3f.example.dk"],
            "Kvittering for ansøgning",
            "Vi har modtaget jeres ansøgning.\n\nVenlig hilsen\nSTAR",
            [("kvittering-version-2.pdf", "application/pdf", PDF)],
            now=when,
        )
    )
    assert path.parent == tmp_path / "outbox"
    assert OUTBOX_NAME.fullmatch(path.name) and path.name.startswith("20261124T130307-")

    [item] = list_outbox(config["OUTBOX_DIR"])
    assert (item.name, item.sent_at, item.to) == (path.name, when, "signatar@3f.example.dk")
    assert item.subject == "Kvittering for ansøgning"
    assert item.size == path.stat().st_size

    message = read_outbox(config["OUTBOX_DIR"], path.name)
    assert message["From"] == SENDER
    assert message["Subject"] == "Kvittering for ansøgning"
    assert "Vi har modtaget jeres ansøgning." in message.get_body().get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "kvittering-version-2.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


def test_list_outbox_newest_first_and_ignores_other_files(tmp_path: Path) -> None:
    config = _outbox_config(tmp_path)
    start = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    for minutes, subject in [(5, "Anden"), (0, "Første"), (9, "Tredje")]:
        send_mail(
            config, ["a@example.dk"], subject, "tekst", now=start + timedelta(minutes=minutes)
        )
    (tmp_path / "outbox" / "notes.txt").write_text("not mail")
    assert [item.subject for item in list_outbox(config["OUTBOX_DIR"])] == [
        "Tredje",
        "Anden",
        "Første",
    ]


def test_outbox_names_sort_within_one_second(tmp_path: Path) -> None:
    config = _outbox_config(tmp_path)
    second = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    for micro in (900_000, 5, 400_000):
        send_mail(config, ["a@example.dk"], str(micro), "x", now=second.replace(microsecond=micro))
    assert [item.subject for item in list_outbox(config["OUTBOX_DIR"])] == ["900000", "400000", "5"]


def test_list_outbox_missing_folder_is_empty(tmp_path: Path) -> None:
    assert list_outbox(tmp_path / "nowhere") == []


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "20261124T130307-0123456789abcd.eml/../x",
        "x.eml",
        "",
        "20261124T130307-0123456789abcd.EML",
        "20261124T130307-0123456789abcd.eml\n",
    ],
)
def test_read_outbox_refuses_names_not_written(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidOutboxName):
        read_outbox(tmp_path, name)


def test_send_mail_refuses_header_injection(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        send_mail(_outbox_config(tmp_path), ["a@example.dk"], "Hej\r\nBcc: x@evil.example", "x")
    assert list_outbox(tmp_path / "outbox") == []


def test_send_mail_needs_a_recipient(tmp_path: Path) -> None:
    with pytest.raises(MailError):
        send_mail(_outbox_config(tmp_path), [], "Emne", "x")


# --- SMTP ----------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str = ""
    rcpt_to: list[str] = field(default_factory=list)
    data: bytes = b""
    auth: str = ""


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for one message: EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    timeout = 10
    server: _OneMessageServer

    def handle(self) -> None:
        got = self.server.received
        self._reply("220 localhost test SMTP")
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").rstrip("\r\n")
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250-localhost\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
            elif command.upper().startswith("AUTH PLAIN "):
                got.auth = base64.b64decode(command.split()[2]).decode()
                self._reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                got.mail_from = command.split(":", 1)[1].split()[0].strip("<>")
                self._reply("250 OK")
            elif verb == "RCPT":
                got.rcpt_to.append(command.split(":", 1)[1].strip().strip("<>"))
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                got.data = self._read_data()
                self._reply("250 OK queued")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")

    def _read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)

    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


class _OneMessageServer(socketserver.TCPServer):
    timeout = 10  # handle_request() gives up waiting for a client after this

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.received = Received()


@pytest.fixture()
def smtp_server() -> Iterator[_OneMessageServer]:
    server = _OneMessageServer()
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        thread.join(timeout=15)
        server.server_close()


def test_send_mail_through_smtp(smtp_server: _OneMessageServer, tmp_path: Path) -> None:
    config = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.server_address[1],
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": "portal",
        "MAIL_PASSWORD": "hemmeligt",
        "MAIL_SENDER": SENDER,
        "OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    message_id = send_mail(
        config,
        ["a@3f.example.dk", "b@hk.example.dk"],
        "Ny ansøgningsrunde: kontaktforløb",
        "Læs mere i Forsøgsportalen.",
        [("bilag.pdf", "application/pdf", PDF)],
    )

    got = smtp_server.received
    assert got.auth == "\0portal\0hemmeligt"
    assert got.mail_from == SENDER
    assert got.rcpt_to == ["a@3f.example.dk", "b@hk.example.dk"]
    message = message_from_bytes(got.data, policy=default_policy)
    assert message["Subject"] == "Ny ansøgningsrunde: kontaktforløb"
    assert message["Message-ID"] == message_id
    assert "Læs mere i Forsøgsportalen." in message.get_body().get_content()
    assert [a.get_filename() for a in message.iter_attachments()] == ["bilag.pdf"]
    assert not (tmp_path / "outbox").exists()
