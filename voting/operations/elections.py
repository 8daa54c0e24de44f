"""An election's definition and lifecycle: load or edit, open, close.

draft -> open -> closed -> revealed; each step is a log entry and none goes back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voting import verify
from voting.domain.definition import ElectionDefinition, MailTexts
from voting.domain.registration import registration_on_board
from voting.domain.times import iso_utc
from voting.domain.tokens import SLUG_PATTERN
from voting.errors import N_, NotFound, StateError, VotingError
from voting.models import Attendee, Category, Election, EligibleToken, Nominee
from voting.operations import (
    activity,
    audit,
    batches,
    casting_lock,
    jury_ballots,
    paper,
    sealed,
    trustee_key,
    trustee_shares,
    witnessing,
)
from voting.operations.audit import LogSigner
from voting.operations.layout import load_categories
from voting.operations.tokens import personal_token_hashes


@dataclass(frozen=True)
class LoadResult:
    election: Election
    outcome: str  # "created", "updated" or "unchanged"


def find_election(session: Session, slug: str | None = None) -> Election:
    """The election named *slug*, or the only one when no slug is given."""
    if slug:
        election = None
        if SLUG_PATTERN.match(slug):
            election = session.execute(select(Election).where(Election.slug == slug)).scalar()
        if election is None:
            raise NotFound(N_("no election %(slug)s"), slug=repr(slug[:64]))
        return election
    slugs = session.execute(select(Election.slug).order_by(Election.slug).limit(6)).scalars().all()
    if not slugs:
        raise NotFound(
            N_("there is no election yet; load one with `voting election load FILE.toml`")
        )
    if len(slugs) > 1:
        listed = ", ".join(slugs[:5]) + (", ..." if len(slugs) > 5 else "")
        raise NotFound(
            N_("there are several elections (%(listed)s); choose one with --election"),
            listed=listed,
        )
    return find_election(session, slugs[0])


def load_election(
    session: Session,
    actor: str,
    definition: ElectionDefinition,
    now: datetime,
    *,
    ensure_delivery_key: Callable[[str], object],
    origin_base: str = "localhost",
    source: str = "",
) -> LoadResult:
    """Create a draft election from a definition, or update a draft; refuse once opened.

    A new election's log is named ``origin_base/slug`` in its checkpoints, for good.
    *source* (the file's name) goes into the activity log.
    """
    result = _store_definition(session, definition, ensure_delivery_key, origin_base)
    if result.outcome != "unchanged":
        activity.record(
            session, result.election, actor, f"election {result.outcome}", now, detail=source
        )
    if definition.mail is not None and definition.mail.as_json() != result.election.mail_texts:
        set_mail_texts(session, actor, result.election, definition.mail, now)
    return result


def set_mail_texts(
    session: Session, actor: str, election: Election, texts: MailTexts, now: datetime
) -> None:
    """The organiser's contact and introductions in the emails; changeable until the close."""
    if election.is_over:
        raise StateError(N_("voting is over: no more emails are sent"))
    election.mail_texts = texts.as_json()
    session.flush()
    activity.record(session, election, actor, "email texts changed", now)


def mail_texts(election: Election) -> MailTexts:
    stored = election.mail_texts or {}
    return MailTexts(contact=stored.get("contact", ""), intro=dict(stored.get("intro", {})))


def edit_election(
    session: Session,
    actor: str,
    election: Election,
    definition: ElectionDefinition,
    now: datetime,
    *,
    change: str,
    ensure_delivery_key: Callable[[str], object],
) -> LoadResult:
    """One change made in the awards editor: the whole definition checked and stored again."""
    if not election.is_draft:
        raise StateError(N_("Voting has opened: the awards can no longer change."))
    assert definition.slug == election.slug, "the editor never changes the slug"
    result = _store_definition(session, definition, ensure_delivery_key, "localhost")
    if result.outcome != "unchanged":
        activity.record(session, election, actor, "awards edited", now, detail=change)
    return result


def _store_definition(
    session: Session,
    definition: ElectionDefinition,
    ensure_delivery_key: Callable[[str], object],
    origin_base: str,
) -> LoadResult:
    board_definition = definition.to_board()
    canonical = verify.canonical_json(board_definition).decode("utf-8")
    election = session.execute(select(Election).where(Election.slug == definition.slug)).scalar()
    if election is not None and election.definition == canonical:
        return LoadResult(election, "unchanged")
    if election is not None and not election.is_draft:
        raise StateError(
            N_("election %(election)s is %(state)s: its definition can no longer change"),
            election=definition.slug,
            state=election.state,
        )
    outcome = "updated"
    if election is not None:
        # Remove the old awards first, or the new ones would clash with their slugs.
        election.categories.clear()
        session.flush()
    if election is None:
        outcome = "created"
        origin = f"{origin_base.rstrip('/')}/{definition.slug}"
        if not verify.valid_origin(origin) or len(origin) > 255:
            # Checkpoints named so would be refused by every C2SP verifier, ours included.
            raise StateError(
                N_(
                    "the log's name %(origin)s would hold a space or a “+”: "
                    "set PUBLIC_URL (or BOARD_ORIGIN) to a plain address"
                ),
                origin=origin,
            )
        election = Election(
            slug=definition.slug, state="draft", definition=canonical, origin=origin
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


def open_election(
    session: Session,
    actor: str,
    election: Election,
    delivery_key: bytes,
    signer: LogSigner,
    now: datetime,
) -> verify.Checkpoint:
    """Freeze the ballot set: commit every eligible token hash to the log, then open.

    Returns the checkpoint signed at opening: its fingerprint is the one to show the room.
    """
    if not election.is_draft:
        raise StateError(
            N_("election %(election)s is already %(state)s"),
            election=election.slug,
            state=election.state,
        )
    categories = load_categories(session, election)
    if not categories:
        raise StateError(N_("there is no award yet: add one in the editor"))
    empty = [c.title for c in categories if not c.nominees]
    if empty:
        raise StateError(N_("the award %(award)s has no finalists yet"), award=repr(empty[0]))
    jurors: dict = {}
    shared = [c.title for c in categories if _jury_share(election, c.slug)]
    if shared:
        jurors = {"jurors": jury_ballots.jurors_to_seat(session)}
        if not jurors["jurors"]:
            raise StateError(
                N_(
                    "the award %(award)s has a jury share but there is no jury account: "
                    "add one with `voting users add NAME --role jury`"
                ),
                award=repr(shared[0]),
            )
    trustee_entries = trustee_key.seat_trustee(election)
    attendees = session.execute(
        select(Attendee.id, Attendee.reissue).where(
            Attendee.election_id == election.id, Attendee.withdrawn_at.is_(None)
        )
    ).all()
    if (
        not attendees
        and not registration_on_board(json.loads(election.definition)).is_open
        and not session.scalar(
            select(func.count())
            .select_from(EligibleToken)
            .where(EligibleToken.election_id == election.id)
        )
    ):
        raise StateError(
            N_("no attendees yet: import the list with `voting attendees import FILE.csv`")
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
            *trustee_entries,
            (
                "tokens.committed",
                {
                    "count": len(hashes),
                    "root": verify.token_set_root(hashes),
                    "token_hashes": hashes,
                },
            ),
            ("voting.opened", {"at": iso_utc(now), **jurors}),
        ],
    )
    election.state = "open"
    session.flush()
    signed = audit.checkpoint(session, election, signer, now)
    witnessing.seat_witnesses(session, election)
    activity.record(session, election, actor, "voting opened", now)
    return signed


def _jury_share(election: Election, award: str) -> bool:
    published = json.loads(election.definition)["categories"]
    return any(c["slug"] == award and c.get("jury") for c in published)


@dataclass(frozen=True)
class CloseResult:
    tally: dict | None  # None while a trustee's shares are awaited
    checkpoint: verify.Checkpoint
    delivery_key_destroyed: bool = False
    notices: int | None = None  # participation notices queued, when asked for


def close_election(
    session: Session,
    actor: str,
    election: Election,
    signer: LogSigner,
    now: datetime,
    *,
    keep_delivery_key: bool = False,
) -> CloseResult:
    """Stop voting: publish the last batch of ballots, seal the tally and sign a checkpoint
    (the fingerprint of the sealed result). The tally stays off the public board until the
    reveal ends, or joins it at once for an election revealed at close.

    The delivery key is destroyed after the commit, unless kept (see workflows.close_voting).
    """
    # Alone on the election: casts in flight (which share it) commit first and their ballots
    # are in the last batch; casts that come later wait, then find voting closed.
    casting_lock.take_alone_for_close(session, election.slug)
    session.refresh(election, with_for_update=True)
    if not election.is_open:
        raise StateError(
            N_("election %(election)s is %(state)s, not open"),
            election=election.slug,
            state=election.state,
        )
    batches.publish_batch(session, election, signer, now, policy=None)
    paper.discard_drafts(session, election)
    audit.append_entry(session, election, "voting.closed", {"at": iso_utc(now)})
    election.state = "closed"
    session.flush()
    if election.trustee_key is None:
        result, signed = seal_result(session, election, signer, now)
    else:  # the ballots are encrypted: the tally is sealed once the jury's shares open them
        result, signed = None, audit.checkpoint(session, election, signer, now)
    activity.record(
        session,
        election,
        actor,
        "voting closed",
        now,
        detail="delivery key kept" if keep_delivery_key else "",
    )
    return CloseResult(tally=result, checkpoint=signed)


def seal_result(
    session: Session, election: Election, signer: LogSigner, now: datetime
) -> tuple[dict, verify.Checkpoint]:
    """Seal the tally of a closed election and sign the checkpoint that fingerprints it;
    publish it at once for an election revealed at close."""
    result = sealed.seal_tally(session, election)
    signed = audit.checkpoint(session, election, signer, now)
    if election.reveals_at_close:
        sealed.publish(session, election)
        election.state = "revealed"
        awards = [c.slug for c in load_categories(session, election)]
        election.reveal_step = len(verify.reveal_screens(awards)) - 1  # the summary
        session.flush()
        audit.checkpoint(session, election, signer, now)
    return result, signed


def open_ballots(
    session: Session,
    actor: str,
    election: Election,
    opened: trustee_shares.OpenedBallots,
    signer: LogSigner,
    now: datetime,
) -> tuple[dict, verify.Checkpoint]:
    """With the trustee's key rebuilt and every ballot decrypted (before this write), fill
    in the answers and seal the tally as a close without a trustee does."""
    trustee_shares.fill_in(session, actor, election, opened, now)
    return seal_result(session, election, signer, now)


def record_delivery_key_destroyed(
    session: Session, actor: str, election: Election, now: datetime
) -> None:
    """After the close's commit the delivery key was destroyed: say so, once it is true."""
    activity.record(session, election, actor, "delivery key destroyed", now)


def list_elections(session: Session) -> list[Election]:
    return list(session.execute(select(Election).order_by(Election.id.desc())).scalars())


def create_election(
    session: Session,
    actor: str,
    definition: ElectionDefinition,
    now: datetime,
    *,
    ensure_delivery_key: Callable[[str], object],
    origin_base: str,
    template: Election | None = None,
) -> Election:
    """A new draft election from the console (no award yet, or a *template*'s awards)."""
    taken = session.execute(select(Election.id).where(Election.slug == definition.slug)).first()
    if taken:
        raise VotingError(N_("there is already an election %(slug)s"), slug=definition.slug)
    result = _store_definition(session, definition, ensure_delivery_key, origin_base)
    if template is not None:
        result.election.mail_texts = dict(template.mail_texts or {})
        session.flush()
    activity.record(
        session,
        result.election,
        actor,
        "election created",
        now,
        detail=f"from {template.slug}" if template else "in the console",
    )
    return result.election
