"""Putting messages in the mail queue: the ballot links (`voting tokens send`, the console's
"send links"), reminders to vote, the desk's "send the link again", the new-card notice.

A web request only writes rows here, in one short write; the worker (voting/mail/worker.py)
sends them. `voting tokens send` and `voting tokens remind` queue and then work the queue
themselves until nothing of that election is due, so a laptop needs no worker running.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask

from voting import services
from voting.db import DatabaseSession, writing
from voting.errors import N_, StateError
from voting.mail import worker
from voting.models import Attendee, Election
from voting.operations import activity, delivery, mail_queue
from voting.operations.tokens import NO_PERSONAL_BALLOT, live_attendees


@dataclass(frozen=True)
class Queued:
    """How many messages a request put in the queue (0: everyone had theirs already)."""

    count: int


def queue_links(
    session: DatabaseSession, actor: str, election: Election, *, failed_only: bool = False
) -> Queued:
    """Queue a ballot link for every live attendee with an email who has none on its way
    or delivered (with *failed_only*, only those whose message failed); links waiting for a
    retry are due at once. One write; the count is of the new and the hastened."""
    key = services.keys().delivery_key(election.slug)  # refused here, not in the worker
    services.ballot_base_url()
    with writing(session):
        live = {a.id for a in live_attendees(session, election, key)}
        due = [i for i in delivery.recipients(session, election, failed_only) if i in live]
        count = mail_queue.enqueue(session, election, "link", due, actor, services.now())
        count += mail_queue.retry_now(session, election, mail_queue.LINK_KINDS, services.now())
        activity.record(
            session, election, actor, "links queued", services.now(), detail=f"{count} queued"
        )
    return Queued(count)


def queue_reminders(
    session: DatabaseSession, actor: str, election: Election, *, every: timedelta
) -> Queued:
    """Queue a reminder for each attendee whose personal ballot is unused and who was not
    reminded within *every*. One write."""
    key = services.keys().delivery_key(election.slug)
    services.ballot_base_url()
    with writing(session):
        now = services.now()
        due = [
            attendee_id
            for attendee_id in delivery.reminder_recipients(session, election, key, now, every)
            if delivery.claim_reminder(session, attendee_id, now, every)
        ]
        count = mail_queue.enqueue(session, election, "reminder", due, actor, now)
        activity.record(session, election, actor, "reminders queued", now, detail=f"{count}")
    return Queued(count)


def resend_link(session: DatabaseSession, actor: str, attendee: Attendee) -> Queued:
    """Queue one attendee's link again (the help desk), even if it was sent already."""
    election = session.get_one(Election, attendee.election_id)
    key = services.keys().delivery_key(election.slug)  # fails early if the key is gone
    services.ballot_base_url()
    if not attendee.email:
        raise StateError(N_("%(name)s has no email address"), name=attendee.name)
    with writing(session):
        if not live_attendees(session, election, key, [attendee.id]):
            raise StateError(NO_PERSONAL_BALLOT)
        if mail_queue.waiting_link(session, attendee):
            raise StateError(N_("this attendee's link is being sent right now; try again shortly"))
        mail_queue.enqueue(session, election, "link again", [attendee.id], actor, services.now())
        activity.record(
            session, election, actor, "link resend queued", services.now(), attendee=attendee
        )
    return Queued(1)


def queue_new_card_notice(
    session: DatabaseSession, actor: str, election: Election, attendee: Attendee
) -> None:
    """Within the write that reissued the card: tell the attendee a new card was printed
    (if it was not them, the old card stopped working and they should say so)."""
    if attendee.email:
        now = services.now()
        mail_queue.enqueue(session, election, "new card", [attendee.id], actor, now)
        activity.record(
            session, election, actor, "new card notice", now, attendee=attendee, detail="queued"
        )


def work_election(
    app: Flask,
    session: DatabaseSession,
    election: Election,
    on_message: Callable[[str], None] | None = None,
) -> worker.WorkSummary:
    """Send what is due of one election here and now (the command line), as a worker would."""
    return worker.send_due(app, session, election_id=election.id, on_message=on_message)
