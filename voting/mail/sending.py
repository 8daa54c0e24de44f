"""Sending attendees their ballot links: the loop behind `voting tokens send` and the
console's "send links" button, the reminders to vote, and the desk's "send the link again".

Every message goes the same way: claim the attendee in a short write (so two senders never
mail the same person), talk to the mail server with no transaction open (so no ballot waits
behind a slow server), then record the outcome in a second short write. An interruption
(Ctrl+C, a crash, the mail server going away) loses nothing: a rerun sends to whoever has no
link yet, and a claim its sender left behind expires.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app

from voting import services
from voting.db import DatabaseSession, database, done_reading, writing
from voting.errors import N_, StateError
from voting.mail.messages import BALLOT_LINK, REMINDER, ballot_link_message, card_printed_message
from voting.mail.smtp import Mailer, MailError, SmtpSettings
from voting.models import Attendee, Election
from voting.operations import activity, delivery
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
        self.base = services.ballot_base_url()
        self.entry_url = services.entry_address(self.base)
        self.language = services.default_language()

    def message(self, attendee: Attendee, kind: str = BALLOT_LINK):  # type: ignore[no-untyped-def]
        ballot = personal_ballot(self.codec, self.key, self.election, attendee, self.base)
        return ballot_link_message(
            self.election,
            ballot,
            attendee.email,
            self.settings.sender,
            self.entry_url,
            self.language,
            kind,
        )


def send_one(mailer: Mailer, message) -> str | None:  # type: ignore[no-untyped-def]
    """Send one message outside any transaction; the mail server's reason if it failed."""
    try:
        mailer.send(message)
    except MailError as exc:
        return str(exc)
    return None


class _Links:
    """A run of first messages: everyone not sent yet (or failed, or left mid-send)."""

    kind = BALLOT_LINK

    def __init__(self, failed_only: bool, timeout: float) -> None:
        self.failed_only = failed_only
        self.stale = delivery.stale_claim(timeout)

    def due(self, session: DatabaseSession, election: Election, key: bytes, now: datetime):  # type: ignore[no-untyped-def]
        with writing(session):
            delivery.release_stale_claims(session, election, now, self.stale)
        live = {a.id for a in live_attendees(session, election, key)}
        found = delivery.recipients(
            session, election, now, failed_only=self.failed_only, stale=self.stale
        )
        return [attendee_id for attendee_id in found if attendee_id in live]

    def claim(self, session: DatabaseSession, attendee_id: int, now: datetime) -> bool:
        return delivery.claim(session, attendee_id, now, stale=self.stale)

    def record(self, session, attendee, now, failure):  # type: ignore[no-untyped-def]
        delivery.record(session, attendee, now, failure)

    def finish(self, session, actor, election, now, summary):  # type: ignore[no-untyped-def]
        delivery.record_sending_run(session, actor, election, now, str(summary))


class _Reminders:
    """A run of reminders: whoever has not voted and was not reminded within *every*."""

    kind = REMINDER

    def __init__(self, every: timedelta) -> None:
        self.every = every

    def due(self, session: DatabaseSession, election: Election, key: bytes, now: datetime):  # type: ignore[no-untyped-def]
        return delivery.reminder_recipients(session, election, key, now, self.every)

    def claim(self, session: DatabaseSession, attendee_id: int, now: datetime) -> bool:
        return delivery.claim_reminder(session, attendee_id, now, self.every)

    def record(self, session, attendee, now, failure):  # type: ignore[no-untyped-def]
        delivery.record_reminder(session, attendee, failure)

    def finish(self, session, actor, election, now, summary):  # type: ignore[no-untyped-def]
        delivery.record_reminder_run(session, actor, election, now, str(summary))


