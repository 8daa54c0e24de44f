"""The mail queue's operations: enqueue, claim the next message, hand it over, record what
the mail server said. Plain SQLAlchemy (the tables: voting/mail_models.py); the worker
(voting/mail/worker.py) drives them.

Claims take a row with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers on several servers
never wait for each other nor take the same message; SQLite has a single writer anyway, and
the state in the UPDATE's WHERE makes the claim exclusive on both.

A message is "sending" while the worker talks to the mail server before the text goes, and
"handed" from just before the text goes until the server's answer is recorded. A worker that
is killed leaves one of the two behind: after its claim is stale, "sending" is queued again
(the server discarded the unfinished transaction), "handed" becomes "uncertain" and is never
sent again by itself, so nothing the mail server acknowledged is sent twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voting.domain.times import as_utc
from voting.mail_models import OPEN_STATES, STATES, MailPace, QueuedMail
from voting.models import Attendee, Election
from voting.operations.in_lists import among

INTERRUPTED = "the worker stopped before handing it over; sent again"
UNCERTAIN = (
    "the worker stopped while the mail server was answering: it may have arrived, "
    "so it is not sent again unless someone asks"
)
LINK_KINDS = ("link", "link again")


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off after a failure the mail server calls temporary: *first* seconds, doubled
    each time up to *longest*, and *attempts* in all before it counts as failed."""

    first: float = 30.0
    longest: float = 3600.0
    attempts: int = 6

    def delay(self, attempts_made: int) -> timedelta:
        return timedelta(seconds=min(self.first * 2 ** (attempts_made - 1), self.longest))


@dataclass(frozen=True)
class Claimed:
    """A message a worker holds: its row and the moment the shared pace lets it go."""

    id: int
    slot: datetime


def enqueue(
    session: Session,
    election: Election,
    kind: str,
    attendee_ids: Iterable[int],
    actor: str,
    now: datetime,
    variants: dict[int, str] | None = None,
) -> int:
    """Queue one message of *kind* for each attendee; how many were queued."""
    rows = [
        {
            "election_id": election.id,
            "attendee_id": attendee_id,
            "kind": kind,
            "variant": (variants or {}).get(attendee_id, ""),
            "actor": actor,
            "state": "queued",
            "attempts": 0,
            "not_before": now,
            "queued_at": now,
        }
        for attendee_id in attendee_ids
    ]
    if rows:
        session.execute(QueuedMail.__table__.insert(), rows)
        if kind in LINK_KINDS:
            for one_of in among(session, Attendee.id, [row["attendee_id"] for row in rows]):
                session.execute(
                    update(Attendee)
                    .where(one_of)
                    .values(delivery_status="queued", delivery_detail="")
                    .execution_options(synchronize_session=False)
                )
    session.flush()
    return len(rows)


