"""A real SMTP server for tests (aiosmtpd), collecting what it receives."""

from __future__ import annotations

import asyncio
import contextlib
import email
import socket
import threading
import time
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller

from tests.server import free_port


class Inbox:
    """aiosmtpd handler: keeps each message; refuses recipients whose address says "bounce"
    and defers once (451) those whose address says "defer".

    *delay* makes each message take that long to be accepted (a slow server). *hold* =
    ("RCPT" or "DATA", n) stops the n-th such command with no answer, its message kept if it
    was DATA, until *release* is set; *holding* is set meanwhile.
    """

    def __init__(self, delay: float = 0.0, hold: tuple[str, int] | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self.delay = delay
        self.hold = hold
        self.holding = threading.Event()
        self.release = threading.Event()
        self.deferred: set[str] = set()
        self._seen = {"RCPT": 0, "DATA": 0}

    async def _maybe_hold(self, command: str) -> None:
        self._seen[command] += 1
        if self.hold == (command, self._seen[command]):
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "bounce" in address:
            return "550 5.1.1 No such mailbox here"
        if "defer" in address and address not in self.deferred:
            self.deferred.add(address)
            return "451 4.7.1 Try again later"
        await self._maybe_hold("RCPT")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        self.envelopes.append(list(envelope.rcpt_tos))
        await self._maybe_hold("DATA")
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return [address for rcpt in self.envelopes for address in rcpt]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


class SmtpServer:
    """*smtputf8*: whether the server offers SMTPUTF8 (addresses beyond ASCII)."""

    def __init__(
        self, *, smtputf8: bool = True, delay: float = 0.0, hold: tuple[str, int] | None = None
    ) -> None:
        self.port = free_port()
        self.inbox = Inbox(delay, hold)
        self.smtputf8 = smtputf8
        self.controller: Controller | None = None

    def start(self) -> None:
        """Listen (again) on the same port; a stopped controller cannot restart, so make one."""
        self.controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            enable_SMTPUTF8=self.smtputf8,
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class StallingSmtpServer:
    """A mail server that accepts each connection, then says nothing for *stall* seconds and
    hangs up: the slowest mail server a send can meet before its time-out."""

    def __init__(self, stall: float = 10.0) -> None:
        self.port = free_port()
        self.stall = stall
        self.connected = threading.Event()  # set once a client is connected and waiting
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self._listener.accept()
                self.connected.set()
                threading.Thread(target=self._stall, args=(connection,), daemon=True).start()

    def _stall(self, connection: socket.socket) -> None:
        time.sleep(self.stall)
        connection.close()

    def stop(self) -> None:
        self._listener.close()


def serving(app, server: SmtpServer) -> SmtpServer:
    """Start *server* and point the app's mail settings at it."""
    server.start()
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=server.port,
        MAIL_FROM="awards@vote.test",
        MAIL_RATE=1000,
        PUBLIC_URL="http://vote.test",
    )
    return server


def send_queue(app):  # type: ignore[no-untyped-def]
    """Do what a mail worker does: send every queued message that is due; its summary."""
    from voting.mail import worker

    with app.app_context():
        session = app.extensions["voting.db"].session()
        try:
            return worker.send_due(app, session)
        finally:
            session.close()
