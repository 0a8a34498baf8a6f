"""Outgoing e-mail: SMTP when MAIL_SERVER is configured, else `.eml` files in the outbox folder
(development and demo), which `list_outbox` and `read_outbox` show.

Outbox names sort by time: `YYYYMMDDTHHMMSS-<microseconds><random>.eml`, in UTC.
"""

from __future__ import annotations

import os
import re
import secrets
import smtplib
import ssl
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from pathlib import Path

OUTBOX_NAME = re.compile(r"\d{8}T\d{6}-[0-9a-f]{14}\.eml")
SMTP_TIMEOUT_SECONDS = 30


class MailError(Exception):
    """Base of this module's errors."""


class InvalidOutboxName(MailError, ValueError):
    """A name that `send_mail` could not have written."""


@dataclass(frozen=True)
class OutboxItem:
    name: str
    sent_at: datetime
    to: str
    subject: str
    size: int


def send_mail(
    config: Mapping[str, object],
    to: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    *,
    now: datetime | None = None,
) -> str:
    """Send a plain-text message; `attachments` are (filename, content type, data).

    Returns the Message-ID when sent by SMTP, or the path of the `.eml` file in the outbox."""
    now = now or datetime.now(UTC)
    message = build_message(config, to, subject, body, attachments, now=now)
    if config.get("MAIL_SERVER"):
        _send_smtp(config, message)
        return str(message["Message-ID"])
    outbox = config.get("OUTBOX_DIR")
    if not outbox:
        raise MailError("neither MAIL_SERVER nor OUTBOX_DIR is configured")
    return str(_write_outbox(Path(str(outbox)), message, now))


def build_message(
    config: Mapping[str, object],
    to: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    *,
    now: datetime,
) -> EmailMessage:
    if not to:
        raise MailError("a message needs at least one recipient")
    sender = str(config["MAIL_SENDER"])
    message = EmailMessage()  # the default policy refuses CR/LF in headers (no injection)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(now.astimezone(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body, charset="utf-8")
    for filename, content_type, data in attachments:
        maintype, _slash, subtype = content_type.partition("/")
        message.add_attachment(
            data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename
        )
    return message


def _send_smtp(config: Mapping[str, object], message: EmailMessage) -> None:
    host, port = str(config["MAIL_SERVER"]), int(str(config.get("MAIL_PORT") or 587))
    with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        smtp.ehlo()
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if config.get("MAIL_USERNAME"):
            smtp.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
        smtp.send_message(message)


def _write_outbox(outbox: Path, message: EmailMessage, now: datetime) -> Path:
    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = now.astimezone(UTC)
    path = outbox / f"{stamp:%Y%m%dT%H%M%S}-{stamp:%f}{secrets.token_hex(4)}.eml"
    fd, temp = tempfile.mkstemp(dir=outbox, prefix=".mail-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def list_outbox(outbox_dir: str | Path) -> list[OutboxItem]:
    """The messages in the outbox, newest first."""
    folder = Path(outbox_dir)
    if not folder.is_dir():
        return []
    names = sorted(
        (p.name for p in folder.iterdir() if OUTBOX_NAME.fullmatch(p.name)), reverse=True
    )
    return [_outbox_item(folder / name) for name in names]


def _outbox_item(path: Path) -> OutboxItem:
    with path.open("rb") as handle:
        headers = BytesHeaderParser(policy=default_policy).parse(handle)
    sent_at = datetime.strptime(path.name[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return OutboxItem(
        name=path.name,
        sent_at=sent_at,
        to=str(headers.get("To", "")).strip(),
        subject=str(headers.get("Subject", "")).strip(),
        size=path.stat().st_size,
    )


def read_outbox(outbox_dir: str | Path, name: str) -> EmailMessage:
    """One outbox message; refuses any name `send_mail` could not have written."""
    if not isinstance(name, str) or not OUTBOX_NAME.fullmatch(name):
        raise InvalidOutboxName(f"not an outbox message name: {name!r:.80}")
    with (Path(outbox_dir) / name).open("rb") as handle:
        return BytesParser(policy=default_policy).parse(handle)
