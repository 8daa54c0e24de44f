"""An election's audit log: appending entries, signing checkpoints, exporting the board.

Every append locks the election's head row (``SELECT ... FOR UPDATE`` on PostgreSQL; on
SQLite the writer's ``BEGIN IMMEDIATE`` already holds the only write lock), so the log is
one chain with no gaps even with many app processes. Checkpoints are signed in the same
transaction as the entries they cover, under the same lock: there is no second writer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from voting import verify
from voting.models import AuditEntry, AuditHead, Checkpoint, Election
from voting.witness_models import Cosignature as WitnessCosignature

_HASH = 32


@dataclass(frozen=True)
class LogSigner:
    """Signs checkpoints with the instance's Ed25519 key, named after each log's origin."""

    private_key: Ed25519PrivateKey

    def sign(self, origin: str, size: int, root: bytes) -> verify.Checkpoint:
        return verify.sign_checkpoint(self.private_key, origin, size, root)

    def verifier_key(self, origin: str) -> verify.VerifierKey:
        return verify.VerifierKey.from_private(origin, self.private_key)


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


# Built once: every batch runs them (see ballots.py on why statements are prebuilt).
_LOCK_HEAD = (
    select(AuditHead).where(AuditHead.election_id == bindparam("election")).with_for_update()
)
_INSERT_ENTRIES = insert(AuditEntry)


def locked_head(session: Session, election: Election) -> AuditHead:
    """The log's head row, locked to the end of the transaction: the one writer of the log."""
    return session.execute(_LOCK_HEAD, {"election": election.id}).scalar_one()


def append_entries(
    session: Session, election: Election, items: Sequence[tuple[str, dict]]
) -> list[AuditEntry]:
    """Append entries (kind, data) in order under one lock of the head; return them."""
    return append_under_lock(session, election, locked_head(session, election), items)


def append_under_lock(
    session: Session, election: Election, head: AuditHead, items: Sequence[tuple[str, dict]]
) -> list[AuditEntry]:
    peaks = _split(head.peaks)
    size, last = head.size, head.last_hash
    entries = []
    for kind, data in items:
        if kind not in verify.ENTRY_KINDS:
            raise ValueError(f"{kind!r} is not a kind of entry the board knows")
        body = verify.canonical_json({"seq": size, "prev": last.hex(), "kind": kind, "data": data})
        leaf = verify.leaf_hash(body)
        receipt = verify.ballot_receipt(data) if kind == "ballot.cast" else None
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
    # Plain inserts: the entries are never changed once written, so the session need not
    # track them; the head's new size goes out with the next flush, in this transaction.
    session.execute(
        _INSERT_ENTRIES,
        [
            {
                "election_id": e.election_id,
                "seq": e.seq,
                "kind": e.kind,
                "body": e.body,
                "leaf_hash": e.leaf_hash,
                "receipt": e.receipt,
            }
            for e in entries
        ],
    )
    session.flush()
    return entries


def append_entry(session: Session, election: Election, kind: str, data: dict) -> AuditEntry:
    return append_entries(session, election, [(kind, data)])[0]


def tree_head(session: Session, election: Election) -> TreeHead:
    head = session.execute(
        select(AuditHead).where(AuditHead.election_id == election.id)
    ).scalar_one()
    return TreeHead(size=head.size, root=verify.frontier_root(_split(head.peaks)))


# --- Checkpoints ---------------------------------------------------------------------------------


def checkpoint(
    session: Session,
    election: Election,
    signer: LogSigner,
    now: datetime,
    head: AuditHead | None = None,
) -> verify.Checkpoint:
    """Sign and store a checkpoint of the log as it stands (the one there is if unchanged).

    *head* is the head row when the caller has already locked it.
    """
    head = head or locked_head(session, election)
    if head.size and head.size == head.checkpoint_size:
        latest = latest_checkpoint(session, election)
        if latest is not None:
            return latest
    root = verify.frontier_root(_split(head.peaks))
    signed = signer.sign(election.origin, head.size, root)
    session.add(
        Checkpoint(
            election_id=election.id, size=head.size, root=root, note=signed.note, made_at=now
        )
    )
    head.checkpoint_size, head.checkpoint_at = head.size, now
    session.flush()
    return signed


def latest_checkpoint(session: Session, election: Election) -> verify.Checkpoint | None:
    row = session.execute(
        select(Checkpoint)
        .where(Checkpoint.election_id == election.id)
        .order_by(Checkpoint.size.desc())
        .limit(1)
    ).scalar()
    return _as_checkpoint(election, row) if row else None


