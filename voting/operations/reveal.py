"""The reveal on stage: a state machine held in the database and written to the log.

The step lives on the election (so a reload or a second screen shows the same thing) and
each step is a log entry. Nothing about an award is shown before its moment: finalists,
then the winner, then the counts. A tie the jury must settle stops the reveal at that award
until an organiser records the jury's decision.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voting import verify
from voting.domain.times import as_utc
from voting.errors import N_, StateError, VotingError
from voting.models import Checkpoint, Election
from voting.operations import activity, audit, sealed
from voting.operations.attendees import count_attendees
from voting.operations.audit import LogSigner
from voting.operations.layout import load_categories
from voting.operations.results import count_election


@dataclass(frozen=True)
class CategoryResult:
    """One award as far as the reveal has gone: counts only once the bars are shown."""

    slug: str
    title: str
    translations: dict
    finalists: list[dict]  # slug, name, organisation; plus votes once the counts are out
    winners: list[str] | None  # None until the winner is announced
    decided_by_jury: bool
    tie: bool
    counts_shown: bool
    abstentions: int | None
    # What the counts are: votes (approvals, last round), points, or for an award with a
    # jury share its combined score ("rank-points" or "shares", the formula's name).
    unit: str = "votes"
    rounds: list[dict] = field(default_factory=list)  # an instant runoff's, once counted
    # With a jury share, once counted: weight, combine, the jury's ballots, each part's winners.
    jury: dict | None = None


@dataclass(frozen=True)
class RevealState:
    election: Election
    step: int
    screens: list[tuple[str, str | None]]
    sealed_fingerprint: str | None
    awards: list[CategoryResult] = field(default_factory=list)
    waiting_for_jury: str | None = None  # an award whose tie blocks the next step
    tied: list[str] = field(default_factory=list)  # the finalists the jury chooses between
    # The milestones' fingerprints so far ("opened", "sealed", "revealed"), as verify.py
    # names them; sealed_fingerprint is the "sealed" one, shown before the first reveal.
    fingerprints: dict[str, str] = field(default_factory=dict)

    @property
    def screen(self) -> tuple[str, str | None]:
        return self.screens[self.step]

    @property
    def next_screen(self) -> tuple[str, str | None] | None:
        return self.screens[self.step + 1] if self.step + 1 < len(self.screens) else None

    def award(self, slug: str | None) -> CategoryResult | None:
        return next((a for a in self.awards if a.slug == slug), None)


def jury_decisions(session: Session, election: Election) -> dict[str, str]:
    return sealed.decisions(session, election)


def reveal_state(session: Session, election: Election) -> RevealState:
    """Where the reveal stands and what may be shown of each award at this step."""
    categories = load_categories(session, election)
    screens = verify.reveal_screens([c.slug for c in categories])
    fingerprints = audit.fingerprints_shown(session, election)
    tally = sealed.tally(session, election) if election.is_over else None
    if tally is None:
        return RevealState(election, 0, screens, None, fingerprints=fingerprints)
    decisions = jury_decisions(session, election)
    step = election.reveal_step
    shown = {screen: index for index, screen in enumerate(screens)}
    awards = []
    for result in tally["categories"]:
        slug = result["slug"]
        winner_out = step >= shown[("winner", slug)]
        counts_out = step >= shown[("bars", slug)]
        category = next(c for c in categories if c.slug == slug)
        finalists = [
            {
                "slug": n.slug,
                "name": n.name,
                "organisation": n.organisation,
                "translations": n.translations,
            }
            for n in category.nominees
        ]
        if counts_out:
            # Each bar is what the award is won on: points, a combined score, or votes.
            rows = {r["nominee"]: r for r in result["results"]}
            finalists = [
                dict(
                    f,
                    votes=verify.row_score(rows[f["slug"]]),
                    **{k: rows[f["slug"]][k] for k in ("audience", "jury") if k in rows[f["slug"]]},
                )
                for f in finalists
            ]
        decided = decisions.get(slug)
        share = _jury_share(result) if counts_out else None
        awards.append(
            CategoryResult(
                slug=slug,
                title=result["title"],
                translations=category.translations,
                finalists=finalists,
                winners=([decided] if decided else result["winners"]) if winner_out else None,
                decided_by_jury=bool(decided),
                tie=bool(result["tie"]) if winner_out else False,
                counts_shown=counts_out,
                abstentions=result["abstentions"] if counts_out else None,
                unit=_unit(result),
                rounds=result.get("rounds", []) if counts_out else [],
                jury=share,
            )
        )
    waiting, tied = None, []
    upcoming = screens[step + 1] if step + 1 < len(screens) else None
    if upcoming and upcoming[0] == "winner":
        result = next(r for r in tally["categories"] if r["slug"] == upcoming[1])
        if verify.needs_jury(election.tie_rule, result) and upcoming[1] not in decisions:
            waiting, tied = upcoming[1], result["winners"]
    return RevealState(
        election, step, screens, fingerprints.get("sealed"), awards, waiting, tied, fingerprints
    )


def advance(
    session: Session, actor: str, election: Election, signer: LogSigner, now: datetime
) -> RevealState:
    """Show the next screen: one log entry. The last one makes the results public: the
    ballots' openings, the tally and the jury's decisions join the board just before it."""
    if not election.is_closed:
        raise StateError(
            N_("the reveal is over")
            if election.is_revealed
            else N_("the reveal starts once voting has closed")
        )
    if sealed.tally(session, election) is None:
        raise StateError(N_("the reveal starts once the jury's key shares have opened the ballots"))
    state = reveal_state(session, election)
    if state.waiting_for_jury:
        raise StateError(
            N_("the jury must first decide the tie in %(award)s"), award=state.waiting_for_jury
        )
    assert state.next_screen is not None
    show, award = state.next_screen
    step = state.step + 1
    if show == "summary":
        sealed.publish(session, election)
    audit.append_entry(
        session, election, "reveal.step", {"step": step, "show": show, "award": award}
    )
    election.reveal_step = step
    if show == "summary":
        election.state = "revealed"
        session.flush()
        audit.checkpoint(session, election, signer, now)
    session.flush()
    activity.record(
        session, election, actor, "reveal step", now, detail=f"{step}: {show} {award or ''}"
    )
    return reveal_state(session, election)


def decide_tie(
    session: Session, actor: str, election: Election, award: str, winner: str, now: datetime
) -> None:
    """Record the jury's choice between finalists tied for first place (tie rule "jury")."""
    if not _ties_open(election):
        raise StateError(N_("ties are decided after voting closes and before the reveal ends"))
    tally = sealed.tally(session, election)
    assert tally is not None
    result = next((r for r in tally["categories"] if r["slug"] == award), None)
    if result is None or not verify.needs_jury(election.tie_rule, result):
        raise VotingError(
            N_("the award %(award)s has no tie for the jury to decide"), award=repr(award[:64])
        )
    if award in jury_decisions(session, election):
        raise StateError(N_("the jury has already decided this tie"))
    if winner not in result["winners"]:
        raise VotingError(N_("the winner must be one of the finalists tied for first place"))
    sealed.record_decision(
        session, election, {"award": award, "winner": winner, "tied": result["winners"]}
    )
    activity.record(
        session, election, actor, "jury decision recorded", now, detail=f"{award}: {winner}"
    )