def _run(
    app: Flask,
    election_id: int,
    actor: str,
    job: _Links | _Reminders,
    on_start: Callable[[int], None] | None,
    on_message: Callable[[], None] | None,
    sleep: Callable[[float], None],
) -> SendSummary:
    summary = SendSummary()
    with app.app_context():
        settings = SmtpSettings.from_config(app.config)
        session = database().session()
        try:
            election = session.get_one(Election, election_id)
            composer = _Composer(election, settings)
            ids = job.due(session, election, composer.key, services.now())
            if on_start:
                on_start(len(ids))
            with Mailer(settings) as mailer:
                for attendee_id in ids:
                    with writing(session):
                        claimed = job.claim(session, attendee_id, services.now())
                    if not claimed:
                        summary.skipped += 1
                    else:
                        attendee = session.get_one(Attendee, attendee_id)
                        message = composer.message(attendee, job.kind)
                        done_reading(session)
                        failure = send_one(mailer, message)
                        if failure is None:
                            summary.sent += 1
                        else:
                            summary.failed += 1
                        with writing(session):
                            job.record(session, attendee, services.now(), failure)
                        sleep(1 / settings.rate if settings.rate > 0 else 0)
                    if on_message:
                        on_message()
            with writing(session):
                job.finish(session, actor, election, services.now(), summary)
        finally:
            session.close()
    return summary


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
    timeout = SmtpSettings.from_config(app.config).timeout
    return _run(app, election_id, actor, _Links(failed_only, timeout), on_start, on_message, sleep)


def send_reminders(
    app: Flask,
    election_id: int,
    *,
    actor: str,
    every: timedelta,
    on_start: Callable[[int], None] | None = None,
    on_message: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendSummary:
    """Remind each attendee who has not voted yet, at most once per *every*."""
    return _run(app, election_id, actor, _Reminders(every), on_start, on_message, sleep)


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
        claimed = delivery.claim(
            session,
            attendee.id,
            services.now(),
            again=True,
            stale=delivery.stale_claim(settings.timeout),
        )
    if not claimed:
        raise StateError(N_("this attendee's link is being sent right now; try again shortly"))
    message = composer.message(attendee)
    with Mailer(settings) as mailer:
        failure = send_one(mailer, message)
    with writing(session):
        delivery.record_resend(session, actor, election, attendee, services.now(), failure)
    return failure


def tell_of_new_card(
    session: DatabaseSession, actor: str, election: Election, attendee: Attendee
) -> str | None:
    """Email an attendee that the help desk printed them a new card, after its commit (no
    write is open while the mail server answers); the failure, or None. Logged privately."""
    if not attendee.email:
        return None
    settings = SmtpSettings.from_config(current_app.config)
    now = services.now()
    language = attendee.language or services.default_language()
    message = card_printed_message(
        election,
        attendee.name,
        language,
        attendee.email,
        settings.sender,
        election.local_time(now),
    )
    try:
        with Mailer(settings) as mailer:
            failure = send_one(mailer, message)
    except MailError as exc:
        failure = str(exc)
    with writing(session):
        outcome = f"not sent: {failure}" if failure else "sent"
        activity.record(
            session, election, actor, "new card notice", now, attendee=attendee, detail=outcome
        )
    return failure


_running: dict[tuple[int, str], threading.Thread] = {}
_running_lock = threading.Lock()


def start_in_background(
    app: Flask,
    election_id: int,
    *,
    actor: str,
    failed_only: bool = False,
    every: timedelta | None = None,
) -> bool:
    """Send from a thread of this process (the console's buttons): the links, or reminders
    when *every* is given. False if that job is running already; PublicUrlMissing if the
    links would point nowhere."""
    services.ballot_base_url()  # refused here, where the organiser sees it, not in the thread
    job = "reminders" if every is not None else "links"
    with _running_lock:
        thread = _running.get((election_id, job))
        if thread is not None and thread.is_alive():
            return False
        options: dict[str, object] = {"actor": actor}
        if every is not None:
            target, options["every"] = send_reminders, every
        else:
            target, options["failed_only"] = send_links, failed_only
        thread = threading.Thread(
            target=_logging_failures,
            args=(target, app, election_id),
            kwargs=options,
            name=f"send-{job}-{election_id}",
            daemon=True,
        )
        _running[(election_id, job)] = thread
        thread.start()
        return True


def _logging_failures(target, app: Flask, election_id: int, **options: object) -> None:  # type: ignore[no-untyped-def]
    """The console's sender: a failure ends up in the app's log, never in a dead thread."""
    try:
        target(app, election_id, **options)
    except Exception as exc:  # the thread has nobody to raise to
        app.logger.error("sending emails stopped: %s", type(exc).__name__)


def wait_for_senders(timeout: float = 30.0) -> None:
    """Let background senders finish (before a shutdown, or between tests)."""
    for thread in list(_running.values()):
        thread.join(timeout)


def is_sending(election_id: int) -> bool:
    return any(
        thread.is_alive()
        for (election, _job), thread in _running.items()
        if election == election_id
    )
