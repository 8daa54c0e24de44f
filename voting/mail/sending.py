"""Sending attendees their ballot links: the loop behind `voting tokens send` and the
console's "send links" button, and the desk's "send the link again".

Every message goes the same way: claim the attendee in a short write (so two senders never
mail the same person), talk to the mail server with no transaction open (so no ballot waits
behind a slow server), then record the outcome in a second short write. An interruption
(Ctrl+C, a crash, the mail server going away) loses nothing: a rerun sends to whoever has no
link yet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from voting import services
from voting.db import DatabaseSession, database, done_reading, writing
from voting.errors import N_, StateError
from voting.mail.messages import ballot_link_message
from voting.mail.smtp import Mailer, MailError, SmtpSettings
from voting.models import Attendee, Election
from voting.operations import delivery
from voting.operations.tokens import NO_PERSONAL_BALLOT, live_attendees, personal_ballot


@dataclass
class SendSummary:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another sender meanwhile

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.failed} failed, {self.skipped} skipped"


class _Composer:
    """Writes one attendee's ballot-link email; the keys and settings are read once."""

    def __init__(self, election: Election, settings: SmtpSettings) -> None:
        self.election = election
        self.settings = settings
        self.key = services.keys().delivery_key(election.slug)
        self.codec = services.codec()
        self.base = services.public_url()
        self.entry_url = services.entry_address()
        self.language = services.default_language()

    def message(self, attendee: Attendee):  # type: ignore[no-untyped-def]
        ballot = personal_ballot(self.codec, self.key, self.election, attendee, self.base)
        return ballot_link_message(
            self.election,
            ballot,
            attendee.email,
            self.settings.sender,
            self.entry_url,
            self.language,
        )


def _send(mailer: Mailer, message) -> str | None:  # type: ignore[no-untyped-def]
    """Send one message outside any transaction; the mail server's reason if it failed."""
    try:
        mailer.send(message)
    except MailError as exc:
        return str(exc)
    return None


def send_links(
    app: Flask,
    election_id: int,
    *,
    actor: str,
    failed_only: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_message: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendSummary:
    """Email each attendee who has no link yet; record each outcome as it happens."""
    summary = SendSummary()
    with app.app_context():
        settings = SmtpSettings.from_config(app.config)
        session = database().session()
        try:
            election = session.get_one(Election, election_id)
            composer = _Composer(election, settings)
            ids = delivery.recipients(session, election, services.now(), failed_only=failed_only)
            if on_start:
                on_start(len(ids))
            with Mailer(settings) as mailer:
                for attendee_id in ids:
                    with writing(session):
                        claimed = delivery.claim(session, attendee_id, services.now())
                    if not claimed:
                        summary.skipped += 1
                    else:
                        attendee = session.get_one(Attendee, attendee_id)
                        message = composer.message(attendee)
                        done_reading(session)
                        failure = _send(mailer, message)
                        if failure is None:
                            summary.sent += 1
                        else:
                            summary.failed += 1
                        with writing(session):
                            delivery.record(session, attendee, services.now(), failure)
                        sleep(1 / settings.rate if settings.rate > 0 else 0)
                    if on_message:
                        on_message()
            with writing(session):
                delivery.record_sending_run(session, actor, election, services.now(), str(summary))
        finally:
            session.close()
    return summary


def resend_link(session: DatabaseSession, actor: str, attendee: Attendee) -> str | None:
    """Send one attendee their link again, now (the help desk); the failure, or None.

    The mail server may take its time (up to SMTP_TIMEOUT): no write is open meanwhile.
    """
    election = session.get_one(Election, attendee.election_id)
    settings = SmtpSettings.from_config(current_app.config)
    composer = _Composer(election, settings)  # fails early if the delivery key is gone
    if not attendee.email:
        raise StateError(N_("%(name)s has no email address"), name=attendee.name)
    if not live_attendees(session, election, composer.key, [attendee.id]):
        raise StateError(NO_PERSONAL_BALLOT)
    with writing(session):
        claimed = delivery.claim(session, attendee.id, services.now(), again=True)
    if not claimed:
        raise StateError(N_("this attendee's link is being sent right now; try again shortly"))
    message = composer.message(attendee)
    with Mailer(settings) as mailer:
        failure = _send(mailer, message)
    with writing(session):
        delivery.record_resend(session, actor, election, attendee, services.now(), failure)
    return failure


_running: dict[int, threading.Thread] = {}
_running_lock = threading.Lock()


def start_in_background(app: Flask, election_id: int, *, actor: str, failed_only: bool) -> bool:
    """Send from a thread of this process (the console's button); False if already sending."""
    with _running_lock:
        thread = _running.get(election_id)
        if thread is not None and thread.is_alive():
            return False
        thread = threading.Thread(
            target=_send_logging_failures,
            args=(app, election_id),
            kwargs={"actor": actor, "failed_only": failed_only},
            name=f"send-links-{election_id}",
            daemon=True,
        )
        _running[election_id] = thread
        thread.start()
        return True


def _send_logging_failures(app: Flask, election_id: int, **options: object) -> None:
    """The console's sender: a failure ends up in the app's log, never in a dead thread."""
    try:
        send_links(app, election_id, **options)  # type: ignore[arg-type]
    except Exception as exc:  # the thread has nobody to raise to
        app.logger.error("sending ballot links stopped: %s", type(exc).__name__)


def wait_for_senders(timeout: float = 30.0) -> None:
    """Let background senders finish (before a shutdown, or between tests)."""
    for thread in list(_running.values()):
        thread.join(timeout)


def is_sending(election_id: int) -> bool:
    thread = _running.get(election_id)
    return thread is not None and thread.is_alive()
