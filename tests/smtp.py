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
    """aiosmtpd handler: keeps each message; refuses recipients whose address says "bounce".

    *delay* makes each message take that long to be accepted (a slow server).
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self.delay = delay

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "bounce" in address:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


class SmtpServer:
    """*smtputf8*: whether the server offers SMTPUTF8 (addresses beyond ASCII)."""

    def __init__(self, *, smtputf8: bool = True, delay: float = 0.0) -> None:
        self.port = free_port()
        self.inbox = Inbox(delay)
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
