"""Ballot tokens in attendees' hands: personal links and cards, anonymous cards, reissue.

Personal tokens are derived on demand from the election's delivery key and never stored;
the database learns only their hashes (as the eligible set). Anonymous cards have random
serials that exist only on the printed card.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from voting.domain.tokens import (
    BallotTokenCodec,
    Card,
    personal_serial,
    random_serial,
    read_serial_code,
    serial_code,
    token_hash,
)
from voting.errors import N_, InvalidToken, StateError, VotingError
from voting.models import Attendee, Election, EligibleToken
from voting.operations import activity, audit
from voting.operations.in_lists import IN_LIST

MAX_CARDS = 10_000
NO_PERSONAL_BALLOT = N_(
    "this attendee has no personal ballot now (withdrawn, or an anonymous card was handed over)"
)


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
    """The attendees on the list (never the withdrawn), in list order."""
    query = (
        select(Attendee)
        .where(Attendee.election_id == election.id, Attendee.withdrawn_at.is_(None))
        .order_by(Attendee.id)
    )
    if ids is None:
        return list(session.execute(query).scalars())
    if len(ids) <= IN_LIST:
        return list(session.execute(query.where(Attendee.id.in_(ids))).scalars())
    wanted = set(ids)  # many: one scan of the list rather than an IN (...) of every id
    return [attendee for attendee in session.execute(query).scalars() if attendee.id in wanted]


def live_attendees(
    session: Session,
    election: Election,
    delivery_key: bytes,
    ids: Sequence[int] | None = None,
) -> list[Attendee]:
    """Attendees whose personal ballot still works: not withdrawn, and not stopped because
    they were handed an anonymous card instead."""
    revoked = set(
        session.execute(
            select(EligibleToken.token_hash).where(
                EligibleToken.election_id == election.id, EligibleToken.revoked.is_(True)
            )
        ).scalars()
    )
    return [
        attendee
        for attendee in _attendees(session, election, ids)
        if not revoked or token_hash(_serial_of(delivery_key, election, attendee)) not in revoked
    ]


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
        for a in live_attendees(session, election, delivery_key)
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
        for attendee in live_attendees(session, election, delivery_key, attendee_ids)
    ]


def personal_ballot(
    codec: BallotTokenCodec,
    delivery_key: bytes,
    election: Election,
    attendee: Attendee,
    base_url: str,
    *,
    next_one: bool = False,
) -> Card:
    """An attendee's ballot as printed or emailed: link, typed-in code, name. With
    *next_one*, the ballot that replacing theirs would give them (see personal_ballots)."""
    reissue = attendee.reissue + 1 if next_one else attendee.reissue
    serial = personal_serial(delivery_key, election.slug, attendee.id, reissue)
    return Card(
        url=ballot_url(base_url, codec.issue(election.slug, serial)),
        code=serial_code(serial),
        name=attendee.name,
        organisation=attendee.organisation,
        language=attendee.language,
    )


@dataclass(frozen=True)
class AnonymousCards:
    """Freshly made anonymous cards and the sorted hashes the eligible set gets for them."""

    cards: list[Card]
    token_hashes: list[bytes]


def make_anonymous_cards(
    codec: BallotTokenCodec, election: Election, base_url: str, count: int
) -> AnonymousCards:
    """Make *count* cards with random serials; nothing is stored until ``add_anonymous_cards``.

    The serials exist only on the cards: the database will learn their hashes alone.
    """
    check_card_count(count)
    serials = [random_serial() for _ in range(count)]
    return AnonymousCards(
        cards=[
            Card(url=ballot_url(base_url, codec.issue(election.slug, s)), code=serial_code(s))
            for s in serials
        ],
        token_hashes=sorted(token_hash(serial) for serial in serials),
    )


def check_card_count(count: int) -> None:
    if not 1 <= count <= MAX_CARDS:
        raise VotingError(N_("make between 1 and %(most)d cards at a time"), most=MAX_CARDS)


# An addition to the eligible set while voting is open is never smaller than this on the
# board: a late attendee, one anonymous card or one replaced ballot is not a lone hash that
# the private activity log's time could put a name to.
SMALLEST_ADDITION = 10


def padded(hashes: Sequence[bytes]) -> list[bytes]:
    """These token hashes and, up to SMALLEST_ADDITION, hashes of serials made here and
    forgotten at once: eligible like any other, but nobody can ever cast them."""
    missing = max(0, SMALLEST_ADDITION - len(hashes))
    return sorted([*hashes, *(token_hash(random_serial()) for _ in range(missing))])


def check_ballots_can_be_added(election: Election) -> None:
    if election.is_over:
        raise StateError(N_("voting is over: no more ballots can be added"))


def add_anonymous_cards(
    session: Session, actor: str, election: Election, cards: AnonymousCards, now: datetime
) -> None:
    """Add printed anonymous cards to the eligible set.

    Before opening they are committed with the others at opening; once open they are
    added to the log in one entry, sorted, so the board cannot tell one card from another.
    """
    check_ballots_can_be_added(election)
    check_card_count(len(cards.token_hashes))
    hashes = padded(cards.token_hashes) if election.is_open else list(cards.token_hashes)
    session.add_all(EligibleToken(election_id=election.id, token_hash=h) for h in hashes)
    if election.is_open:
        audit.append_entry(
            session,
            election,
            "tokens.added",
            {"count": len(hashes), "token_hashes": [h.hex() for h in hashes]},
        )
    session.flush()
    printed = len(cards.token_hashes)
    activity.record(
        session, election, actor, "anonymous cards printed", now, detail=f"{printed} cards"
    )


def record_personal_cards(
    session: Session,
    actor: str,
    election: Election,
    count: int,
    now: datetime,
    attendee: Attendee | None = None,
) -> None:
    """Personal cards were printed: for one attendee at the desk, or for the whole list."""
    check_ballots_can_be_added(election)
    if attendee is not None:
        activity.record(session, election, actor, "card printed", now, attendee=attendee)
    else:
        activity.record(
            session, election, actor, "personal cards printed", now, detail=f"{count} cards"
        )


def names_an_eligible_ballot(session: Session, code: str) -> bool:
    """Whether a typed code is one of an eligible ballot (whichever election): a real voter."""
    serial = read_serial_code(code)
    if serial is None:
        return False
    found = session.execute(
        select(EligibleToken.token_hash).where(EligibleToken.token_hash == token_hash(serial))
    ).first()
    return found is not None


def token_for_code(session: Session, codec: BallotTokenCodec, code: str) -> str:
    """The ballot token behind a code typed from a card, or InvalidToken."""
    serial = read_serial_code(code)
    if serial is None:
        raise InvalidToken(N_("this code is not valid"))
    row = session.execute(
        select(EligibleToken.election_id).where(EligibleToken.token_hash == token_hash(serial))
    ).first()
    if row is None:
        raise InvalidToken(N_("this code is not valid"))
    election = session.get_one(Election, row.election_id)
    return codec.issue(election.slug, serial)
