"""A real SMTP server on loopback (aiosmtpd) for the mail tests, with scripted misbehaviour."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from hub.notify.sink import free_port

DataAction = Callable[[int], str | None]
"""Given the number of the DATA command (1, 2, …), a reply to give instead of accepting:
an SMTP reply such as "421 …", or "drop" to close the connection mid-DATA."""


@dataclass
class Recorder:
    """Keeps every accepted message; refuses recipients and DATA commands as scripted."""

    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    on_data: DataAction | None = None
    hold_data: int | None = None
    """The number of a DATA command to keep but not answer until `release` is set: a message
    in flight whose sender does not know it arrived."""
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    data_commands: int = 0
    sessions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_commands += 1
            number = self.data_commands
        action = self.on_data(number) if self.on_data else None
        if action == "drop":
            server.transport.close()
            return "421 closing"
        if action:
            return action
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append(list(envelope.rcpt_tos))
        if number == self.hold_data:
            # Kept, but the client has not heard "250" yet: the worst moment to die.
            self.holding.set()
            await asyncio.to_thread(self.release.wait, 60)
        return "250 OK"

    def message_ids(self) -> Counter[str]:
        with self.lock:
            return Counter(str(m["Message-ID"]) for m in self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [
                m
                for m, rcpts in zip(self.messages, self.envelopes, strict=True)
                if address in rcpts
            ]


class MailServer:
    """aiosmtpd on 127.0.0.1 in its own thread; can be stopped and started on the same port."""

    def __init__(
        self, recorder: Recorder | None = None, *, port: int | None = None, **options: Any
    ) -> None:
        self.recorder = recorder or Recorder()
        self.port = port or free_port()
        self.options = options
        self._controller: Controller | None = None

    def start(self) -> MailServer:
        self._controller = Controller(
            self.recorder, hostname="127.0.0.1", port=self.port, ready_timeout=10, **self.options
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
