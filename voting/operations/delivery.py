"""Who has been sent their ballot link: pending, sending, sent, or failed with a reason.

Each attendee is claimed in a short write before a message goes out, so two senders (the
console and the command line, the desk, or two app processes) never mail the same person
twice, and no write waits on the mail server. The sending itself is voting/mail/sending.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from voting.models import Attendee, Election
from voting.operations import activity

STATUSES = ("pending", "sending", "sent", "failed")
# A claim older than this is taken to be from a sender that was interrupted.
STALE_CLAIM = timedelta(minutes=10)


def recipients(
    session: Session, election: Election, now: datetime, *, failed_only: bool = False
) -> list[int]:
    """Attendees still to be sent their link: never sent, failed, or stuck mid-send."""
    wanted = ["failed"] if failed_only else ["pending", "failed"]
    query = select(Attendee.id).where(
        Attendee.election_id == election.id,
        Attendee.withdrawn_at.is_(None),
        Attendee.email != "",
        or_(
            Attendee.delivery_status.in_(wanted),
            (Attendee.delivery_status == "sending") & (Attendee.delivered_at < now - STALE_CLAIM),
        ),
    )
    return list(session.execute(query.order_by(Attendee.id)).scalars())


def claim(session: Session, attendee_id: int, now: datetime, *, again: bool = False) -> bool:
    """Mark an attendee as being sent to; False if another sender got there first.

    *again* (the desk's "resend") claims a link already sent too.
    """
    claimable = ["pending", "failed", "sent"] if again else ["pending", "failed"]
    result = session.execute(
        update(Attendee)
        .where(
            Attendee.id == attendee_id,
            or_(
                Attendee.delivery_status.in_(claimable),
                (Attendee.delivery_status == "sending")
                & (Attendee.delivered_at < now - STALE_CLAIM),
            ),
        )
        .values(delivery_status="sending", delivered_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def record(session: Session, attendee: Attendee, now: datetime, failure: str | None) -> None:
    """The outcome of one attempt: sent, or failed with the server's reason."""
    attendee.delivery_attempts += 1
    attendee.delivered_at = now
    attendee.delivery_status = "failed" if failure else "sent"
    attendee.delivery_detail = (failure or "")[:500]
    session.flush()


def record_resend(
    session: Session,
    actor: str,
    election: Election,
    attendee: Attendee,
    now: datetime,
    failure: str | None,
) -> None:
    """The outcome of the desk's "send the link again", in the attendee's status and the log."""
    record(session, attendee, now, failure)
    activity.record(
        session,
        election,
        actor,
        "link resent" if failure is None else "link resend failed",
        now,
        attendee=attendee,
        detail=failure or "",
    )


def record_sending_run(
    session: Session, actor: str, election: Election, now: datetime, summary: str
) -> None:
    """One run of the sender (the console's button or `voting tokens send`) has ended."""
    activity.record(session, election, actor, "links emailed", now, detail=summary)


def failures(session: Session, election: Election, limit: int = 10) -> list[tuple[str, str]]:
    """The first addresses whose message failed, with the mail server's reason."""
    return [
        (email, detail)
        for email, detail in session.execute(
            select(Attendee.email, Attendee.delivery_detail)
            .where(Attendee.election_id == election.id, Attendee.delivery_status == "failed")
            .order_by(Attendee.id)
            .limit(limit)
        )
    ]


def counts(session: Session, election: Election) -> dict[str, int]:
    rows = session.execute(
        select(Attendee.delivery_status, func.count())
        .where(Attendee.election_id == election.id)
        .group_by(Attendee.delivery_status)
    ).all()
    found = dict.fromkeys(STATUSES, 0)
    found.update({status: count for status, count in rows})
    return found