def retry_now(session: Session, election: Election, kinds: tuple[str, ...], now: datetime) -> int:
    """Messages of *kinds* waiting for a retry are due now (the organiser asked again)."""
    return session.execute(
        update(QueuedMail)
        .where(
            QueuedMail.election_id == election.id,
            QueuedMail.kind.in_(kinds),
            QueuedMail.state == "queued",
            QueuedMail.not_before > now,
        )
        .values(not_before=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def _due(now: datetime, election_id: int | None):  # type: ignore[no-untyped-def]
    query = select(QueuedMail.id).where(QueuedMail.state == "queued", QueuedMail.not_before <= now)
    if election_id is not None:
        query = query.where(QueuedMail.election_id == election_id)
    return query


def any_due(session: Session, now: datetime, election_id: int | None = None) -> bool:
    """A read, without the write lock: is there anything to claim?"""
    return session.scalar(_due(now, election_id).limit(1)) is not None


def claim_next(
    session: Session, now: datetime, rate: float, election_id: int | None = None
) -> Claimed | None:
    """Take the oldest due message (skipping rows another worker holds) and a send slot
    MAIL_RATE allows; None when nothing is due. Run inside a write."""
    found = session.scalar(
        _due(now, election_id).order_by(QueuedMail.id).limit(1).with_for_update(skip_locked=True)
    )
    if found is None:
        return None
    taken = session.execute(
        update(QueuedMail)
        .where(QueuedMail.id == found, QueuedMail.state == "queued")
        .values(state="sending", claimed_at=now, attempts=QueuedMail.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    return Claimed(found, _next_slot(session, now, rate))


def _next_slot(session: Session, now: datetime, rate: float) -> datetime:
    query = select(MailPace).where(MailPace.id == 1).with_for_update()
    pace = session.scalar(query)
    if pace is None:  # made by the migration; only a database emptied since lacks it
        try:
            with session.begin_nested():
                session.add(MailPace(id=1, next_slot=now))
        except IntegrityError:  # another worker made it first
            pass
        pace = session.scalars(query).one()
    slot = max(as_utc(pace.next_slot) or now, now)
    pace.next_slot = slot + timedelta(seconds=1 / rate if rate > 0 else 0)
    session.flush()
    return slot


def hand_over(session: Session, mail_id: int, now: datetime) -> None:
    """The text goes to the mail server next: from here on, a crash means "uncertain"."""
    session.execute(
        update(QueuedMail)
        .where(QueuedMail.id == mail_id)
        .values(state="handed", claimed_at=now)
        .execution_options(synchronize_session=False)
    )


def record(
    session: Session,
    mail: QueuedMail,
    now: datetime,
    failure: str | None,
    *,
    permanent: bool,
    policy: RetryPolicy,
    uncertain: bool = False,
) -> str:
    """What the mail server said: sent, queued again after a back-off, failed for good, or
    uncertain (the connection broke while the text went); the attendee's own delivery status
    follows for ballot links. The new state."""
    if failure is None:
        mail.state, mail.reason, mail.variant = "sent", "", ""
    elif uncertain:
        mail.state, mail.reason, mail.variant = "uncertain", f"{UNCERTAIN} ({failure})"[:500], ""
    elif permanent or mail.attempts >= policy.attempts:
        mail.state, mail.reason, mail.variant = "failed", failure[:500], ""
    else:
        mail.state, mail.reason = "queued", failure[:500]
        mail.not_before = now + policy.delay(mail.attempts)
    if mail.state != "queued":
        mail.finished_at = now
    if mail.kind in LINK_KINDS and mail.attendee_id is not None:
        attendee = session.get_one(Attendee, mail.attendee_id)
        attendee.delivered_at = now
        attendee.delivery_status = mail.state
        attendee.delivery_detail = mail.reason
        if mail.state != "queued":
            attendee.delivery_attempts += 1
    if mail.kind == "reminder" and mail.state == "failed" and mail.attendee_id is not None:
        session.get_one(Attendee, mail.attendee_id).reminded_at = None  # not reminded after all
    session.flush()
    return mail.state


def release_stale(session: Session, now: datetime, stale: timedelta) -> tuple[int, int]:
    """Claims a killed worker left behind: (queued again, now uncertain)."""
    before = now - stale
    queued = session.execute(
        update(QueuedMail)
        .where(QueuedMail.state == "sending", QueuedMail.claimed_at < before)
        .values(state="queued", reason=INTERRUPTED)
        .execution_options(synchronize_session=False)
    ).rowcount
    handed = list(
        session.scalars(
            select(QueuedMail).where(QueuedMail.state == "handed", QueuedMail.claimed_at < before)
        )
    )
    for mail in handed:
        mail.state, mail.reason, mail.finished_at, mail.variant = "uncertain", UNCERTAIN, now, ""
        if mail.kind in LINK_KINDS and mail.attendee_id is not None:
            attendee = session.get_one(Attendee, mail.attendee_id)
            attendee.delivery_status, attendee.delivery_detail = "uncertain", UNCERTAIN
    session.flush()
    return queued, len(handed)


def any_stale(session: Session, now: datetime, stale: timedelta) -> bool:
    return (
        session.scalar(
            select(QueuedMail.id)
            .where(QueuedMail.state.in_(("sending", "handed")), QueuedMail.claimed_at < now - stale)
            .limit(1)
        )
        is not None
    )


def counts(session: Session, election: Election) -> dict[str, int]:
    """The election's messages by state (every kind)."""
    found = dict.fromkeys(STATES, 0)
    found.update(
        session.execute(
            select(QueuedMail.state, func.count())
            .where(QueuedMail.election_id == election.id)
            .group_by(QueuedMail.state)
        ).all()
    )
    return found


def is_busy(session: Session, election: Election) -> bool:
    """Messages of this election are still waiting or going out."""
    return (
        session.scalar(
            select(QueuedMail.id)
            .where(QueuedMail.election_id == election.id, QueuedMail.state.in_(OPEN_STATES))
            .limit(1)
        )
        is not None
    )


def waiting_link(session: Session, attendee: Attendee) -> bool:
    """A ballot link for this attendee is queued or going out already."""
    return (
        session.scalar(
            select(QueuedMail.id)
            .where(
                QueuedMail.attendee_id == attendee.id,
                QueuedMail.kind.in_(LINK_KINDS),
                QueuedMail.state.in_(OPEN_STATES),
            )
            .limit(1)
        )
        is not None
    )
