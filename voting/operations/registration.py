"""Open registration: an address registered at /register/<election> becomes an attendee
with a personal ballot, and its link is queued. One ballot per mailbox: an address already
registered (in any spelling the election folds together) gets its own link again instead.

The board sees only what an import shows: the new token hash, padded with decoys like every
addition after opening, in a ``tokens.added`` entry. Who registered stays in the private
attendee list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from voting.domain.registration import Registration, registration_on_board
from voting.domain.text import search_key
from voting.errors import N_, StateError
from voting.models import Attendee, Election
from voting.operations import activity, audit, mail_queue
from voting.operations.personal_ballots import add_personal_tokens

REGISTERED = "the registration page"  # the actor of what a registration does
REGISTRATION_CLOSED = N_("registration for %(title)s is closed")


def registration_of(election: Election) -> Registration:
    return registration_on_board(json.loads(election.definition))


def check_registration_open(election: Election) -> Registration:
    rule = registration_of(election)
    if not rule.is_open or election.is_over:
        raise StateError(REGISTRATION_CLOSED, title=election.title)
    return rule


def mailbox_ref(mailbox: str) -> str:
    """The attendee's reference: which mailbox registered, without spelling it out twice."""
    return "registered-" + hashlib.sha256(mailbox.encode()).hexdigest()[:40]


def register(
    session: Session,
    election: Election,
    address: str,
    mailbox: str,
    language: str,
    now: datetime,
    *,
    delivery_key: Callable[[], bytes],
) -> str:
    """Register *address* (normalised to *mailbox*): "new" (an attendee, a ballot, a link
    queued), "again" (already registered: their link queued once more), or "withdrawn"
    (an organiser withdrew that registration: nothing is sent). Run inside a write."""
    # Registrations of one election one at a time, so a mailbox is never registered twice
    # by two servers at once (a row lock; SQLite has one writer anyway).
    session.execute(select(Election.id).where(Election.id == election.id).with_for_update())
    check_registration_open(election)
    ref = mailbox_ref(mailbox)
    found = session.scalar(
        select(Attendee).where(Attendee.election_id == election.id, Attendee.ref == ref)
    )
    if found is not None:
        if found.is_withdrawn:
            return "withdrawn"
        if not mail_queue.waiting_link(session, found):
            mail_queue.enqueue(session, election, "link again", [found.id], REGISTERED, now)
        return "again"
    attendee = Attendee(
        election_id=election.id,
        name=address,
        email=address,
        ref=ref,
        language=language,
        search_key=search_key(address, address),
    )
    session.add(attendee)
    session.flush()
    if election.is_open:
        entries: list[tuple[str, dict]] = []
        add_personal_tokens(session, election, delivery_key, [attendee.id], entries)
        audit.append_entries(session, election, entries)
    mail_queue.enqueue(session, election, "link", [attendee.id], REGISTERED, now)
    activity.record(session, election, REGISTERED, "registered", now, attendee=attendee)
    return "new"
