"""Submitting the log's checkpoints to its witnesses, and keeping what they answer.

A submission is three steps so that no write transaction waits on the network: claim the
witness (a short write: a lease of LEASE, so one process of any server talks to it at a
time), talk to it with nothing open (voting/witness_client.py), then record its answer
(another short write). Cosignatures are stored per checkpoint size and appended to the note
wherever a checkpoint is shown or exported.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from voting import verify
from voting.domain.times import as_utc
from voting.domain.trust import WitnessDefinition, witnesses_on_board
from voting.models import AuditHead, Election
from voting.operations import activity, audit
from voting.witness_models import Cosignature, WitnessState

LEASE = timedelta(seconds=30)
MOST_BACK_OFF = 60  # seconds between tries of a witness that keeps failing


def election_witnesses(election: Election) -> tuple[WitnessDefinition, ...]:
    return witnesses_on_board(json.loads(election.definition))


def quorum(election: Election) -> int:
    return int(json.loads(election.definition).get("witness_quorum", 0))


def seat_witnesses(session: Session, election: Election) -> None:
    """At opening: one submission state per witness the published definition names."""
    for witness in election_witnesses(election):
        session.add(WitnessState(election_id=election.id, witness=witness.name, size=0, failures=0))
    session.flush()


@dataclass(frozen=True)
class Submission:
    """What to send one witness: the latest checkpoint and the proof from what it holds."""

    election_id: int
    witness: WitnessDefinition
    old_size: int
    checkpoint: verify.Checkpoint
    proof: list[bytes]

    @property
    def body(self) -> bytes:
        return verify.add_checkpoint_request(self.old_size, self.proof, self.checkpoint.note)


def due_witnesses(session: Session, now: datetime) -> list[tuple[int, str]]:
    """(election, witness) pairs behind the log's latest checkpoint, not claimed, not
    waiting out a back-off: one cheap read, taken by every process's timer."""
    behind = session.scalars(
        select(WitnessState)
        .join(AuditHead, AuditHead.election_id == WitnessState.election_id)
        .where(WitnessState.size != AuditHead.checkpoint_size)
    )
    return [(s.election_id, s.witness) for s in behind if _free(s, now)]


def _free(state: WitnessState, now: datetime) -> bool:
    for moment in (state.claimed_until, state.next_try_at):
        if moment is not None and as_utc(moment) > now:
            return False
    return True


def claim(
    session: Session, election: Election, witness_name: str, now: datetime
) -> Submission | None:
    """Take the witness's lease and say what to send it, still without its proof (``prove``
    adds it once the write is committed); None if another process holds it, it is waiting
    out a back-off, or it already holds the latest checkpoint."""
    state = session.get(
        WitnessState, (election.id, witness_name), with_for_update=True, populate_existing=True
    )
    latest = audit.latest_checkpoint(session, election)
    if state is None or latest is None or not _free(state, now) or state.size == latest.size:
        return None
    witness = next(w for w in election_witnesses(election) if w.name == witness_name)
    state.claimed_until = now + LEASE
    session.flush()
    return Submission(election.id, witness, min(state.size, latest.size), latest, [])


def prove(session: Session, trees: audit.LogTrees, submission: Submission) -> Submission:
    """The submission with its consistency proof, read outside the claim's write: the tree
    may have to be built from every entry first."""
    if not submission.old_size:
        return submission
    election = session.get_one(Election, submission.election_id)
    size = submission.checkpoint.size
    _, _, proof = audit.consistency(session, trees, election, submission.old_size, size)
    return dataclasses.replace(submission, proof=proof)


@dataclass(frozen=True)
class WitnessAnswer:
    """How a witness answered: *cosignature* on success; *size* with a 409; *refusal* when it
    says the log is not consistent with what it cosigned; *error* for anything else."""

    cosignature: verify.Cosignature | None = None
    size: int | None = None
    refusal: str | None = None
    error: str | None = None


