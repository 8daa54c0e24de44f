"""The organisers' private activity log: who did what, and to whom.

It may name attendees, so only organisers read it; the public board records the anonymous
effect of the same actions. It never names a token.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from voting.models import ActivityRecord, AnyElection, Attendee, Election


def record(
    session: Session,
    election: AnyElection | None,
    actor: str,
    action: str,
    now: datetime,
    *,
    attendee: Attendee | None = None,
    detail: str = "",
) -> None:
    session.add(
        ActivityRecord(
            election_id=election.id if election else None,
            at=now,
            actor=actor,
            action=action,
            attendee_id=attendee.id if attendee else None,
            detail=detail,
        )
    )
    session.flush()


def recent(session: Session, election: Election, limit: int = 200) -> list[ActivityRecord]:
    return list(
        session.execute(
            select(ActivityRecord)
            .where(ActivityRecord.election_id == election.id)
            .order_by(ActivityRecord.id.desc())
            .limit(limit)
            .options(selectinload(ActivityRecord.attendee))
        ).scalars()
    )
