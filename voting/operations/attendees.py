"""Importing the attendee list: add new attendees, update known ones (matched by email)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voting.domain.roster import Roster
from voting.errors import StateError
from voting.models import Attendee, Election, EligibleToken
from voting.operations import audit
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
    election: Election,
    roster: Roster,
    *,
    delivery_key: Callable[[], bytes],
) -> ImportResult:
    """Store a checked roster. After opening, new attendees' tokens join the eligible set.

    *delivery_key* is called only when tokens must be derived (voting already open).
    """
    if election.state not in ("draft", "open"):
        raise StateError(f"election {election.slug} is {election.state}: the list is final")
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
    result.total = (
        session.scalar(
            select(func.count()).select_from(Attendee).where(Attendee.election_id == election.id)
        )
        or 0
    )

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
    if election.state == "open" and new:
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
    session.flush()
    return result
