"""Sending every attendee their ballot link: the loop behind `voting tokens send` and the
console's "send links" button.

Unlike operations, this commits after each message, so an interruption (Ctrl+C, a crash,
the mail server going away) loses nothing: a rerun sends to whoever has no link yet, and a
claim on each attendee keeps two senders from mailing the same person.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy.orm import Session

from voting import context
from voting.db import database
from voting.mail import Mailer, MailError, SmtpSettings
from voting.messages import ballot_link_message
from voting.models import Attendee, Election
from voting.operations import activity, delivery
from voting.operations.tokens import personal_ballot


@dataclass
class SendSummary:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another sender meanwhile


def entry_address() -> str:
    """Where a code from a card or an email is typed in, as printed: host and /code."""
    return context.public_url().split("://", 1)[-1] + "/code"


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
        session = database().writer()
        try:
            election = session.get_one(Election, election_id)
            key = context.keys().delivery_key(election.slug)
            codec, base = context.codec(), context.public_url()
            entry_url = entry_address()
            ids = delivery.recipients(session, election, context.now(), failed_only=failed_only)
            session.commit()
            if on_start:
                on_start(len(ids))
            with Mailer(settings) as mailer:
                for attendee_id in ids:
                    claimed = delivery.claim(session, attendee_id, context.now())
                    session.commit()
                    if not claimed:
                        summary.skipped += 1
                    else:
                        attendee = session.get_one(Attendee, attendee_id)
                        ballot = personal_ballot(codec, key, election, attendee, base)
                        message = ballot_link_message(
                            election,
                            ballot,
                            attendee.email,
                            settings.sender,
                            entry_url,
                            app.config["BABEL_DEFAULT_LOCALE"],
                        )
                        failure = None
                        try:
                            mailer.send(message)
                            summary.sent += 1
                        except MailError as exc:
                            failure = str(exc)
                            summary.failed += 1
                        delivery.record(session, attendee, context.now(), failure)
                        session.commit()
                        sleep(1 / settings.rate if settings.rate > 0 else 0)
                    if on_message:
                        on_message()
            activity.record(
                session,
                election,
                actor,
                "links emailed",
                context.now(),
                detail=f"{summary.sent} sent, {summary.failed} failed, {summary.skipped} skipped",
            )
            session.commit()
        finally:
            session.close()
    return summary


def send_link_now(
    session: Session, app: Flask, election: Election, attendee: Attendee, *, actor: str
) -> str | None:
    """Send one attendee their link at once (the desk's "resend"); the failure, or None.

    Records the outcome and an activity line in *session*; the caller commits.
    """
    settings = SmtpSettings.from_config(app.config)
    ballot = personal_ballot(
        context.codec(),
        context.keys().delivery_key(election.slug),
        election,
        attendee,
        context.public_url(),
    )
    message = ballot_link_message(
        election,
        ballot,
        attendee.email,
        settings.sender,
        entry_address(),
        app.config["BABEL_DEFAULT_LOCALE"],
    )
    failure = None
    try:
        with Mailer(settings) as mailer:
            mailer.send(message)
    except MailError as exc:
        failure = str(exc)
    delivery.record(session, attendee, context.now(), failure)
    activity.record(
        session,
        election,
        actor,
        "link resent" if failure is None else "link resend failed",
        context.now(),
        attendee=attendee,
        detail=failure or "",
    )
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
