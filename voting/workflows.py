"""Use cases with a slow part or a step after the commit, done once for the web and the command
line alike: printing cards, importing an attendee list, closing voting, opening the ballots
with the trustee's key.

Each one parses, reads and does its slow work (a PDF, a large file) with no write open, then
runs its one operation in one short write, then does what must follow the commit. Sending
email works the same way, in voting/mail/sending.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from voting import services, verify
from voting.cards import LAYOUTS, render_cards
from voting.db import DatabaseSession, done_reading, writing
from voting.domain.import_plan import ImportPlan
from voting.domain.roster import Roster, RosterError, parse_roster
from voting.errors import N_, StateError, VotingError
from voting.mail.notices import queue_participation_notices
from voting.mail.sending import queue_new_card_notice
from voting.models import Attendee, Election
from voting.operations import (
    attendees,
    elections,
    personal_ballots,
    tokens,
    trustee_key,
    trustee_shares,
)
from voting.operations.layout import ballot_layout
from voting.paper_ballots import PAPER, render_paper_ballots
from voting.web.texts import card_howto, paper_texts


@dataclass(frozen=True)
class PrintedCards:
    pdf: bytes
    count: int


def print_cards(
    session: DatabaseSession,
    actor: str,
    election: Election,
    *,
    layout: str,
    count: int | None = None,
    attendee: Attendee | None = None,
) -> PrintedCards:
    """Ballot cards as a PDF: *count* anonymous cards, one attendee's card, or everyone's.

    The PDF is rendered before anything is written (10,000 cards take minutes): anonymous
    cards join the eligible set only once their PDF exists, in one short write, so a print
    that fails or is interrupted leaves no ballot that nobody holds.
    """
    if layout not in LAYOUTS and layout != PAPER:
        raise VotingError(N_("there is no card layout %(layout)s"), layout=repr(layout[:20]))
    tokens.check_ballots_can_be_added(election)
    codec, base = services.codec(), services.ballot_base_url()
    anonymous = None
    if count is not None:
        anonymous = tokens.make_anonymous_cards(codec, election, base, count)
        cards = anonymous.cards
    else:
        key = services.keys().delivery_key(election.slug)
        only = None if attendee is None else [attendee.id]
        cards = tokens.personal_cards(session, election, codec, key, base, only)
        if attendee is not None and not cards:
            raise VotingError(tokens.NO_PERSONAL_BALLOT)
    title, entry_url = election.title, services.entry_address(base)
    awards = ballot_layout(session, election)
    done_reading(session)
    if layout == PAPER:
        pdf = render_paper_ballots(cards, title=title, texts=paper_texts(awards, entry_url))
    else:
        pdf = render_cards(cards, title=title, entry_url=entry_url, howto=card_howto, layout=layout)
    with writing(session):
        if anonymous is not None:
            tokens.add_anonymous_cards(session, actor, election, anonymous, services.now())
        else:
            tokens.record_personal_cards(
                session, actor, election, len(cards), services.now(), attendee=attendee
            )
    return PrintedCards(pdf=pdf, count=len(cards))


def reprint_card(
    session: DatabaseSession, actor: str, election: Election, attendee: Attendee, *, layout: str
) -> PrintedCards:
    """An attendee's card printed again at the help desk: only while their ballot is unused,
    and always as a fresh ballot (the old token revoked), of which they are told by email.

    So a desk account can neither print a card to find a cast ballot on the board, nor
    quietly vote with an absent attendee's ballot: the attendee hears of the new card.
    """
    if layout not in LAYOUTS and layout != PAPER:
        raise VotingError(N_("there is no card layout %(layout)s"), layout=repr(layout[:20]))
    tokens.check_ballots_can_be_added(election)
    codec, base = services.codec(), services.ballot_base_url()
    key = services.keys().delivery_key(election.slug)
    status = personal_ballots.ballot_status(session, election, attendee, key)
    if status == "used":
        raise StateError(N_("this ballot has been cast: its card cannot be printed again"))
    if status != "unused":
        raise VotingError(tokens.NO_PERSONAL_BALLOT)
    card = tokens.personal_ballot(codec, key, election, attendee, base, next_one=True)
    expected = attendee.reissue
    title = election.title
    done_reading(session)
    pdf = render_cards(
        [card], title=title, entry_url=services.entry_address(base), howto=card_howto, layout=layout
    )
    with writing(session):
        session.refresh(attendee, with_for_update=True)
        if attendee.reissue != expected:  # another print got there first: this card is dead
            raise StateError(N_("this card was just printed at another desk; print it again"))
        personal_ballots.reissue(session, actor, election, attendee, key, services.now())
        tokens.record_personal_cards(session, actor, election, 1, services.now(), attendee=attendee)
        queue_new_card_notice(session, actor, election, attendee)
    return PrintedCards(pdf=pdf, count=1)


@dataclass(frozen=True)
class CheckedFile:
    """An attendee file checked against the list: what importing it would change."""

    roster: Roster
    plan: ImportPlan


def check_attendees(session: DatabaseSession, election: Election, data: bytes) -> CheckedFile:
    """Parse and check a whole file, then compare it with the list; writes nothing.

    Raises RosterError (every bad line, or attendees the file cannot tell apart).
    """
    done_reading(session)
    roster = parse_roster(data)
    plan = attendees.plan_roster(session, election, roster)
    if plan.errors:
        raise RosterError(plan.errors)
    return CheckedFile(roster, plan)


def import_attendees(
    session: DatabaseSession,
    actor: str,
    election: Election,
    data: bytes,
    source: str,
    *,
    withdraw_missing: bool = False,
    expected: str | None = None,
    staged: str | None = None,
) -> attendees.ImportResult:
    """Check a whole attendee file with no write open, then store it in one write.

    Raises RosterError (every bad line) before anything is written. *expected* is the
    digest of the plan a check showed (nothing is written if the plan differs now);
    *staged* the staged upload to drop in the same write.
    """
    done_reading(session)
    roster = parse_roster(data)
    with writing(session):
        result = attendees.import_roster(
            session,
            actor,
            election,
            roster,
            services.now(),
            delivery_key=lambda: services.keys().delivery_key(election.slug),
            source=source,
            withdraw_missing=withdraw_missing,
            expected=expected,
        )
        if staged:
            attendees.drop_staged_upload(session, staged)
    return result


def stage_attendees(
    session: DatabaseSession, election: Election, filename: str, data: bytes
) -> tuple[CheckedFile, str]:
    """The console's check step: check the file, keep it for the confirmation; its id."""
    checked = check_attendees(session, election, data)
    with writing(session):
        upload_id = attendees.stage_upload(session, election, filename, data, services.now())
    return checked, upload_id


