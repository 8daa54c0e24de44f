"""The attendee list: importing it as a registration system exports it, counting and
searching it. Changing one attendee (edit, withdraw) is voting/operations/attendee_changes.py.

An import is planned first (voting/domain/import_plan.py: who is new, who changed, who is
missing) and applied in one write: the same plan a dry run or the console's check shows.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from voting.domain.import_plan import ImportPlan, OnRecord, plan_import
from voting.domain.roster import AttendeeRow, Roster, RosterError
from voting.domain.text import search_key, search_words
from voting.domain.times import as_utc
from voting.errors import N_, NotFound, StateError
from voting.models import Attendee, Election, StagedUpload
from voting.operations import activity, audit
from voting.operations.in_lists import among
from voting.operations.personal_ballots import add_personal_tokens, revoke_personal_tokens


@dataclass
class ImportResult:
    plan: ImportPlan
    withdrawn: int = 0  # of the plan's missing attendees, withdrawn as asked
    total: int = 0  # attendees on the list now, not counting the withdrawn
    tokens_added: int = 0
    tokens_revoked: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def added(self) -> int:
        return len(self.plan.added)

    @property
    def updated(self) -> int:
        return len(self.plan.updated)

    @property
    def unchanged(self) -> int:
        return self.plan.unchanged

    @property
    def returning(self) -> int:
        return len(self.plan.returning)

    @property
    def kept(self) -> int:
        """On the earlier list but not in this file (or cancelled in it): kept, as not asked."""
        return len(self.plan.missing) - self.withdrawn


def on_record(session: Session, election: Election) -> list[OnRecord]:
    """The attendees of an election as an import compares them (plain rows, no objects)."""
    return [
        OnRecord(
            id=row.id,
            name=row.name,
            email=row.email,
            organisation=row.organisation,
            ref=row.ref,
            language=row.language,
            withdrawn=row.withdrawn_at is not None,
        )
        for row in session.execute(
            select(
                Attendee.id,
                Attendee.name,
                Attendee.email,
                Attendee.organisation,
                Attendee.ref,
                Attendee.language,
                Attendee.withdrawn_at,
            ).where(Attendee.election_id == election.id)
        )
    ]


def plan_roster(session: Session, election: Election, roster: Roster) -> ImportPlan:
    """What importing *roster* would change now; writes nothing (a dry run, a check)."""
    check_list_open(election)
    return plan_import(on_record(session, election), roster)


def check_list_open(election: Election) -> None:
    if election.is_over:
        raise StateError(
            N_("election %(election)s is %(state)s: the list is final"),
            election=election.slug,
            state=election.state,
        )


def _details(row: AttendeeRow, fields: frozenset[str]) -> dict[str, str]:
    values = {name: getattr(row, name) for name in ("name", "email", "organisation", "ref")}
    values["language"] = row.language
    values = {name: value for name, value in values.items() if name in fields}
    return values


def import_roster(
    session: Session,
    actor: str,
    election: Election,
    roster: Roster,
    now: datetime,
    *,
    delivery_key: Callable[[], bytes],
    source: str = "",
    withdraw_missing: bool = False,
    expected: str | None = None,
) -> ImportResult:
    """Apply a checked roster, all or nothing. After opening, new (and returning) attendees'
    tokens join the eligible set and withdrawn attendees' unused tokens are revoked.

    *expected* is the digest of the plan the organiser was shown: if the plan differs now,
    nothing is written. *delivery_key* is called only when voting is already open.
    """
    plan = plan_roster(session, election, roster)
    if plan.errors:
        raise RosterError(plan.errors)
    if expected is not None and plan.digest(withdraw_missing) != expected:
        raise StateError(N_("the attendee list changed since the file was checked; check it again"))
    result = ImportResult(plan=plan, warnings=list(plan.warnings))
    fields = roster.fields
    # Plain rows in and out (no object per attendee): 100,000 attendees are stored in about
    # a second, so the write that holds the lock stays short.
    if plan.added:
        session.execute(
            insert(Attendee),
            [
                {
                    "election_id": election.id,
                    "name": row.name,
                    "email": row.email,
                    "organisation": row.organisation,
                    "ref": row.ref,
                    "language": row.language,
                    "search_key": search_key(row.name, row.email, row.organisation, row.ref),
                }
                for row in plan.added
            ],
        )
    changes = [*plan.updated, *plan.returning]
    if changes:
        session.execute(
            update(Attendee),
            [
                {
                    "id": change.id,
                    **(values := {**_before(change.before), **_details(change.row, fields)}),
                    "search_key": search_key(
                        values["name"], values["email"], values["organisation"], values["ref"]
                    ),
                }
                for change in changes
            ],
        )
    if plan.returning:
        # Back on the list: a fresh personal ballot (the old one may have been revoked).
        for one_of in among(session, Attendee.id, [change.id for change in plan.returning]):
            session.execute(
                update(Attendee)
                .where(one_of)
                .values(withdrawn_at=None, reissue=Attendee.reissue + 1)
                .execution_options(synchronize_session=False)
            )
    withdrawn_ids = [missing.attendee.id for missing in plan.missing] if withdraw_missing else []
    for one_of in among(session, Attendee.id, withdrawn_ids):
        session.execute(
            update(Attendee)
            .where(one_of)
            .values(withdrawn_at=now)
            .execution_options(synchronize_session=False)
        )
    result.withdrawn = len(withdrawn_ids)
    result.total = count_attendees(session, election)
    entries: list[tuple[str, dict]] = []
    if plan.changes_anything:
        entries.append(
            (
                "attendees.imported",
                {
                    "count": result.total,
                    "added": result.added,
                    "updated": result.updated + result.returning,
                    "withdrawn": result.withdrawn,
                    "file_sha256": roster.sha256,
                },
            )
        )
    if election.is_open:
        new_ids = _ids_of(session, election, plan.added) + [c.id for c in plan.returning]
        result.tokens_added = add_personal_tokens(session, election, delivery_key, new_ids, entries)
        result.tokens_revoked = revoke_personal_tokens(
            session, election, delivery_key, withdrawn_ids, "withdrawn", entries
        )
    if entries:
        audit.append_entries(session, election, entries)
    activity.record(
        session,
        election,
        actor,
        "attendees imported",
        now,
        detail=f"{source}: {result.added} added, {result.updated} updated, "
        f"{result.returning} back, {result.withdrawn} withdrawn",
    )
    return result


def _before(record: OnRecord) -> dict[str, str]:
    return {
        "name": record.name,
        "email": record.email,
        "organisation": record.organisation,
        "ref": record.ref,
        "language": record.language,
    }


def _ids_of(session: Session, election: Election, rows: list[AttendeeRow]) -> list[int]:
    """The ids the attendees just inserted got (found by reference or email)."""
    if not rows:
        return []
    keys = {(row.ref, row.email) for row in rows}
    return [
        found.id
        for found in session.execute(
            select(Attendee.id, Attendee.ref, Attendee.email).where(
                Attendee.election_id == election.id, Attendee.withdrawn_at.is_(None)
            )
        )
        if (found.ref, found.email) in keys
    ]


def count_attendees(session: Session, election: Election) -> int:
    """Attendees on the list, not counting the withdrawn."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Attendee)
            .where(Attendee.election_id == election.id, Attendee.withdrawn_at.is_(None))
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
    otherwise by name. Withdrawn attendees are found too (the page says so).
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


STAGED_FOR = timedelta(hours=1)


def stage_upload(
    session: Session, election: Election, filename: str, data: bytes, now: datetime
) -> str:
    """Keep an uploaded attendee file between the check and the confirmation; its id.

    Files older than an hour are dropped on the way: they hold personal data.
    """
    session.execute(delete(StagedUpload).where(StagedUpload.created_at < now - STAGED_FOR))
    upload = StagedUpload(
        id=secrets.token_hex(16),
        election_id=election.id,
        filename=filename[:200],
        data=data,
        created_at=now,
    )
    session.add(upload)
    session.flush()
    return upload.id


def staged_upload(
    session: Session, election: Election, upload_id: str, now: datetime
) -> StagedUpload:
    upload = session.get(StagedUpload, upload_id[:32])
    if (
        upload is None
        or upload.election_id != election.id
        or as_utc(upload.created_at) < now - STAGED_FOR
    ):
        raise NotFound(N_("the checked file has expired; upload it again"))
    return upload


def drop_staged_upload(session: Session, upload_id: str) -> None:
    session.execute(delete(StagedUpload).where(StagedUpload.id == upload_id[:32]))
