"""The mail worker: takes queued messages one at a time, writes each when it goes out (a
ballot link is made from the delivery key there and then, never stored), and records what
the mail server said. `voting worker` runs it; so does each serving process's timer unless
MAIL_WORKER = "separate" leaves the sending to workers of its own.

Every write is short and no transaction is open while the mail server answers. MAIL_RATE
holds for all workers together (a shared pace row, voting/mail/mail_queue.py); a failure the
server calls temporary is retried after a growing back-off (MAIL_RETRY_SECONDS, doubled,
MAIL_ATTEMPTS in all); a refusal (5xx) fails at once, with the server's reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from flask import Flask

from voting import services
from voting.db import DatabaseSession, database, done_reading, writing
from voting.domain.times import as_utc
from voting.errors import VotingError
from voting.mail.messages import (
    BALLOT_LINK,
    REMINDER,
    ballot_link_message,
    card_printed_message,
    participation_message,
)
from voting.mail.smtp import Mailer, MailError, SmtpSettings
from voting.mail_models import QueuedMail
from voting.models import Attendee, Election
from voting.operations import delivery, mail_queue
from voting.operations.tokens import NO_PERSONAL_BALLOT, live_attendees, personal_ballot


@dataclass
class WorkSummary:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    uncertain: int = 0

    def __str__(self) -> str:
        text = f"{self.sent} sent, {self.failed} failed"
        if self.retrying:
            text += f", {self.retrying} to be retried"
        if self.uncertain:
            text += f", {self.uncertain} uncertain"
        return text


class Undeliverable(Exception):
    """This message cannot be written any more (the attendee withdrew, the key is gone)."""


@dataclass
class _Writer:
    """Writes a queued message; each election's keys and settings are read once."""

    settings: SmtpSettings
    _keys: dict[int, bytes | None] = field(default_factory=dict)

    def delivery_key(self, election: Election) -> bytes:
        if election.id not in self._keys:
            try:
                self._keys[election.id] = services.keys().delivery_key(election.slug)
            except VotingError as exc:
                raise Undeliverable(str(exc)) from None
        key = self._keys[election.id]
        assert key is not None
        return key

    def message(self, session: DatabaseSession, mail: QueuedMail) -> EmailMessage:
        election = session.get_one(Election, mail.election_id)
        attendee = session.get_one(Attendee, mail.attendee_id)
        if not attendee.email:
            raise Undeliverable("no email address")
        language = attendee.language or services.default_language()
        sender = self.settings.sender
        if mail.kind == "new card":
            printed = election.local_time(as_utc(mail.queued_at))
            return card_printed_message(
                election, attendee.name, language, attendee.email, sender, printed
            )
        if mail.kind == "notice":
            status, _, final = mail.variant.partition(":")
            return participation_message(
                election, attendee.name, language, attendee.email, sender, status,
                final=final == "final",
            )  # fmt: skip
        key = self.delivery_key(election)
        if not live_attendees(session, election, key, [attendee.id]):
            raise Undeliverable(str(VotingError(NO_PERSONAL_BALLOT)))
        base = services.ballot_base_url()
        ballot = personal_ballot(services.codec(), key, election, attendee, base)
        return ballot_link_message(
            election,
            ballot,
            attendee.email,
            sender,
            services.entry_address(base),
            services.default_language(),
            REMINDER if mail.kind == "reminder" else BALLOT_LINK,
        )


def retry_policy(config: dict) -> mail_queue.RetryPolicy:
    return mail_queue.RetryPolicy(
        first=float(config.get("MAIL_RETRY_SECONDS", 30.0)),
        attempts=int(config.get("MAIL_ATTEMPTS", 6)),
    )


def send_due(
    app: Flask,
    session: DatabaseSession,
    *,
    election_id: int | None = None,
    stop: threading.Event | None = None,
    on_message: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WorkSummary:
    """Send every message that is due now, one after the other, until none is left (or
    *stop* is set); what became of them."""
    settings = SmtpSettings.from_config(app.config)
    policy = retry_policy(app.config)
    stale = delivery.stale_claim(settings.timeout)
    writer = _Writer(settings)
    summary = WorkSummary()
    with Mailer(settings) as mailer:
        while stop is None or not stop.is_set():
            now = services.now()
            if mail_queue.any_stale(session, now, stale):
                with writing(session):
                    mail_queue.release_stale(session, now, stale)
            if not mail_queue.any_due(session, now, election_id):
                break
            with writing(session):
                claimed = mail_queue.claim_next(session, services.now(), settings.rate, election_id)
            if claimed is None:
                continue  # another worker took it
            wait = (claimed.slot - services.now()).total_seconds()
            if wait > 0:
                sleep(wait)
            state = _send(session, mailer, writer, claimed.id, policy)
            if state == "sent":
                summary.sent += 1
            elif state == "queued":
                summary.retrying += 1
            else:
                setattr(summary, state, getattr(summary, state) + 1)
            if on_message:
                on_message(state)
    done_reading(session)
    return summary


def _send(
    session: DatabaseSession,
    mailer: Mailer,
    writer: _Writer,
    mail_id: int,
    policy: mail_queue.RetryPolicy,
) -> str:
    mail = session.get_one(QueuedMail, mail_id)
    failure, permanent, uncertain = None, False, False
    try:
        message = writer.message(session, mail)
    except Undeliverable as exc:
        failure, permanent = str(exc), True
    else:
        done_reading(session)  # no snapshot held while the mail server answers

        def handed() -> None:
            with writing(session):
                mail_queue.hand_over(session, mail_id, services.now())

        try:
            mailer.send(message, before_data=handed)
        except MailError as exc:
            failure, permanent, uncertain = str(exc), exc.permanent, exc.uncertain
    with writing(session):
        mail = session.get_one(QueuedMail, mail_id)
        return mail_queue.record(
            session,
            mail,
            services.now(),
            failure,
            permanent=permanent,
            uncertain=uncertain,
            policy=policy,
        )


def run(
    app: Flask,
    *,
    poll: float = 1.0,
    stop: threading.Event | None = None,
    on_message: Callable[[str], None] | None = None,
) -> None:
    """`voting worker`: send what is due, then look again every *poll* seconds, until *stop*."""
    stop = stop or threading.Event()
    with app.app_context():
        session = database().session()
        try:
            while not stop.is_set():
                send_due(app, session, stop=stop, on_message=on_message)
                stop.wait(poll)
        finally:
            session.close()
