"""An election's definition and lifecycle: load, open, close.

draft -> open -> closed -> revealed; each step is a log entry and none goes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from voting import verify
from voting.domain.definition import ElectionDefinition
from voting.domain.tokens import SLUG_PATTERN
from voting.errors import NotFound, StateError
from voting.models import Attendee, Ballot, Category, Election, EligibleToken, Nominee
from voting.operations import audit
from voting.operations.audit import LogSigner
from voting.operations.results import count_election
from voting.operations.tokens import personal_token_hashes


@dataclass(frozen=True)
class LoadResult:
    election: Election
    outcome: str  # "created", "updated" or "unchanged"


def find_election(session: Session, slug: str | None = None) -> Election:
    """The election named *slug*, or the only one when no slug is given."""
    if slug:
        if not SLUG_PATTERN.match(slug):
            raise NotFound(f"no election {slug[:64]!r}")
        election = session.execute(select(Election).where(Election.slug == slug)).scalar()
        if election is None:
            raise NotFound(f"no election {slug!r}")
        return election
    slugs = session.execute(select(Election.slug).order_by(Election.slug).limit(6)).scalars().all()
    if not slugs:
        raise NotFound("there is no election yet; load one with `voting election load FILE.toml`")
    if len(slugs) > 1:
        listed = ", ".join(slugs[:5]) + (", ..." if len(slugs) > 5 else "")
        raise NotFound(f"there are several elections ({listed}); choose one with --election")
    return find_election(session, slugs[0])


def load_election(
    session: Session,
    definition: ElectionDefinition,
    *,
    ensure_delivery_key: Callable[[str], object],
    origin_base: str = "localhost",
) -> LoadResult:
    """Create a draft election from a definition, or update a draft; refuse once opened.

    A new election's log is named ``origin_base/slug`` in its checkpoints, for good.
    """
    board_definition = definition.to_board()
    canonical = verify.canonical_json(board_definition).decode("utf-8")
    election = session.execute(select(Election).where(Election.slug == definition.slug)).scalar()
    if election is not None and election.definition == canonical:
        return LoadResult(election, "unchanged")
    if election is not None and election.state != "draft":
        raise StateError(
            f"election {definition.slug} is {election.state}: its definition can no longer change"
        )
    outcome = "updated"
    if election is not None:
        # Remove the old awards first, or the new ones would clash with their slugs.
        election.categories.clear()
        session.flush()
    if election is None:
        outcome = "created"
        election = Election(
            slug=definition.slug,
            state="draft",
            definition=canonical,
            origin=f"{origin_base.rstrip('/')}/{definition.slug}",
        )
        session.add(election)
    _apply_definition(election, definition, canonical)
    session.flush()
    if outcome == "created":
        audit.create_log(session, election)
    ensure_delivery_key(election.slug)
    audit.append_entry(session, election, "election.defined", board_definition)
    return LoadResult(election, outcome)


def _apply_definition(election: Election, definition: ElectionDefinition, canonical: str) -> None:
    election.title = definition.title
    election.translations = definition.translations
    election.timezone = definition.timezone
    election.tie_rule = definition.tie_rule
    election.opens_at = definition.opens_at
    election.closes_at = definition.closes_at
    election.definition = canonical
    # In draft no ballot exists yet, so awards and finalists are simply replaced.
    election.categories = [
        Category(
            slug=category.slug,
            title=category.title,
            description=category.description,
            method=category.method,
            position=position,
            translations=category.translations,
            nominees=[
                Nominee(
                    slug=nominee.slug,
                    name=nominee.name,
                    organisation=nominee.organisation,
                    country=nominee.country,
                    description=nominee.description,
                    position=number,
                    translations=nominee.translations,
                )
                for number, nominee in enumerate(category.nominees)
            ],
        )
        for position, category in enumerate(definition.categories)
    ]


def load_categories(session: Session, election: Election) -> list[Category]:
    """The awards with their finalists, in ballot order, in two queries."""
    return list(
        session.execute(
            select(Category)
            .where(Category.election_id == election.id)
            .order_by(Category.position)
            .options(selectinload(Category.nominees))
        ).scalars()
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def open_election(
    session: Session, election: Election, delivery_key: bytes, signer: LogSigner, now: datetime
) -> verify.Checkpoint:
    """Freeze the ballot set: commit every eligible token hash to the log, then open.

    Returns the checkpoint signed at opening: its fingerprint is the one to show the room.
    """
    if election.state != "draft":
        raise StateError(f"election {election.slug} is already {election.state}")
    empty = [c.title for c in load_categories(session, election) if not c.nominees]
    if empty:
        raise StateError(f"the award {empty[0]!r} has no finalists yet")
    attendees = session.execute(
        select(Attendee.id, Attendee.reissue).where(Attendee.election_id == election.id)
    ).all()
    if not attendees and not session.scalar(
        select(func.count())
        .select_from(EligibleToken)
        .where(EligibleToken.election_id == election.id)
    ):
        raise StateError(
            "no attendees yet: import the list with `voting attendees import FILE.csv`"
        )
    known = set(
        session.execute(
            select(EligibleToken.token_hash).where(EligibleToken.election_id == election.id)
        ).scalars()
    )
    fresh = sorted(personal_token_hashes(election.slug, delivery_key, attendees) - known)
    # Sorted inserts: the table's physical order is hash order, never attendee order.
    session.add_all(EligibleToken(election_id=election.id, token_hash=h) for h in fresh)
    session.flush()
    hashes = sorted(h.hex() for h in known.union(fresh))
    audit.append_entries(
        session,
        election,
        [
            (
                "tokens.committed",
                {
                    "count": len(hashes),
                    "root": verify.token_set_root(hashes),
                    "token_hashes": hashes,
                },
            ),
            ("voting.opened", {"at": _iso(now)}),
        ],
    )
    election.state = "open"
    session.flush()
    return audit.checkpoint(session, election, signer, now)


@dataclass(frozen=True)
class CloseResult:
    tally: dict
    checkpoint: verify.Checkpoint


def close_election(
    session: Session, election: Election, signer: LogSigner, now: datetime
) -> CloseResult:
    """Stop voting, unseal every ballot on the log, seal the tally and sign a checkpoint."""
    if election.state != "open":
        raise StateError(f"election {election.slug} is {election.state}, not open")
    categories = load_categories(session, election)
    slugs = {c.id: c.slug for c in categories}
    nominee_slugs = {n.id: n.slug for c in categories for n in c.nominees}
    ballots = session.execute(
        select(Ballot)
        .where(Ballot.election_id == election.id)
        .order_by(Ballot.seq)
        .options(selectinload(Ballot.choices))
    ).scalars()
    items: list[tuple[str, dict]] = [("voting.closed", {"at": _iso(now)})]
    for ballot in ballots:
        choices = {
            slugs[choice.category_id]: nominee_slugs.get(choice.nominee_id)
            if choice.nominee_id
            else None
            for choice in ballot.choices
        }
        items.append(
            ("ballot.unsealed", {"ballot": ballot.seq, "choices": choices, "nonce": ballot.nonce})
        )
    audit.append_entries(session, election, items)
    result = count_election(session, election, categories)
    audit.append_entry(session, election, "tally", result)
    election.state = "closed"
    session.flush()
    return CloseResult(tally=result, checkpoint=audit.checkpoint(session, election, signer, now))


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime (SQLite hands back naive ones)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_time(election: Election, moment: datetime | None) -> datetime | None:
    """A stored UTC moment in the election's own time zone, for display."""
    aware = as_utc(moment)
    return aware.astimezone(ZoneInfo(election.timezone)) if aware else None
