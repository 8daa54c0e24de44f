"""Use cases with a slow part or a step after the commit, done once for the web and the command
line alike: printing cards, importing an attendee list, closing voting.

Each one parses, reads and does its slow work (a PDF, a large file) with no write open, then
runs its one operation in one short write, then does what must follow the commit. Sending
email works the same way, in voting/mail/sending.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from voting import services
from voting.cards import LAYOUTS, render_cards
from voting.db import DatabaseSession, done_reading, writing
from voting.domain.roster import parse_roster
from voting.errors import N_, VotingError
from voting.models import Attendee, Election
from voting.operations import attendees, elections, tokens
from voting.web.texts import card_howto


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
    if layout not in LAYOUTS:
        raise VotingError(N_("there is no card layout %(layout)s"), layout=repr(layout[:20]))
    tokens.check_ballots_can_be_added(election)
    codec, base = services.codec(), services.public_url()
    anonymous = None
    if count is not None:
        anonymous = tokens.make_anonymous_cards(codec, election, base, count)
        cards = anonymous.cards
    else:
        key = services.keys().delivery_key(election.slug)
        only = None if attendee is None else [attendee.id]
        cards = tokens.personal_cards(session, election, codec, key, base, only)
    title = election.title
    done_reading(session)
    pdf = render_cards(
        cards, title=title, entry_url=services.entry_address(), howto=card_howto, layout=layout
    )
    with writing(session):
        if anonymous is not None:
            tokens.add_anonymous_cards(session, actor, election, anonymous, services.now())
        else:
            tokens.record_personal_cards(
                session, actor, election, len(cards), services.now(), attendee=attendee
            )
    return PrintedCards(pdf=pdf, count=len(cards))


def import_attendees(
    session: DatabaseSession, actor: str, election: Election, data: bytes, source: str
) -> attendees.ImportResult:
    """Check a whole attendee file with no write open, then store it in one write.

    Raises RosterError (every bad line) before anything is written.
    """
    done_reading(session)
    roster = parse_roster(data)
    with writing(session):
        return attendees.import_roster(
            session,
            actor,
            election,
            roster,
            services.now(),
            delivery_key=lambda: services.keys().delivery_key(election.slug),
            source=source,
        )


def close_voting(
    session: DatabaseSession, actor: str, election: Election, *, keep_delivery_key: bool = False
) -> elections.CloseResult:
    """Close voting and seal the tally; then, once that is committed, destroy the delivery key.

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
    if keep_delivery_key or not services.keys().destroy_delivery_key(election.slug):
        return result
    with writing(session):
        elections.record_delivery_key_destroyed(session, actor, election, services.now())
    return dataclasses.replace(result, delivery_key_destroyed=True)
