"""The attendee list: importing it (add new attendees, update known ones, matched by email),
counting and searching it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voting.domain.roster import Roster
from voting.domain.text import search_key, search_words
from voting.errors import N_, StateError
from voting.models import Attendee, Election, EligibleToken
from voting.operations import activity, audit
from voting.operations.tokens import personal_token_hashes


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # on the earlier list but not in this file: kept, not deleted
    total: int = 0
    tokens_added: int = 0
    warnings: list[str] = field(default_factory=list)


def import_roster(
    session: Session,
    actor: str,
    election: Election,
    roster: Roster,
    now: datetime,
    *,
    delivery_key: Callable[[], bytes],
    source: str = "",
) -> ImportResult:
    """Store a checked roster. After opening, new attendees' tokens join the eligible set.

    *delivery_key* is called only when tokens must be derived (voting already open);
    *source* (the file's name) goes into the activity log.
    """
    if election.is_over:
        raise StateError(
            N_("election %(election)s is %(state)s: the list is final"),
            election=election.slug,
            state=election.state,
        )
    existing = {
        a.email: a
        for a in session.execute(
            select(Attendee).where(Attendee.election_id == election.id)
        ).scalars()
    }
    result = ImportResult(warnings=list(roster.warnings))
    new: list[Attendee] = []
    seen: set[str] = set()
    for row in roster.rows:
        seen.add(row.email)
        attendee = existing.get(row.email)
        values = {
            "name": row.name,
            "organisation": row.organisation,
            "ref": row.ref,
            "language": row.language,
            "search_key": search_key(row.name, row.email, row.organisation, row.ref),
        }
        if attendee is None:
            attendee = Attendee(election_id=election.id, email=row.email, **values)
            session.add(attendee)
            new.append(attendee)
            result.added += 1
        elif any(getattr(attendee, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(attendee, key, value)
            result.updated += 1
        else:
            result.unchanged += 1
    result.kept = len(set(existing) - seen)
    session.flush()
    result.total = count_attendees(session, election)

    entries: list[tuple[str, dict]] = [
        (
            "attendees.imported",
            {
                "count": result.total,
                "added": result.added,
                "updated": result.updated,
                "file_sha256": roster.sha256,
            },
        )
    ]
    if election.is_open and new:
        hashes = sorted(
            personal_token_hashes(election.slug, delivery_key(), ((a.id, a.reissue) for a in new))
        )
        session.add_all(EligibleToken(election_id=election.id, token_hash=h) for h in hashes)
        result.tokens_added = len(hashes)
        entries.append(
            ("tokens.added", {"count": len(hashes), "token_hashes": [h.hex() for h in hashes]})
        )
    if result.added or result.updated:
        audit.append_entries(session, election, entries)
    activity.record(
        session,
        election,
        actor,
        "attendees imported",
        now,
        detail=f"{source}: {result.added} added, {result.updated} updated",
    )
    return result


def count_attendees(session: Session, election: Election) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Attendee).where(Attendee.election_id == election.id)
        )
        or 0
    )


@dataclass(frozen=True)
class FoundAttendees:
    attendees: list[Attendee]
    total: int  # all that match, of which *attendees* is one page


def find_attendees(
    session: Session, election: Election, query: str, *, limit: int, offset: int = 0
) -> FoundAttendees:
    """Attendees whose name, email, organisation or reference holds every word of *query*.

    Words may come in any order and without accents: "strom" finds "Björn Ström", and
    "andersson lars" finds "Lars Andersson". An empty query lists everyone, in list order;
    otherwise by name.
    """
    statement = select(Attendee).where(Attendee.election_id == election.id)
    words = search_words(query)
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Attendee.search_key.like(f"%{escaped}%", escape="\\"))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    order = (Attendee.name, Attendee.id) if words else (Attendee.id,)
    rows = session.execute(statement.order_by(*order).offset(offset).limit(limit)).scalars()
    return FoundAttendees(attendees=list(rows), total=total)
