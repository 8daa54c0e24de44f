"""Appending to an election's audit log and exporting it as a board file.

Every append locks the election's head row (``SELECT ... FOR UPDATE`` on PostgreSQL; on
SQLite the writer's ``BEGIN IMMEDIATE`` already holds the only write lock), so the log is
one chain with no gaps even with many app processes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from voting import verify
from voting.models import AuditEntry, AuditHead, Election

_HASH = 32


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: bytes

    @property
    def fingerprint(self) -> str:
        return verify.fingerprint(self.root)


def create_log(session: Session, election: Election) -> None:
    session.add(AuditHead(election_id=election.id, size=0, last_hash=bytes(_HASH), peaks=b""))
    session.flush()


def _split(peaks: bytes) -> list[bytes]:
    return [peaks[i : i + _HASH] for i in range(0, len(peaks), _HASH)]


def append_entries(
    session: Session, election: Election, items: Sequence[tuple[str, dict]]
) -> list[AuditEntry]:
    """Append entries (kind, data) in order under one lock of the head; return them."""
    head = session.execute(
        select(AuditHead).where(AuditHead.election_id == election.id).with_for_update()
    ).scalar_one()
    peaks = _split(head.peaks)
    size, last = head.size, head.last_hash
    entries = []
    for kind, data in items:
        body = verify.canonical_json({"seq": size, "prev": last.hex(), "kind": kind, "data": data})
        leaf = verify.leaf_hash(body)
        receipt = verify.receipt_code(leaf) if kind == "ballot.cast" else None
        entries.append(
            AuditEntry(
                election_id=election.id,
                seq=size,
                kind=kind,
                body=body.decode("utf-8"),
                leaf_hash=leaf,
                receipt=receipt,
            )
        )
        peaks = verify.frontier_append(peaks, size, leaf)
        size, last = size + 1, leaf
    head.size, head.last_hash, head.peaks = size, last, b"".join(peaks)
    session.add_all(entries)
    session.flush()
    return entries


def append_entry(session: Session, election: Election, kind: str, data: dict) -> AuditEntry:
    return append_entries(session, election, [(kind, data)])[0]


def tree_head(session: Session, election: Election) -> TreeHead:
    head = session.execute(
        select(AuditHead).where(AuditHead.election_id == election.id)
    ).scalar_one()
    return TreeHead(size=head.size, root=verify.frontier_root(_split(head.peaks)))


def export_board(session: Session, election: Election) -> Iterator[bytes]:
    """The board file, line by line: header, every entry as it was hashed, then the head.

    Entries are read in one snapshot with the head so the file is consistent even while
    ballots are being cast.
    """
    head = tree_head(session, election)
    yield (
        verify.canonical_json(
            {
                "type": "board",
                "format": verify.FORMAT,
                "election": election.slug,
                "title": election.title,
            }
        )
        + b"\n"
    )
    rows = session.execute(
        select(AuditEntry.body)
        .where(AuditEntry.election_id == election.id, AuditEntry.seq < head.size)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=2000)
    ).scalars()
    for body in rows:
        yield body.encode("utf-8") + b"\n"
    yield (
        verify.canonical_json({"type": "head", "size": head.size, "root": head.root.hex()}) + b"\n"
    )


@dataclass(frozen=True)
class ReceiptLookup:
    election: Election
    entry: AuditEntry
    head: TreeHead


def find_receipt(session: Session, code: str) -> ReceiptLookup | None:
    """The ballot entry a receipt code names, with the log's current head."""
    normalised = verify.normalize_receipt(code)
    if normalised is None:
        return None
    entry = session.execute(select(AuditEntry).where(AuditEntry.receipt == normalised)).scalar()
    if entry is None:
        return None
    election = session.get_one(Election, entry.election_id)
    return ReceiptLookup(election=election, entry=entry, head=tree_head(session, election))