def close_voting(
    session: DatabaseSession,
    actor: str,
    election: Election,
    *,
    keep_delivery_key: bool = False,
    notify: bool = False,
) -> elections.CloseResult:
    """Close voting and seal the tally; then, once that is committed, queue the participation
    notices if asked (the key alone can tell who voted), and destroy the delivery key.

    From then on nobody can link a ballot to an attendee. Destroying the key is logged
    only once it has happened.
    """
    with writing(session):
        result = elections.close_election(
            session,
            actor,
            election,
            services.signer(),
            services.now(),
            keep_delivery_key=keep_delivery_key,
        )
    if notify:
        notices = queue_participation_notices(session, actor, election, final=not keep_delivery_key)
        result = dataclasses.replace(result, notices=notices)
    if keep_delivery_key or not services.keys().destroy_delivery_key(election.slug):
        return result
    with writing(session):
        elections.record_delivery_key_destroyed(session, actor, election, services.now())
    return dataclasses.replace(result, delivery_key_destroyed=True)


def upload_trustee_key(
    session: DatabaseSession, actor: str, election: Election, data: bytes
) -> str:
    """Store the jury's public key file (before opening); return the key's id."""
    key = trustee_key.read_key_file(data)
    with writing(session):
        trustee_key.set_public_key(session, actor, election, key, services.now())
    return key.id


def bring_trustee_share(
    session: DatabaseSession, actor: str, election: Election, data: bytes
) -> tuple[trustee_shares.ShareCount, verify.Checkpoint | None]:
    """Keep a juror's share; the one that makes K opens the ballots there and then: the
    checkpoint that fingerprints the sealed tally is returned then."""
    share = trustee_shares.read_share_file(data)
    with writing(session):
        count = trustee_shares.bring_share(session, actor, election, share, services.now())
    if not count.enough:
        return count, None
    return count, open_ballots(session, actor, election)[1]


def open_ballots(
    session: DatabaseSession, actor: str, election: Election, private_key_file: bytes | None = None
) -> tuple[dict, verify.Checkpoint]:
    """Decrypt every ballot with the trustee's key (rebuilt from the shares brought, or the
    file `verify.py trustee decrypt` wrote) with no write open, then fill in and seal the
    tally in one write. The key joins the board when the reveal ends."""
    if private_key_file is None:
        private = trustee_shares.rebuilt_key(session, election)
        if private is None:
            count = trustee_shares.share_count(session, election)
            raise StateError(
                N_("%(brought)s of the %(threshold)s shares needed have been brought"),
                brought=count.brought if count else 0,
                threshold=count.threshold if count else 0,
            )
    else:
        private = trustee_shares.read_private_key(session, election, private_key_file)
    ballots = trustee_shares.sealed_ballots(session, election)
    done_reading(session)
    opened = trustee_shares.decrypt_ballots(ballots, private)
    with writing(session):
        return elections.open_ballots(
            session, actor, election, opened, services.signer(), services.now()
        )
