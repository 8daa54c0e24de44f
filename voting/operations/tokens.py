"""Ballot tokens in attendees' hands: personal links and cards, anonymous cards, reissue.

Personal tokens are derived on demand from the election's delivery key and never stored;
the database learns only their hashes (as the eligible set). Anonymous cards have random
serials that exist only on the printed card.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from voting.cards import Card
from voting.domain.tokens import (
    BallotTokenCodec,
    personal_serial,
    random_serial,
    read_serial_code,
    serial_code,
    token_hash,
)
from voting.errors import N_, InvalidToken, StateError, VotingError
from voting.models import Attendee, Election, EligibleToken, SpentToken
from voting.operations import audit

MAX_CARDS = 10_000


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


def _serial_of(delivery_key: bytes, election: Election, attendee: Attendee) -> bytes:
    return personal_serial(delivery_key, election.slug, attendee.id, attendee.reissue)


def personal_token(
    codec: BallotTokenCodec, delivery_key: bytes, election: Election, attendee: Attendee
) -> str:
    return codec.issue(election.slug, _serial_of(delivery_key, election, attendee))


def ballot_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/v/{token}"


def _attendees(
    session: Session, election: Election, ids: Sequence[int] | None = None
) -> list[Attendee]:
    query = select(Attendee).where(Attendee.election_id == election.id).order_by(Attendee.id)
    if ids is not None:
        query = query.where(Attendee.id.in_(ids))
    return list(session.execute(query).scalars())


def personal_links(
    session: Session,
    election: Election,
    codec: BallotTokenCodec,
    delivery_key: bytes,
    base_url: str,
) -> list[PersonalLink]:
    """Every attendee's ballot link, in the order of the attendee list."""
    return [
        PersonalLink(
            name=a.name,
            email=a.email,
            url=ballot_url(base_url, personal_token(codec, delivery_key, election, a)),
        )
        for a in _attendees(session, election)
    ]


def personal_cards(
    session: Session,
    election: Election,
    codec: BallotTokenCodec,
    delivery_key: bytes,
    base_url: str,
    attendee_ids: Sequence[int] | None = None,
) -> list[Card]:
    """Printable cards for attendees (all, or the ones named), in list order."""
    return [
        personal_ballot(codec, delivery_key, election, attendee, base_url)
        for attendee in _attendees(session, election, attendee_ids)
    ]


def personal_ballot(
    codec: BallotTokenCodec,
    delivery_key: bytes,
    election: Election,
    attendee: Attendee,
    base_url: str,
) -> Card:
    """An attendee's ballot as printed or emailed: link, typed-in code, name."""
    serial = _serial_of(delivery_key, election, attendee)
    return Card(
        url=ballot_url(base_url, codec.issue(election.slug, serial)),
        code=serial_code(serial),
        name=attendee.name,
        organisation=attendee.organisation,
        language=attendee.language,
    )


def anonymous_cards(
    session: Session, election: Election, codec: BallotTokenCodec, base_url: str, count: int
) -> list[Card]:
    """Make *count* cards with random serials and add their hashes to the eligible set.

    Before opening they are committed with the others at opening; once open they are
    added to the log in one entry, sorted, so the board cannot tell one card from another.
    """
    if election.state not in ("draft", "open"):
        raise StateError(N_("voting is over: no more ballots can be added"))
    if not 1 <= count <= MAX_CARDS:
        raise VotingError(N_("make between 1 and %(most)d cards at a time"), most=MAX_CARDS)
    serials = [random_serial() for _ in range(count)]
    hashes = sorted(token_hash(serial) for serial in serials)
    session.add_all(EligibleToken(election_id=election.id, token_hash=h) for h in hashes)
    if election.state == "open":
        audit.append_entry(
            session,
            election,
            "tokens.added",
            {"count": count, "token_hashes": [h.hex() for h in hashes]},
        )
    session.flush()
    return [
        Card(url=ballot_url(base_url, codec.issue(election.slug, serial)), code=serial_code(serial))
        for serial in serials
    ]


def token_for_code(session: Session, codec: BallotTokenCodec, code: str) -> str:
    """The ballot token behind a code typed from a card, or InvalidToken."""
    serial = read_serial_code(code)
    if serial is None:
        raise InvalidToken("this code is not valid")
    row = session.execute(
        select(EligibleToken.election_id).where(EligibleToken.token_hash == token_hash(serial))
    ).first()
    if row is None:
        raise InvalidToken("this code is not valid")
    election = session.get_one(Election, row.election_id)
    return codec.issue(election.slug, serial)


def ballot_status(
    session: Session, election: Election, attendee: Attendee, delivery_key: bytes | None
) -> str:
    """ "used", "unused" or "unknown" (no key any more): never how the ballot was filled in."""
    if delivery_key is None:
        return "unknown"
    digest = token_hash(_serial_of(delivery_key, election, attendee))
    if session.get(SpentToken, (election.id, digest)) is not None:
        return "used"
    row = session.get(EligibleToken, (election.id, digest))
    return "replaced" if row is not None and row.revoked else "unused"


def reissue(session: Session, election: Election, attendee: Attendee, delivery_key: bytes) -> None:
    """Replace an attendee's unused ballot: revoke the old token, derive the next one.

    The board gets one entry with the old hash revoked and the new one added. It never
    names the attendee; only the private activity log says whose ballot it was.
    """
    if election.state not in ("draft", "open"):
        raise StateError(N_("voting is over: ballots can no longer be replaced"))
    old = token_hash(_serial_of(delivery_key, election, attendee))
    if election.state == "draft":
        attendee.reissue += 1  # nothing is committed yet: the new token simply replaces it
        session.flush()
        return
    # Lock the old token's row: a cast of it waits for us, or we wait for the cast.
    row = session.execute(
        select(EligibleToken)
        .where(EligibleToken.election_id == election.id, EligibleToken.token_hash == old)
        .with_for_update()
    ).scalar()
    if session.get(SpentToken, (election.id, old)) is not None:
        raise StateError(N_("this ballot has already been cast; it cannot be replaced"))
    if row is None:
        raise StateError(N_("this attendee's ballot is not in the eligible set"))
    revoked = [] if row.revoked else [old.hex()]  # already revoked for an anonymous card
    row.revoked = True
    attendee.reissue += 1
    new = token_hash(_serial_of(delivery_key, election, attendee))
    session.add(EligibleToken(election_id=election.id, token_hash=new))
    audit.append_entry(
        session, election, "tokens.reissued", {"revoked": revoked, "added": [new.hex()]}
    )
    session.flush()


def revoke_personal(
    session: Session, election: Election, attendee: Attendee, delivery_key: bytes
) -> None:
    """Stop an attendee's personal ballot because they were given an anonymous card.

    The board records only a token hash revoked; the card's own hash was added when the
    cards were printed, so nothing links the attendee to the card.
    """
    if election.state != "open":
        raise StateError(N_("anonymous cards are handed out while voting is open"))
    digest = token_hash(_serial_of(delivery_key, election, attendee))
    row = session.execute(
        select(EligibleToken)
        .where(EligibleToken.election_id == election.id, EligibleToken.token_hash == digest)
        .with_for_update()
    ).scalar()
    if session.get(SpentToken, (election.id, digest)) is not None:
        raise StateError(N_("this attendee has already voted"))
    if row is None or row.revoked:
        return  # no personal ballot to stop
    row.revoked = True
    audit.append_entry(session, election, "tokens.revoked", {"token_hashes": [digest.hex()]})
    session.flush()
