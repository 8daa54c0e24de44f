"""Talking to the witnesses over HTTP (C2SP tlog-witness), with no transaction open.

Every serving process runs this from its timer (voting/batch_timer.py) and `voting board
witness` runs it at once: claim a witness in a short write, POST its ``add-checkpoint``,
record the answer in another short write. A witness that is down is retried with back-off;
one that comes back is caught up from the size it holds, by a consistency proof.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

from voting import services, verify
from voting.db import DatabaseSession, done_reading, writing
from voting.models import Election
from voting.operations import witnessing
from voting.operations.witnessing import Submission, WitnessAnswer

log = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds; a slow witness waits for the next try, never a voter
_RETRIES_AT_ONCE = 2  # after a 409 that tells the witness's size


def ask_witness(submission: Submission, timeout: float = TIMEOUT) -> WitnessAnswer:
    """POST one ``add-checkpoint`` and read the answer as the spec defines it."""
    # The definition admits http:// and https:// addresses only (voting/domain/trust.py).
    request = urllib.request.Request(  # noqa: S310
        submission.witness.url + "/add-checkpoint",
        data=submission.body,
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
            body = response.read(64 * 1024)
    except urllib.error.HTTPError as refused:
        return _refused(refused.code, refused.headers.get("Content-Type", ""), refused.read(4096))
    except (OSError, ValueError) as exc:  # refused connection, time-out, bad address
        return WitnessAnswer(error=f"no answer: {exc}")
    return _cosigned(submission, body)


def _cosigned(submission: Submission, body: bytes) -> WitnessAnswer:
    try:
        lines = body.decode("utf-8")
        note = verify.add_cosignatures(submission.checkpoint.note, lines.splitlines(True))
        found = verify.cosignatures(note, [submission.witness.verifier_key])
    except (UnicodeDecodeError, ValueError) as exc:
        return WitnessAnswer(error=f"its answer is not a valid cosignature: {exc}")
    if not found:
        return WitnessAnswer(error="it answered without a cosignature by its key")
    return WitnessAnswer(cosignature=found[0])


def _refused(status: int, content_type: str, body: bytes) -> WitnessAnswer:
    text = body.decode("utf-8", "replace").strip()[:300]
    sized = status == 409 and content_type.startswith("text/x.tlog.size")
    if sized and text.isascii() and text.isdigit():
        return WitnessAnswer(size=int(text))
    if status == 422:
        return WitnessAnswer(refusal=f"the consistency proof was refused: {text}")
    reasons = {
        403: "it does not accept the log's signature",
        404: "it does not witness this log (start it with --log and the log's key)",
    }
    return WitnessAnswer(error=f"{status}: {reasons.get(status, text or 'refused')}")


def submit(session: DatabaseSession, election_id: int, witness_name: str) -> bool:
    """Bring one witness up to the log's latest checkpoint if it is free; True if it now
    holds it (cosigned)."""
    for _ in range(1 + _RETRIES_AT_ONCE):
        with writing(session):
            election = session.get_one(Election, election_id)
            submission = witnessing.claim(session, election, witness_name, services.now())
        if submission is None:
            return False
        submission = witnessing.prove(session, services.log_trees(), submission)
        done_reading(session)
        answer = ask_witness(submission)
        with writing(session):
            again = witnessing.record_answer(session, submission, answer, services.now())
        if answer.cosignature is not None:
            return True
        if not again:
            log.warning("witness %s: %s", witness_name, answer.refusal or answer.error)
            return False
    return False


def submit_due(session: DatabaseSession, election: Election | None = None) -> int:
    """Submit to every witness that is behind (of one election, or all); how many cosigned."""
    due = witnessing.due_witnesses(session, services.now())
    if election is not None:
        due = [pair for pair in due if pair[0] == election.id]
    done_reading(session)
    return sum(submit(session, election_id, name) for election_id, name in due)
