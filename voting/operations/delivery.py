"""Who has been sent their ballot link (pending, queued, sent, failed with a reason,
uncertain), and who is due a reminder. The messages themselves wait in the mail queue
(voting/operations/mail_queue.py); the worker keeps each attendee's status here up to date.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from voting.domain.times import as_utc
from voting.errors import N_, StateError
from voting.models import Attendee, Election, SpentToken
from voting.operations import activity
from voting.operations.tokens import live_attendees, personal_token_hashes

# pending: never queued; queued: in the mail queue (or being retried); sent; failed (for
# good, with the reason); uncertain: a worker stopped mid-send (operations/mail_queue.py).
STATUSES = ("pending", "queued", "sent", "failed", "uncertain")


def stale_claim(timeout: float) -> timedelta:
    """How long a worker's claim lasts before it counts as interrupted: one message is sent
    in at most six round trips to the mail server (connect, greeting, MAIL, RCPT, DATA, the
    message), each bounded by its time-out."""
    return timedelta(seconds=6 * timeout + 2)


def recipients(session: Session, election: Election, failed_only: bool = False) -> list[int]:
    """Attendees still to be sent their link: never queued, or failed."""
    wanted = ["failed"] if failed_only else ["pending", "failed"]
    query = select(Attendee.id).where(
        Attendee.election_id == election.id,
        Attendee.withdrawn_at.is_(None),
        Attendee.email != "",
        Attendee.delivery_status.in_(wanted),
    )
    return list(session.execute(query.order_by(Attendee.id)).scalars())


def record_test_email(
    session: Session, actor: str, election: Election, address: str, now: datetime
) -> None:
    """The organiser sent themselves a test message (with an example link, no ballot)."""
    activity.record(session, election, actor, "test email sent", now, detail=address)


def failures(session: Session, election: Election, limit: int = 10) -> list[tuple[str, str]]:
    """The first addresses whose message failed or waits for a retry, with the mail
    server's reason."""
    return [
        (email, detail)
        for email, detail in session.execute(
            select(Attendee.email, Attendee.delivery_detail)
            .where(
                Attendee.election_id == election.id,
                Attendee.delivery_status.in_(("failed", "queued")),
                Attendee.delivery_detail != "",
            )
            .order_by(Attendee.id)
            .limit(limit)
        )
    ]


def counts(session: Session, election: Election) -> dict[str, int]:
    """Attendees with an email, by the status of their ballot link."""
    rows = session.execute(
        select(Attendee.delivery_status, func.count())
        .where(
            Attendee.election_id == election.id,
            Attendee.withdrawn_at.is_(None),
            Attendee.email != "",
        )
        .group_by(Attendee.delivery_status)
    ).all()
    found = dict.fromkeys((*STATUSES, "deferred"), 0)
    for status, count in rows:
        found[status if status in found else "queued"] += count
    if found["queued"]:  # of those, waiting for a retry after the mail server's deferral
        found["deferred"] = (
            session.scalar(
                select(func.count())
                .select_from(Attendee)
                .where(
                    Attendee.election_id == election.id,
                    Attendee.withdrawn_at.is_(None),
                    Attendee.delivery_status == "queued",
                    Attendee.delivery_detail != "",
                )
            )
            or 0
        )
    return found


# --- reminders to vote -------------------------------------------------------------------------


def reminder_recipients(
    session: Session, election: Election, delivery_key: bytes, now: datetime, every: timedelta
) -> list[int]:
    """Attendees with an email whose personal ballot is still unused and who were not
    reminded within *every*. Only the private side knows this: nothing goes on the board."""
    if not election.is_open:
        raise StateError(N_("reminders are sent while voting is open"))
    spent = set(
        session.execute(
            select(SpentToken.token_hash).where(SpentToken.election_id == election.id)
        ).scalars()
    )
    due = []
    for attendee in live_attendees(session, election, delivery_key):
        last = as_utc(attendee.reminded_at)
        if not attendee.email or (last is not None and last > now - every):
            continue
        (digest,) = personal_token_hashes(
            election.slug, delivery_key, [(attendee.id, attendee.reissue)]
        )
        if digest not in spent:
            due.append(attendee.id)
    return due


def claim_reminder(session: Session, attendee_id: int, now: datetime, every: timedelta) -> bool:
    """Mark an attendee as reminded now; False if someone reminded them within *every*."""
    result = session.execute(
        update(Attendee)
        .where(
            Attendee.id == attendee_id,
            or_(Attendee.reminded_at.is_(None), Attendee.reminded_at <= now - every),
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
