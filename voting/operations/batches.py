"""Cast ballots join the public log in shuffled batches, one checkpoint per batch.

A ballot is durable the moment its cast commits, but its board entry waits for a batch:
50 ballots, or 30 seconds with at least 10 waiting, or the close (which takes the rest,
however few). Within a batch the order is random, so neither the board nor a checkpoint's
time tells which ballot came when. Whoever gets there first publishes a batch (a cast, the
app's timer, the close); the log's head row is locked while it does, and the batch is
counted again under that lock, so it is published once however many processes try.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from voting import verify
from voting.domain.times import as_utc
from voting.models import AuditHead, Ballot, Election
from voting.operations import audit
from voting.operations.audit import LogSigner

_shuffle = secrets.SystemRandom().shuffle


@dataclass(frozen=True)
class BatchPolicy:
    """When waiting ballots are published: *size* of them, or after *every* with at least
    *minimum* waiting. The close publishes the rest whatever their number."""

    size: int = 50
    every: timedelta = timedelta(seconds=30)
    minimum: int = 10

    def due(self, waiting: int, last_at: datetime | None, now: datetime) -> bool:
        if waiting >= self.size:
            return True
        return waiting >= self.minimum and (last_at is None or now - last_at >= self.every)


DEFAULT_POLICY = BatchPolicy()

_BALLOTS = Ballot.__table__
_HEADS = AuditHead.__table__
_WAITING = (
    select(func.count())
    .select_from(_BALLOTS)
    .where(_BALLOTS.c.election_id == bindparam("election"), _BALLOTS.c.seq.is_(None))
    .scalar_subquery()
)
# Every cast asks this: plain columns, so the session runs it as Core (see ballots.py).
_HEAD_AND_WAITING = select(_HEADS.c.checkpoint_at, _WAITING).where(
    _HEADS.c.election_id == bindparam("election")
)
_SET_SEQ = (
    update(_BALLOTS)
    .where(
        _BALLOTS.c.election_id == bindparam("election"), _BALLOTS.c.ballot_id == bindparam("ballot")
    )
    .values(seq=bindparam("position"))
)


def head_and_waiting(session: Session, election_id: int) -> tuple[datetime | None, int]:
    """When the last batch (or checkpoint) was signed, and how many ballots wait: those
    committed, and those cast in this transaction, that are not on the board yet."""
    last_at, waiting = session.execute(_HEAD_AND_WAITING, {"election": election_id}).one()
    return as_utc(last_at), waiting


def publish_if_due(
    session: Session,
    election_id: int,
    signer: LogSigner,
    now: datetime,
    policy: BatchPolicy = DEFAULT_POLICY,
) -> int:
    """Publish a batch if one is due; return how many ballots joined the board (0 if none).

    The first look takes no lock and loads no election, so a cast that finds nothing due
    costs one read.
    """
    last_at, waiting = head_and_waiting(session, election_id)
    if not policy.due(waiting, last_at, now):
        return 0
    election = session.get_one(Election, election_id)
    return publish_batch(session, election, signer, now, policy)


def publish_batch(
    session: Session,
    election: Election,
    signer: LogSigner,
    now: datetime,
    policy: BatchPolicy | None = DEFAULT_POLICY,
) -> int:
    """Lock the log, and if a batch is still due (always, with *policy* None: the close),
    append the waiting ballots in random order and sign one checkpoint after them."""
    head = audit.locked_head(session, election)
    ballots = list(
        session.execute(
            select(
                Ballot.ballot_id, Ballot.token_hash, Ballot.sealed, Ballot.channel, Ballot.encrypted
            ).where(Ballot.election_id == election.id, Ballot.seq.is_(None))
        )
    )
    if not ballots:
        return 0
    if policy is not None and not policy.due(len(ballots), as_utc(head.checkpoint_at), now):
        return 0  # another process published it while this one waited for the lock
    _shuffle(ballots)
    entries = audit.append_under_lock(
        session,
        election,
        head,
        [
            ("ballot.cast", board_entry(b.token_hash, b.sealed, b.channel, b.encrypted))
            for b in ballots
        ],
    )
    session.execute(
        _SET_SEQ,
        [
            {"election": election.id, "ballot": b.ballot_id, "position": e.seq}
            for b, e in zip(ballots, entries, strict=True)
        ],
    )
    audit.checkpoint(session, election, signer, now, head)
    return len(ballots)


def board_entry(token_hash: bytes, sealed: str, channel: str, encrypted: str | None = None) -> dict:
    """A ballot's ``ballot.cast`` entry: a paper ballot says so, a phone's says nothing;
    with a trustee it carries the ciphertext of its choices."""
    entry = {"token": token_hash.hex(), "sealed": sealed}
    if channel != "phone":
        entry["channel"] = channel
    if encrypted is not None:
        entry["encrypted"] = encrypted
    return entry


def recorded_receipt(session: Session, code: str) -> Election | None:
    """The election of a ballot with this receipt, on the board or waiting for its batch:
    asked on the primary when a page that read a replica did not find the receipt."""
    normalised = verify.normalize_receipt(code)
    if normalised is None:
        return None
    election_id = session.scalar(select(Ballot.election_id).where(Ballot.receipt == normalised))
    return session.get(Election, election_id) if election_id is not None else None
