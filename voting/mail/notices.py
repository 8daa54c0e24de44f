"""Participation notices at close: each attendee is told whether a ballot was cast with their
credential, so that a ballot cast in someone's name (by a desk account, by whoever found a
lost card) is discovered by its owner.

Only the delivery key can tell, so they are queued after the close is committed and before
the key is destroyed (workflows.close_voting): each queued notice holds its attendee's
status ("used", "unused", ...) until the worker has sent it, then forgets it. The activity
log records how many were queued, never who had voted.
"""

from __future__ import annotations

from sqlalchemy import select

from voting import services
from voting.db import DatabaseSession, writing
from voting.models import Attendee, Election
from voting.operations import activity, mail_queue
from voting.operations.personal_ballots import ballot_status


def queue_participation_notices(
    session: DatabaseSession, actor: str, election: Election, *, final: bool
) -> int:
    """Queue a notice for every attendee with an address (withdrawn ones excepted) saying
    whether their ballot was used. *final*: the delivery key is destroyed next, and the
    notice says so. How many were queued."""
    key = services.keys().delivery_key(election.slug)
    with writing(session):
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
        suffix = ":final" if final else ""
        variants = {
            person.id: ballot_status(session, election, person, key) + suffix for person in people
        }
        now = services.now()
        count = mail_queue.enqueue(session, election, "notice", variants, actor, now, variants)
        activity.record(
            session, election, actor, "participation notices", now, detail=f"{count} queued"
        )
    return count
