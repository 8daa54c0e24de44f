"""Counting an election's ballots in the database, with the board's own counting rule."""

from __future__ import annotations

import json
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voting import verify
from voting.errors import N_, StateError
from voting.models import (
    AuditEntry,
    Ballot,
    BallotChoice,
    Category,
    Checkpoint,
    Election,
    EligibleToken,
)
from voting.operations.attendees import count_attendees
from voting.operations.jury_ballots import jury_answers
from voting.operations.layout import load_categories
from voting.operations.trustee_key import awaiting_shares


@dataclass(frozen=True)
class Turnout:
    """Ballots cast of eligible attendees (the withdrawn not counted). Not of the ballots
    that could be cast: anonymous cards still in the desk's box are nobody's vote."""

    ballots: int
    eligible: int

    @property
    def percent(self) -> int:
        return round(100 * self.ballots / self.eligible) if self.eligible else 0


def turnout(session: Session, election: Election) -> Turnout:
    return Turnout(ballot_count(session, election), count_attendees(session, election))


def eligible_count(session: Session, election: Election) -> int:
    """Ballots that could be cast: the board's eligible set (personal and anonymous)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(EligibleToken)
            .where(EligibleToken.election_id == election.id, EligibleToken.revoked.is_(False))
        )
        or 0
    )


def ballot_count(session: Session, election: Election) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.election_id == election.id)
        )
        or 0
    )


def count_election(session: Session, election: Election, categories: list[Category]) -> dict:
    """The tally as the board records it, each award by its method with verify.py's rules:
    plurality from one GROUP BY over the choices, the other methods from the ballots'
    answers. (Its "eligible" is the board's: ballots that could be cast, not attendees.)"""
    published = {c["slug"]: c for c in json.loads(election.definition)["categories"]}
    rows = session.execute(
        select(BallotChoice.category_id, BallotChoice.nominee_id, func.count())
        .where(BallotChoice.election_id == election.id)
        .group_by(BallotChoice.category_id, BallotChoice.nominee_id)
    ).all()
    counts: dict[tuple[int, int | None], int] = {(c, n): k for c, n, k in rows}
    answers = None
    if any(c.method != "plurality" for c in categories):
        answers = [
            json.loads(text)
            for text in session.scalars(
                select(Ballot.answers).where(Ballot.election_id == election.id)
            )
        ]
    jury = jury_answers(session, election)
    results = []
    for category in categories:
        board_category = published[category.slug]
        if answers is not None and category.method != "plurality":
            result = verify.count_category(board_category, (a[category.slug] for a in answers))
        else:
            votes = {n.slug: counts.get((category.id, n.id), 0) for n in category.nominees}
            abstentions = counts.get((category.id, None), 0)
            result = verify.category_result(board_category, votes, abstentions)
        if board_category.get("jury"):
            jurors = verify.jury_result(board_category, jury.get(category.slug, []))
            result = verify.combine_parts(board_category, result, jurors)
        results.append(result)
    channels = dict.fromkeys(verify.CHANNELS, 0)
    channels.update(
        session.execute(
            select(Ballot.channel, func.count())
            .where(Ballot.election_id == election.id)
            .group_by(Ballot.channel)
        ).all()
    )
    return {
        # Every ballot has its channel: their sum is the count, without another pass over them.
        "ballots": sum(channels.values()),
        "channels": channels,
        "eligible": eligible_count(session, election),
        "categories": results,
    }


def tally(session: Session, election: Election) -> dict:
    """The result of a closed election, as `voting tally` prints it; refused before close.

    Nobody sees a count while voting is open, not even the organiser.
    """
    if not election.is_over:
        raise StateError(
            N_("%(election)s is %(state)s: the tally exists only once voting has closed"),
            election=election.slug,
            state=election.state,
        )
    if awaiting_shares(session, election):
        raise StateError(
            N_("the ballots are still encrypted: the tally exists once the jury's shares open them")
        )
    return {
        "election": election.slug,
        "state": election.state,
        **count_election(session, election, load_categories(session, election)),
        "attendees": count_attendees(session, election),
    }


def turnout_history(session: Session, election: Election) -> list[tuple[datetime, int]]:
    """Ballots cast at each signed checkpoint: turnout over time without any ballot's time.

    Ballots carry no timestamp (secrecy); checkpoints do, every 50 entries or 30 seconds.
    """
    checkpoints = session.execute(
        select(Checkpoint.made_at, Checkpoint.size)
        .where(Checkpoint.election_id == election.id)
        .order_by(Checkpoint.size)
    ).all()
    ballots = list(
        session.execute(
            select(AuditEntry.seq)
            .where(AuditEntry.election_id == election.id, AuditEntry.kind == "ballot.cast")
            .order_by(AuditEntry.seq)
        ).scalars()
    )
    return [(made_at, bisect_left(ballots, size)) for made_at, size in checkpoints]
