"""Personal ballot tokens of attendees, derived on demand and never stored.

The database learns only their hashes (as the eligible set); the token itself is
recomputed from the delivery key whenever a link must be shown, printed or sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from voting.domain.tokens import BallotTokenCodec, personal_serial, token_hash
from voting.models import Attendee, Election


@dataclass(frozen=True)
class PersonalLink:
    name: str
    email: str
    url: str


def personal_token_hashes(
    election: str, delivery_key: bytes, attendees: Iterable[tuple[int, int]]
) -> set[bytes]:
    """Token hashes of attendees given as (id, reissue) pairs."""
    return {
        token_hash(personal_serial(delivery_key, election, attendee_id, reissue))
        for attendee_id, reissue in attendees
    }


def personal_token(
    codec: BallotTokenCodec, delivery_key: bytes, election: Election, attendee: Attendee
) -> str:
    serial = personal_serial(delivery_key, election.slug, attendee.id, attendee.reissue)
    return codec.issue(election.slug, serial)


def ballot_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/v/{token}"


def personal_links(
    session: Session,
    election: Election,
    codec: BallotTokenCodec,
    delivery_key: bytes,
    base_url: str,
) -> list[PersonalLink]:
    """Every attendee's ballot link, in the order of the attendee list."""
    attendees = session.execute(
        select(Attendee).where(Attendee.election_id == election.id).order_by(Attendee.id)
    ).scalars()
    return [
        PersonalLink(
            name=a.name,
            email=a.email,
            url=ballot_url(base_url, personal_token(codec, delivery_key, election, a)),
        )
        for a in attendees
    ]
