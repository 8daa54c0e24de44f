"""What importing an attendee file would change, worked out before anything is written.

Plain comparison of the checked file with the attendees on record: who is new, whose
details change, who registered again after being withdrawn, and who is on record but no
longer in the file (or cancelled in it), to be withdrawn only when the organiser asks. The
same plan is shown by a dry run and by the console's check step, and applied by the import.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from voting.domain.roster import AttendeeRow, Roster, SkippedRow

DETAILS = ("name", "email", "organisation", "ref", "language")


@dataclass(frozen=True)
class OnRecord:
    """An attendee as stored, as far as an import compares them."""

    id: int
    name: str
    email: str
    organisation: str = ""
    ref: str = ""
    language: str = ""
    withdrawn: bool = False


@dataclass(frozen=True)
class Change:
    """An attendee on record whose details the file changes (or who registered again)."""

    id: int
    row: AttendeeRow
    fields: tuple[str, ...]
    before: OnRecord


@dataclass(frozen=True)
class Missing:
    """An attendee on record the file no longer lists, or lists as cancelled."""

    attendee: OnRecord
    reason: str  # "" when simply not in the file; else "cancelled (the row's status)"


@dataclass
class ImportPlan:
    added: list[AttendeeRow] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    unchanged: int = 0
    returning: list[Change] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.updated or self.returning or self.missing)

    def digest(self, withdraw_missing: bool) -> str:
        """A fingerprint of what applying this plan does: the console's check step shows a
        plan, and the import that follows must do exactly that or refuse."""
        parts = [f"withdraw={withdraw_missing}"]
        parts += [f"add {row.line} {row.ref} {row.email} {row.name}" for row in self.added]
        parts += [f"update {c.id} {c.fields} {c.row.line}" for c in self.updated]
        parts += [f"return {c.id} {c.row.line}" for c in self.returning]
        parts += [f"missing {m.attendee.id}" for m in self.missing]
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]


def plan_import(on_record: Iterable[OnRecord], roster: Roster) -> ImportPlan:
    """Compare *roster* with the attendees *on_record*. A detail the file has no column for
    (a language, say) is never overwritten."""
    records, fields = list(on_record), roster.fields
    plan = ImportPlan(skipped=list(roster.skipped), warnings=list(roster.warnings))
    by_ref = {r.ref: r for r in records if r.ref}
    by_email: dict[str, list[OnRecord]] = defaultdict(list)
    for record in records:
        if record.email:
            by_email[record.email].append(record)
    matched: set[int] = set()
    for row in roster.rows:
        record = _match(row, roster.keyed_by, by_ref, by_email, matched, plan.errors)
        if record is None:
            plan.added.append(row)
            continue
        matched.add(record.id)
        changed = tuple(
            name
            for name in DETAILS
            if name in fields and getattr(row, name) != getattr(record, name)
        )
        if record.withdrawn:
            plan.returning.append(Change(record.id, row, changed, record))
        elif changed:
            plan.updated.append(Change(record.id, row, changed, record))
        else:
            plan.unchanged += 1
    cancelled = _cancelled_rows(roster.skipped)
    for record in records:
        if record.id in matched or record.withdrawn:
            continue
        status = cancelled.get(record.ref) or cancelled.get(record.email)
        plan.missing.append(Missing(record, f"cancelled ({status})" if status else ""))
    return plan


def _match(
    row: AttendeeRow,
    keyed_by: str,
    by_ref: dict[str, OnRecord],
    by_email: dict[str, list[OnRecord]],
    matched: set[int],
    errors: list[str],
) -> OnRecord | None:
    """The attendee on record this row describes, or None for a new attendee."""
    if keyed_by == "ref":
        found = by_ref.get(row.ref)
        if found is not None:
            return found
        # Someone imported earlier from a list without references: known by their email.
        candidates = [r for r in by_email.get(row.email, []) if not r.ref and r.id not in matched]
    else:
        candidates = [r for r in by_email.get(row.email, []) if r.id not in matched]
    if len(candidates) > 1:
        errors.append(
            f"line {row.line}: {len(candidates)} attendees on record have the email "
            f"{row.email}; import a file that names each registration (a reference column)"
        )
        return None
    return candidates[0] if candidates and row.email else None


def _cancelled_rows(skipped: list[SkippedRow]) -> dict[str, str]:
    """Reference or email of each cancelled registration in the file -> its status."""
    found: dict[str, str] = {}
    for row in skipped:
        if row.status.startswith("no attendee"):
            continue
        for key in (row.ref, row.email):
            if key:
                found.setdefault(key, row.status)
    return found