def milestone_checkpoints(session: Session, election: Election) -> dict[str, verify.Checkpoint]:
    """The checkpoints signed right after opening, the sealed tally and the end of the reveal,
    named as the verifier names them: the fingerprints shown in the room."""
    entries = session.execute(
        select(AuditEntry.seq, AuditEntry.kind, AuditEntry.body)
        .where(AuditEntry.election_id == election.id, AuditEntry.kind.in_(verify.MILESTONE_KINDS))
        .order_by(AuditEntry.seq)
    ).all()
    sizes = {}
    for entry in entries:
        name = verify.milestone(entry.kind, json.loads(entry.body)["data"])
        if name:
            sizes[entry.seq + 1] = name  # the checkpoint that follows the entry at once
    rows = session.scalars(
        select(Checkpoint).where(
            Checkpoint.election_id == election.id, Checkpoint.size.in_(list(sizes))
        )
    )
    found = {sizes[row.size]: _as_checkpoint(election, row) for row in rows}
    return {name: found[name] for name in verify.FINGERPRINT_LABELS if name in found}


def fingerprints_shown(session: Session, election: Election) -> dict[str, str]:
    """The milestones' fingerprints by name, for the pages that show them."""
    return {n: c.fingerprint for n, c in milestone_checkpoints(session, election).items()}


def _as_checkpoint(election: Election, row: Checkpoint) -> verify.Checkpoint:
    return verify.Checkpoint(election.origin, row.size, row.root, row.note)


def current_checkpoint(
    session: Session, election: Election, signer: LogSigner
) -> verify.Checkpoint:
    """A checkpoint of the whole log now: the stored one if it is current, else signed now.

    Nothing is stored: Ed25519 signatures are deterministic, so this is the very note a
    stored checkpoint of that size would hold.
    """
    head = tree_head(session, election)
    latest = latest_checkpoint(session, election)
    if latest is not None and latest.size == head.size:
        return latest
    return signer.sign(election.origin, head.size, head.root)


# --- The board file ------------------------------------------------------------------------------


def export_board(session: Session, election: Election, signer: LogSigner) -> Iterator[bytes]:
    """The board file, line by line: header, key, entries with their checkpoints.

    Entries are read up to the head as it was when the export began, so the file is
    consistent even while ballots are being cast; it ends with a checkpoint of that size.
    """
    final = current_checkpoint(session, election, signer)
    yield _line(
        {
            "type": "board",
            "format": verify.FORMAT,
            "election": election.slug,
            "title": election.title,
            "origin": election.origin,
        }
    )
    yield _line({"type": "key", "vkey": signer.verifier_key(election.origin).vkey})
    stored = {
        row.size: row.note
        for row in session.execute(
            select(Checkpoint).where(
                Checkpoint.election_id == election.id, Checkpoint.size <= final.size
            )
        ).scalars()
    }
    stored[final.size] = final.note
    for size, lines in cosignature_lines(session, election, 0, final.size).items():
        if size in stored:
            stored[size] = verify.add_cosignatures(stored[size], lines)
    if 0 in stored:
        yield _line({"type": "checkpoint", "note": stored[0]})
    for seq, body in _entry_bodies(session, election, final.size):
        yield body.encode("utf-8") + b"\n"
        if seq + 1 in stored:
            yield _line({"type": "checkpoint", "note": stored[seq + 1]})


def cosignature_lines(
    session: Session, election: Election, low: int, high: int
) -> dict[int, list[str]]:
    """The witnesses' cosignature lines of the checkpoints of sizes *low* to *high*, by size:
    appended to the notes wherever a checkpoint is shown or exported."""
    found: dict[int, list[str]] = {}
    rows = session.execute(
        select(WitnessCosignature.size, WitnessCosignature.line)
        .where(
            WitnessCosignature.election_id == election.id,
            WitnessCosignature.size.between(low, high),
        )
        .order_by(WitnessCosignature.size, WitnessCosignature.witness)
    )
    for row_size, line in rows:
        found.setdefault(row_size, []).append(line)
    return found


def _entry_bodies(
    session: Session, election: Election, size: int, batch: int = 2000
) -> Iterator[tuple[int, str]]:
    """The entries below *size* in order, a batch at a time (keyset pages, not a server-side
    cursor, so it also works on connections without a transaction)."""
    start = 0
    while start < size:
        rows = session.execute(
            select(AuditEntry.seq, AuditEntry.body)
            .where(
                AuditEntry.election_id == election.id,
                AuditEntry.seq >= start,
                AuditEntry.seq < min(size, start + batch),
            )
            .order_by(AuditEntry.seq)
        ).all()
        yield from rows
        start += batch


