"""Participation notices at close: each attendee is told whether a ballot was cast with their
credential, so that a ballot cast in someone's name (by a desk account, by whoever found a
lost card) is discovered by its owner.

Only the delivery key can tell, so they are sent after the close is committed and before the
key is destroyed (workflows.close_voting). Which notice an attendee got is in their mailbox
only: the activity log records how many were sent and any that failed, never who had voted.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from voting import services
from voting.db import DatabaseSession, done_reading, writing
from voting.mail.messages import participation_message
from voting.mail.sending import SendSummary, send_one
from voting.mail.smtp import Mailer, MailError, SmtpSettings
from voting.models import Attendee, Election
from voting.operations import activity
from voting.operations.personal_ballots import ballot_status


def send_participation_notices(
    session: DatabaseSession, actor: str, election: Election, *, final: bool
) -> SendSummary:
    """Email every attendee with an address (withdrawn ones excepted) whether their ballot
    was used. *final*: the delivery key is destroyed next, and the notice says so."""
    settings = SmtpSettings.from_config(current_app.config)
    key = services.keys().delivery_key(election.slug)
    people = list(
        session.scalars(
            select(Attendee)
            .where(
                Attendee.election_id == election.id,
                Attendee.email != "",
                Attendee.withdrawn_at.is_(None),
            )
            .order_by(Attendee.id)
        )
    )
    statuses = {person.id: ballot_status(session, election, person, key) for person in people}
    done_reading(session)  # no snapshot held while the mail server answers
    summary, failures = SendSummary(), []
    language = services.default_language()
    try:
        with Mailer(settings) as mailer:
            for person in people:
                message = participation_message(
                    election,
                    person.name,
                    person.language or language,
                    person.email,
                    settings.sender,
                    statuses[person.id],
                    final=final,
                )
                failure = send_one(mailer, message)
                if failure:
                    summary.failed += 1
                    failures.append((person, failure))
                else:
                    summary.sent += 1
    except MailError as exc:  # the mail server is unreachable: nothing more goes out
        summary.failed = len(people) - summary.sent
        failures = [(None, str(exc))]
    now = services.now()
    with writing(session):
        activity.record(session, election, actor, "participation notices", now, detail=str(summary))
        for person, reason in failures:
            activity.record(
                session,
                election,
                actor,
                "participation notice not sent",
                now,
                attendee=session.merge(person) if person else None,
                detail=reason,
            )
    return summary
