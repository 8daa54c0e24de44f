"""The result sealed at close, held back from the public board until the reveal ends.

At close the board gets only a commitment to the tally (its hash with a random nonce);
the tally itself, and the jury's decisions of ties, wait here. When the reveal ends (or at
once, for an election revealed at close) the ballots' openings, the tally and the
decisions join the board, and the verifier checks that the tally opens the commitment.
Until then the jury may take the openings home as a file and check the result privately.
"""

from __future__ import annotations

import heapq
import json
import secrets
from collections.abc import Iterator

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from voting import verify
from voting.models import AuditEntry, Ballot, Election, HeldEntry
from voting.operations import audit
from voting.operations.jury_ballots import jury_openings
from voting.operations.layout import load_categories
from voting.operations.results import count_election


def seal_tally(session: Session, election: Election) -> dict:
    """Count the ballots, log the commitment to the tally and hold the tally; return it."""
    tally = count_election(session, election, load_categories(session, election))
    opened = {**tally, "nonce": secrets.token_hex(16)}
    audit.append_entry(
        session, election, "tally.sealed", {"commitment": verify.tally_commitment(opened)}
    )
    hold(session, election, "tally", opened)
    return tally


def hold(session: Session, election: Election, kind: str, data: dict) -> None:
    """Keep an entry for the board until the reveal ends (the tally, a decision, a key)."""
    position = session.scalar(
        select(func.count()).select_from(HeldEntry).where(HeldEntry.election_id == election.id)
    )
    session.add(
        HeldEntry(
            election_id=election.id,
            position=position or 0,
            kind=kind,
            data=verify.canonical_json(data).decode("utf-8"),
        )
    )
    session.flush()


def _held(session: Session, election: Election) -> list[tuple[str, dict]]:
    rows = session.execute(
        select(HeldEntry.kind, HeldEntry.data)
        .where(HeldEntry.election_id == election.id)
        .order_by(HeldEntry.position)
    )
    return [(kind, json.loads(data)) for kind, data in rows]


def is_held(session: Session, election: Election) -> bool:
    """The tally is sealed and not yet on the public board."""
    return any(kind == "tally" for kind, _data in _held(session, election))


def _logged(session: Session, election: Election, kind: str) -> list[dict]:
    bodies = session.execute(
        select(AuditEntry.body)
        .where(AuditEntry.election_id == election.id, AuditEntry.kind == kind)
        .order_by(AuditEntry.seq)
    ).scalars()
    return [json.loads(body)["data"] for body in bodies]


def _opened_tally(session: Session, election: Election) -> dict | None:
    """The tally with the nonce that opens the seal: held, or on the board; None before close."""
    found = [d for k, d in _held(session, election) if k == "tally"] or _logged(
        session, election, "tally"
    )
    return found[0] if found else None


def tally(session: Session, election: Election) -> dict | None:
    """The tally of a closed election, held or published (without its nonce); None before."""
    opened = _opened_tally(session, election)
    if opened is None:
        return None
    return {key: value for key, value in opened.items() if key != "nonce"}


def decisions(session: Session, election: Election) -> dict[str, str]:
    """The jury's decisions of ties, held or published: award -> winner."""
    held = [d for k, d in _held(session, election) if k == "tie.decided"]
    return {d["award"]: d["winner"] for d in held + _logged(session, election, "tie.decided")}


def record_decision(session: Session, election: Election, data: dict) -> None:
    """A tie decided by the jury: held with the tally, or logged if the tally is public."""
    if is_held(session, election):
        hold(session, election, "tie.decided", data)
    else:
        audit.append_entry(session, election, "tie.decided", data)


def openings(session: Session, election: Election) -> Iterator[dict]:
    """Each ballot's answers and the nonce that opens its seal, in board order (the jury's
    ballots among the audience's, where they are on the board)."""
    rows = session.execute(
        select(Ballot.seq, Ballot.answers, Ballot.nonce)
        .where(Ballot.election_id == election.id)
        .order_by(Ballot.seq)
    )
    audience = ({"ballot": seq, "choices": json.loads(c), "nonce": n} for seq, c, n in rows)
    jury = sorted(jury_openings(session, election), key=lambda opening: opening["ballot"])
    yield from heapq.merge(audience, jury, key=lambda opening: opening["ballot"])


def publish(session: Session, election: Election) -> None:
    """Put the openings, the tally and the jury's decisions on the public board."""
    held = _held(session, election)
    if not any(kind == "tally" for kind, _data in held):
        return
    items = [("ballot.unsealed", opening) for opening in openings(session, election)]
    audit.append_entries(session, election, items + held)
    session.execute(delete(HeldEntry).where(HeldEntry.election_id == election.id))
    session.flush()


def openings_file(session: Session, election: Election) -> Iterator[bytes]:
    """The jury's file: what `verify.py board.jsonl --openings FILE` opens the tally with."""
    opened = _opened_tally(session, election)
    if opened is None:
        raise LookupError(f"{election.slug} has no sealed tally")
    yield _line(
        {
            "type": "openings",
            "format": verify.OPENINGS_FORMAT,
            "election": election.slug,
            "origin": election.origin,
        }
    )
    for opening in openings(session, election):
        yield _line({"type": "opening", **opening})
    yield _line({"type": "tally", "data": opened})


def _line(value: dict) -> bytes:
    return verify.canonical_json(value) + b"\n"