def _line(value: dict) -> bytes:
    return verify.canonical_json(value) + b"\n"


# --- Receipts and proofs -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptProof:
    """A ballot entry with its inclusion proof against a signed checkpoint."""

    election: Election
    entry: AuditEntry
    checkpoint: verify.Checkpoint
    proof: list[bytes]
    signed_now: bool  # the stored checkpoints did not cover it yet; this one was signed now

    def verifies(self, key: verify.VerifierKey) -> bool:
        verify.open_checkpoint(self.checkpoint.note, key)
        return verify.verify_inclusion(
            self.entry.leaf_hash,
            self.entry.seq,
            self.checkpoint.size,
            self.proof,
            self.checkpoint.root,
        )


class LogTrees:
    """Each election's Merkle tree, kept in memory and topped up from the database."""

    def __init__(self) -> None:
        self._trees: dict[int, verify.MerkleTree] = {}
        # gunicorn runs several threads a worker: one tops a tree up at a time.
        self._lock = threading.Lock()

    def tree(self, session: Session, election: Election, size: int) -> verify.MerkleTree:
        """A tree of at least *size* leaves, checked against the stored log."""
        with self._lock:
            return self._topped_up(session, election, size)

    def _topped_up(self, session: Session, election: Election, size: int) -> verify.MerkleTree:
        tree = self._trees.setdefault(election.id, verify.MerkleTree())
        if len(tree) < size:
            for (leaf,) in session.execute(
                select(AuditEntry.leaf_hash)
                .where(AuditEntry.election_id == election.id, AuditEntry.seq >= len(tree))
                .order_by(AuditEntry.seq)
            ):
                tree.append(leaf)
        if len(tree) < size:
            raise LookupError(f"the log of {election.slug} has fewer than {size} entries")
        return tree

    def forget(self, election: Election) -> None:
        with self._lock:
            self._trees.pop(election.id, None)


def prove_receipt(
    session: Session, trees: LogTrees, signer: LogSigner, code: str
) -> ReceiptProof | None:
    """Find a receipt's ballot and prove it is in the log's latest signed checkpoint."""
    normalised = verify.normalize_receipt(code)
    if normalised is None:
        return None
    entry = session.execute(select(AuditEntry).where(AuditEntry.receipt == normalised)).scalar()
    if entry is None:
        return None
    election = session.get_one(Election, entry.election_id)
    signed = latest_checkpoint(session, election)
    signed_now = signed is None or signed.size <= entry.seq
    if signed_now:
        signed = current_checkpoint(session, election, signer)
    assert signed is not None
    tree = trees.tree(session, election, signed.size)
    if tree.root(signed.size) != signed.root:  # the database changed under the cache
        trees.forget(election)
        tree = trees.tree(session, election, signed.size)
    return ReceiptProof(
        election=election,
        entry=entry,
        checkpoint=signed,
        proof=tree.inclusion_proof(entry.seq, signed.size),
        signed_now=signed_now,
    )


def consistency(
    session: Session, trees: LogTrees, election: Election, old: int, new: int
) -> tuple[bytes, bytes, list[bytes]]:
    """Roots of two tree sizes and the RFC 6962 proof that the first is a prefix of the second."""
    head = tree_head(session, election)
    if not 0 <= old <= new <= head.size:
        raise ValueError(f"sizes must satisfy 0 <= from <= to <= {head.size}")
    tree = trees.tree(session, election, new)
    return tree.root(old), tree.root(new), tree.consistency_proof(old, new)


def find_entries(
    session: Session,
    election: Election,
    *,
    kind: str | None = None,
    receipt: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[AuditEntry], int]:
    """A page of entries, newest first, perhaps of one kind or one receipt; and how many pages."""
    query = select(AuditEntry).where(AuditEntry.election_id == election.id)
    if kind:
        query = query.where(AuditEntry.kind == kind)
    if receipt is not None:
        query = query.where(AuditEntry.receipt == (verify.normalize_receipt(receipt) or "-"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    entries = session.execute(
        query.order_by(AuditEntry.seq.desc()).offset((page - 1) * per_page).limit(per_page)
    ).scalars()
    return list(entries), pages
