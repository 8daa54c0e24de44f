"""Who has been sent their ballot link: pending, sending, sent, or failed with a reason.

Each attendee is claimed in a short write before a message goes out, so two senders (the
console and the command line, the desk, or two app processes) never mail the same person
twice, and no write waits on the mail server. The sending itself is voting/mail/sending.py.
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

STATUSES = ("pending", "sending", "sent", "failed")
# A claim older than this is taken to be from a sender that was interrupted.
STALE_CLAIM = timedelta(minutes=10)
INTERRUPTED = "interrupted: the sender stopped before the mail server answered; sent again"


def stale_claim(timeout: float) -> timedelta:
    """How long a claim lasts before it counts as interrupted: one message is claimed and
    sent in at most six round trips to the mail server (connect, greeting, MAIL, RCPT,
    DATA, the message), each bounded by its time-out."""
    return timedelta(seconds=6 * timeout + 2)


def release_stale_claims(
    session: Session, election: Election, now: datetime, stale: timedelta = STALE_CLAIM
) -> int:
    """Claims a crashed or killed sender left behind become failures, to be retried: nobody
    stays "being sent" for ever."""
    result = session.execute(
        update(Attendee)
        .where(
            Attendee.election_id == election.id,
            Attendee.delivery_status == "sending",
            Attendee.delivered_at < now - stale,
        )
        .values(delivery_status="failed", delivery_detail=INTERRUPTED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def recipients(
    session: Session,
    election: Election,
    now: datetime,
    *,
    failed_only: bool = False,
    stale: timedelta = STALE_CLAIM,
) -> list[int]:
    """Attendees still to be sent their link: never sent, failed, or stuck mid-send."""
    wanted = ["failed"] if failed_only else ["pending", "failed"]
    query = select(Attendee.id).where(
        Attendee.election_id == election.id,
        Attendee.withdrawn_at.is_(None),
        Attendee.email != "",
        or_(
            Attendee.delivery_status.in_(wanted),
            (Attendee.delivery_status == "sending") & (Attendee.delivered_at < now - stale),
        ),
    )
    return list(session.execute(query.order_by(Attendee.id)).scalars())


def claim(
    session: Session,
    attendee_id: int,
    now: datetime,
    *,
    again: bool = False,
    stale: timedelta = STALE_CLAIM,
) -> bool:
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
                (Attendee.delivery_status == "sending") & (Attendee.delivered_at < now - stale),
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


def record_test_email(
    session: Session, actor: str, election: Election, address: str, now: datetime
) -> None:
    """The organiser sent themselves a test message (with an example link, no ballot)."""
    activity.record(session, election, actor, "test email sent", now, detail=address)


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


def counts(
    session: Session,
    election: Election,
    now: datetime | None = None,
    stale: timedelta = STALE_CLAIM,
) -> dict[str, int]:
    """Attendees with an email by status; with *now*, claims older than *stale* are counted
    as "interrupted" (their sender stopped; the next run sends again), not as being sent."""
    mailable = (
        Attendee.election_id == election.id,
        Attendee.withdrawn_at.is_(None),
        Attendee.email != "",
    )
    rows = session.execute(
        select(Attendee.delivery_status, func.count())
        .where(*mailable)
        .group_by(Attendee.delivery_status)
    ).all()
    found = dict.fromkeys((*STATUSES, "interrupted"), 0)
    found.update({status: count for status, count in rows})
    if now is not None and found["sending"]:
        found["interrupted"] = (
            session.scalar(
                select(func.count())
                .select_from(Attendee)
                .where(
                    *mailable,
                    Attendee.delivery_status == "sending",
                    Attendee.delivered_at < now - stale,
                )
            )
            or 0
        )
        found["sending"] -= found["interrupted"]
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


def record_reminder(session: Session, attendee: Attendee, failure: str | None) -> None:
    """A reminder that failed is not counted as given: the next run tries again."""
    if failure:
        attendee.reminded_at = None
        attendee.delivery_detail = failure[:500]
        session.flush()


def record_reminder_run(
    session: Session, actor: str, election: Election, now: datetime, summary: str
) -> None:
    activity.record(session, election, actor, "reminders emailed", now, detail=summary)
