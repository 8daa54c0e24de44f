"""Jurors' ballots: each juror named at opening votes once in every award with a jury share.

A jury ballot is sealed like an attendee's ballot (a commitment now, the answer when the
reveal ends) but it is not secret: it names its juror on the board, since jurors answer for
their votes. It joins the log at once; there is no crowd to hide it in.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voting import verify
from voting.errors import N_, StateError
from voting.models import AuditEntry, Election, JuryBallot
from voting.operations import activity, audit, trustee_key
from voting.operations.ballots import InvalidChoice, check_voting_window, parse_choices
from voting.operations.layout import CategoryView, ballot_layout
from voting.staff_models import User


def has_jury_share(categories: Sequence[CategoryView]) -> bool:
    return any(c.board.get("jury") for c in categories)


def jury_awards(session: Session, election: Election) -> list[CategoryView]:
    """The awards the jury votes in: those with a jury share, in ballot order."""
    return [c for c in ballot_layout(session, election) if c.board.get("jury")]


def jurors_to_seat(session: Session) -> list[str]:
    """The jurors an opening names: every jury account that may sign in, sorted."""
    return sorted(
        session.scalars(
            select(User.name).where(User.role == "jury", User.disabled_at.is_(None))
        ).all()
    )


def seated_jurors(session: Session, election: Election) -> list[str]:
    """The jurors named on the board when voting opened (none before, or without a share)."""
    body = session.scalar(
        select(AuditEntry.body).where(
            AuditEntry.election_id == election.id, AuditEntry.kind == "voting.opened"
        )
    )
    return json.loads(body)["data"].get("jurors", []) if body else []


def voted_awards(session: Session, election: Election, juror: str) -> set[str]:
    return set(
        session.scalars(
            select(JuryBallot.award).where(
                JuryBallot.election_id == election.id, JuryBallot.juror == juror
            )
        )
    )


def jury_answers(session: Session, election: Election) -> dict[str, list[object]]:
    """Every jury ballot's answer, by award: what the jury's part of each award counts."""
    answers: dict[str, list[object]] = {}
    for award, text in session.execute(
        select(JuryBallot.award, JuryBallot.answers).where(JuryBallot.election_id == election.id)
    ):
        answers.setdefault(award, []).append(json.loads(text)[award])
    return answers


def jury_openings(session: Session, election: Election) -> list[dict]:
    """Each jury ballot's opening (its answer and nonce), like an attendee ballot's."""
    rows = session.execute(
        select(JuryBallot.seq, JuryBallot.answers, JuryBallot.nonce).where(
            JuryBallot.election_id == election.id
        )
    )
    return [
        {"ballot": seq, "choices": json.loads(text), "nonce": nonce} for seq, text, nonce in rows
    ]


def cast_jury_ballot(
    session: Session,
    juror: str,
    election: Election,
    award: str,
    answer: str,
    now: datetime,
) -> None:
    """Seal and log *juror*'s answer to *award* (its text as the ballot form carries it)."""
    # Shared with attendees' casts: the close waits for this one, or this one sees it closed.
    session.refresh(election, with_for_update={"read": True})
    if not election.is_open:
        raise StateError(N_("voting is not open"))
    check_voting_window(election, now)
    if juror not in seated_jurors(session, election):
        raise StateError(
            N_("%(juror)s is not one of the jurors named when voting opened"), juror=juror
        )
    category = next((c for c in jury_awards(session, election) if c.slug == award), None)
    if category is None:
        raise InvalidChoice(N_("no valid choice for %(award)s"), award=award)
    choices = parse_choices([category], {award: answer})
    nonce = secrets.token_hex(16)
    opening = verify.ballot_opening(choices, nonce)
    sealed = verify.seal_of(opening)
    key = trustee_key.public_key(election)
    encrypted = trustee_key.encrypt_jury(key, juror, award, opening) if key else None
    ballot = JuryBallot(
        election_id=election.id,
        juror=juror,
        award=award,
        sealed=sealed,
        nonce="" if encrypted else nonce,
        answers="" if encrypted else verify.canonical_json(choices).decode("utf-8"),
        seq=0,
        encrypted=encrypted,
    )
    session.add(ballot)
    try:
        session.flush()  # the primary key refuses a second ballot, even a racing one
    except IntegrityError:
        raise StateError(
            N_("%(juror)s has already voted in %(award)s"), juror=juror, award=award
        ) from None
    logged = {"juror": juror, "award": award, "sealed": sealed}
    if encrypted:
        logged["encrypted"] = encrypted
    entry = audit.append_entry(session, election, "jury.ballot.cast", logged)
    ballot.seq = entry.seq
    activity.record(session, election, juror, "jury ballot cast", now, detail=award)
    session.flush()
