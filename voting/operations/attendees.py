"""The attendee list: importing it (add new attendees, update known ones, matched by email),
counting and searching it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, update
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
    # Plain rows in, plain rows out (no object per attendee): 100,000 attendees are
    # compared and stored in about a second, so the write that holds the lock stays short.
    compared = (Attendee.name, Attendee.organisation, Attendee.ref, Attendee.language)
    existing = {
        row.email: row
        for row in session.execute(
            select(Attendee.id, Attendee.email, Attendee.search_key, *compared).where(
                Attendee.election_id == election.id
            )
        )
    }
    result = ImportResult(warnings=list(roster.warnings))
    inserts: list[dict] = []
    updates: list[dict] = []
    for row in roster.rows:
        values = {
            "name": row.name,
            "organisation": row.organisation,
            "ref": row.ref,
            "language": row.language,
            "search_key": search_key(row.name, row.email, row.organisation, row.ref),
        }
        known = existing.get(row.email)
        if known is None:
            inserts.append({"election_id": election.id, "email": row.email, **values})
        elif any(getattr(known, key) != value for key, value in values.items()):
            updates.append({"id": known.id, **values})
        else:
            result.unchanged += 1
    if inserts:
        session.execute(insert(Attendee), inserts)
    if updates:
        session.execute(update(Attendee), updates)
    result.added, result.updated = len(inserts), len(updates)
    result.kept = len(existing) - result.updated - result.unchanged
    result.total = len(existing) + result.added

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
    if election.is_open and inserts:
        added = {row["email"] for row in inserts}
        new = [
            (row.id, row.reissue)
            for row in session.execute(
                select(Attendee.id, Attendee.email, Attendee.reissue).where(
                    Attendee.election_id == election.id
                )
            )
            if row.email in added
        ]
        hashes = sorted(personal_token_hashes(election.slug, delivery_key(), new))
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