def final_results(session: Session, election: Election) -> dict:
    """The full result once revealed: the tally with the jury's decisions applied."""
    if not election.is_revealed:
        raise StateError(N_("the results are public once the reveal has ended"))
    categories = load_categories(session, election)
    tally = count_election(session, election, categories)
    decisions = jury_decisions(session, election)
    organisations = {(c.slug, n.slug): n.organisation for c in categories for n in c.nominees}
    for category in tally["categories"]:
        decided = decisions.get(category["slug"])
        category["decided_by_jury"] = bool(decided)
        if decided:
            category["winners"] = [decided]
        for row in category["results"]:
            row["organisation"] = organisations.get((category["slug"], row["nominee"]), "")
            # Shared on a tie (10, 7, 7, 2 rank 1, 2, 2, 4); the jury's choice is in winners.
            # The results come ranked by their method (points, the runoff's rounds): keep it.
            row["rank"] = 1 + next(
                i
                for i, other in enumerate(category["results"])
                if other is row or ("rounds" not in category and _level(other, row))
            )
    revealed_at = session.scalar(
        select(func.max(Checkpoint.made_at)).where(Checkpoint.election_id == election.id)
    )
    when = election.local_time(as_utc(revealed_at)) if revealed_at else None
    return {
        "election": election.slug,
        "title": election.title,
        "place": json.loads(election.definition).get("place", ""),
        "date": when.date().isoformat() if when else None,  # of the reveal, in local time
        "state": election.state,
        "tie_rule": election.tie_rule,
        **tally,
        "attendees": count_attendees(session, election),
    }


def _level(one: dict, other: dict) -> bool:
    """Two results that rank the same: equal scores, points, or votes, as the award counts."""
    return verify.row_score(one) == verify.row_score(other)


def _unit(result: dict) -> str:
    if "combined" in result:
        return result["combined"]["combine"]  # "rank-points" or "shares"
    return "points" if result.get("method") == "points" else "votes"


def _jury_share(result: dict) -> dict | None:
    """What the stage and the results say of an award's jury share, once it is counted."""
    if "combined" not in result:
        return None
    return {
        "weight": result["combined"]["weight"],
        "combine": result["combined"]["combine"],
        "ballots": result["jury"]["ballots"],
        "audience_winners": result["audience"]["winners"],
        "jury_winners": result["jury"]["winners"],
    }


def ties_for_the_jury(session: Session, election: Election) -> list[str]:
    """Awards tied for first place that the jury must still settle (tie rule "jury"),
    by title: the reveal will stop at each until its decision is recorded."""
    tally = sealed.tally(session, election) if _ties_open(election) else None
    if tally is None:
        return []
    decided = jury_decisions(session, election)
    return [
        result["title"]
        for result in tally["categories"]
        if verify.needs_jury(election.tie_rule, result) and result["slug"] not in decided
    ]


def _ties_open(election: Election) -> bool:
    """Ties are decided before the reveal ends; with a reveal at close, after it."""
    return election.is_closed or (election.is_revealed and election.reveals_at_close)