def record_answer(
    session: Session, submission: Submission, answer: WitnessAnswer, now: datetime
) -> bool:
    """Store the witness's answer and free its lease; True if it should be asked again at
    once (it told its size with a 409, so the next request starts from there)."""
    election = session.get_one(Election, submission.election_id)
    state = session.get_one(
        WitnessState,
        (submission.election_id, submission.witness.name),
        with_for_update=True,
        populate_existing=True,
    )
    state.claimed_until = None
    size = submission.checkpoint.size
    if answer.cosignature is not None:
        if session.get(Cosignature, (election.id, size, submission.witness.name)) is None:
            session.add(
                Cosignature(
                    election_id=election.id,
                    size=size,
                    witness=submission.witness.name,
                    timestamp=answer.cosignature.timestamp,
                    line=answer.cosignature.line,
                )
            )
        state.size, state.cosigned_at = max(state.size, size), now
        state.failures, state.error, state.next_try_at = 0, None, None
        session.flush()
        return False
    reason = answer.refusal or answer.error or "no answer"
    if answer.size is not None:
        if answer.size < size and answer.size != submission.old_size:
            state.size = answer.size  # what the witness holds: prove from there
            session.flush()
            return True
        reason = (
            f"it holds another checkpoint of size {answer.size}: the log was rewritten"
            if answer.size <= size
            else f"it holds a checkpoint of size {answer.size}, larger than this log's"
        )
        answer = WitnessAnswer(refusal=reason)
    if answer.refusal and state.error != reason:  # evidence against the log: kept for good
        activity.record(
            session,
            election,
            submission.witness.name,
            "witness.refused",
            now,
            detail=f"size {size}: {reason}",
        )
    state.failures += 1
    state.error = reason
    state.next_try_at = now + timedelta(seconds=min(2**state.failures, MOST_BACK_OFF))
    session.flush()
    return False


def cosigned(
    session: Session, election: Election, checkpoint: verify.Checkpoint
) -> verify.Checkpoint:
    """The checkpoint with its witnesses' cosignatures appended to its note."""
    size = checkpoint.size
    lines = audit.cosignature_lines(session, election, size, size).get(size, [])
    if not lines:
        return checkpoint
    note = verify.add_cosignatures(checkpoint.note, lines)
    return verify.Checkpoint(checkpoint.origin, checkpoint.size, checkpoint.root, note)


@dataclass(frozen=True)
class WitnessStatus:
    """One witness as the jury pages and the stage show it."""

    name: str
    url: str
    size: int  # the largest checkpoint it cosigned
    cosigned_at: datetime | None
    current: bool  # it has cosigned the latest checkpoint
    error: str | None


@dataclass(frozen=True)
class WitnessSummary:
    witnesses: list[WitnessStatus]
    quorum: int
    latest_size: int

    @property
    def current(self) -> int:
        return sum(1 for w in self.witnesses if w.current)

    @property
    def quorum_met(self) -> bool:
        return self.current >= self.quorum

    @property
    def last_cosigned_at(self) -> datetime | None:
        moments = [w.cosigned_at for w in self.witnesses if w.cosigned_at]
        return max(moments) if moments else None


def summary(session: Session, election: Election) -> WitnessSummary | None:
    """Where each witness stands; None for an election without witnesses."""
    witnesses = election_witnesses(election)
    if not witnesses:
        return None
    latest = audit.latest_checkpoint(session, election)
    latest_size = latest.size if latest else 0
    states = {
        s.witness: s
        for s in session.scalars(
            select(WitnessState).where(WitnessState.election_id == election.id)
        )
    }
    cosigned_sizes = {
        name
        for (name,) in session.execute(
            select(Cosignature.witness).where(
                Cosignature.election_id == election.id, Cosignature.size == latest_size
            )
        )
    }
    rows = []
    for witness in witnesses:
        state = states.get(witness.name)
        rows.append(
            WitnessStatus(
                name=witness.name,
                url=witness.url,
                size=state.size if state else 0,
                cosigned_at=as_utc(state.cosigned_at) if state else None,
                current=witness.name in cosigned_sizes,
                error=state.error if state else None,
            )
        )
    return WitnessSummary(rows, quorum(election), latest_size)
