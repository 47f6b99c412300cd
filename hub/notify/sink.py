"""The embedded SMTP sink: an aiosmtpd server on loopback that keeps every message it accepts
in a maildir, so a demo sends mail over the same aiosmtplib path as production and a person
can open every email (each file in `<data folder>/mail/new/` is one message)."""

from __future__ import annotations

import logging
import mailbox
import socket
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A port nobody listens on now (aiosmtpd cannot bind port 0 itself)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class MaildirHandler:
    """aiosmtpd handler: each accepted message becomes one maildir file, with a
    `Delivered-To` header per envelope recipient."""

    def __init__(self, directory: Path) -> None:
        directory.parent.mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(directory, create=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        delivered = b"".join(f"Delivered-To: {r}\r\n".encode() for r in envelope.rcpt_tos)
        self.maildir.add(delivered + content)
        return "250 Message accepted for delivery"


class LocalSink:
    """The sink's server in its own thread; `start()` then `stop()`."""

    def __init__(self, directory: Path, *, host: str = HOST, port: int | None = None) -> None:
        self.directory = directory
        self.host = host
        self.port = port or free_port(host)
        self._controller = Controller(
            MaildirHandler(directory), hostname=host, port=self.port, ready_timeout=10
        )

    def start(self) -> None:
        self._controller.start()
        log.info(
            "local mail sink on %s:%s keeps every email in %s (one file per message in new/)",
            self.host,
            self.port,
            self.directory.resolve(),
        )

    def stop(self) -> None:
        self._controller.stop()


def mail_dir(data_dir: Path) -> Path:
    """Where the embedded sink keeps mail: `<data folder>/mail`."""
    return data_dir / "mail"
