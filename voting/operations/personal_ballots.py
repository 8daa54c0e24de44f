"""An attendee's personal ballot over its life: the status the desk sees (never how it was
filled in), replacing a lost one, stopping it (an anonymous card was handed over, the
attendee withdrew), and adding or revoking many at once for an import.

Each revocation locks the token's row first: a cast of the same token waits for it, or it
waits for the cast and then refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from voting.domain.tokens import personal_serial, token_hash
from voting.errors import N_, StateError
from voting.models import Attendee, Election, EligibleToken, SpentToken
from voting.operations import activity, audit
from voting.operations.in_lists import IN_LIST, among
from voting.operations.tokens import padded, personal_token_hashes

# What a revoked token's link says, and the desk's label for it.
REPLACED, CARD, WITHDRAWN = "replaced", "card", "withdrawn"


def _serial_of(delivery_key: bytes, election: Election, attendee: Attendee) -> bytes:
    return personal_serial(delivery_key, election.slug, attendee.id, attendee.reissue)


def ballot_status(
    session: Session, election: Election, attendee: Attendee, delivery_key: bytes | None
) -> str:
    """ "used", "unused", "card" (an anonymous card instead), "withdrawn", or "unknown" (no
    key any more): never how the ballot was filled in."""
    if attendee.is_withdrawn:
        return WITHDRAWN
    if delivery_key is None:
        return "unknown"
    digest = token_hash(_serial_of(delivery_key, election, attendee))
    if session.get(SpentToken, (election.id, digest)) is not None:
        return "used"
    row = session.get(EligibleToken, (election.id, digest))
    if row is not None and row.revoked:
        return row.revoked_reason or CARD
    return "unused"


def look_up_status(
    session: Session,
    actor: str,
    election: Election,
    attendee: Attendee,
    delivery_key: bytes | None,
    now: datetime,
) -> str:
    """The desk's look-up of an attendee's ballot status, on the record: a staff account that
    watches whether someone has voted (and the board at the same time) leaves its trace."""
    status = ballot_status(session, election, attendee, delivery_key)
    activity.record(
        session, election, actor, "ballot status looked up", now, attendee=attendee, detail=status
    )
    return status


def record_refusal(
    session: Session,
    actor: str,
    election: Election,
    attendee: Attendee,
    action: str,
    reason: str,
    now: datetime,
) -> None:
    """A desk action refused for this attendee: the refusal tells whether their ballot was
    used, so it is on the record as a look-up is."""
    activity.record(
        session,
        election,
        actor,
        "desk action refused",
        now,
        attendee=attendee,
        detail=f"{action}: {reason}",
    )


def _locked_token(session: Session, election: Election, digest: bytes) -> EligibleToken | None:
    """The token's eligible row, locked: a cast of it waits for us, or we wait for the cast."""
    return session.execute(
        select(EligibleToken)
        .where(EligibleToken.election_id == election.id, EligibleToken.token_hash == digest)
        .with_for_update()
    ).scalar()


def reissue(
    session: Session,
    actor: str,
    election: Election,
    attendee: Attendee,
    delivery_key: bytes,
    now: datetime,
) -> None:
    """Replace an attendee's unused ballot: revoke the old token, derive the next one.

    The board gets one entry with the old hash revoked and the new one added. It never
    names the attendee; only the private activity log says whose ballot it was.
    """
    if election.is_over:
        raise StateError(N_("voting is over: ballots can no longer be replaced"))
    if attendee.is_withdrawn:
        raise StateError(
            N_("%(name)s is withdrawn: there is no ballot to replace"), name=attendee.name
        )
    old = token_hash(_serial_of(delivery_key, election, attendee))
    if election.is_draft:
        attendee.reissue += 1  # nothing is committed yet: the new token simply replaces it
        session.flush()
        activity.record(session, election, actor, "ballot replaced", now, attendee=attendee)
        return
    row = _locked_token(session, election, old)
    if session.get(SpentToken, (election.id, old)) is not None:
        raise StateError(N_("this ballot has already been cast; it cannot be replaced"))
    if row is None:
        raise StateError(N_("this attendee's ballot is not in the eligible set"))
    if row.revoked:  # the attendee's own, current token: stopped for an anonymous card
        raise StateError(
            N_("an anonymous card was handed to this attendee: that card is their ballot now")
        )
    row.revoked, row.revoked_reason = True, REPLACED
    attendee.reissue += 1
    added = padded([token_hash(_serial_of(delivery_key, election, attendee))])
    session.add_all(EligibleToken(election_id=election.id, token_hash=h) for h in added)
    audit.append_entry(
        session,
        election,
        "tokens.reissued",
        {"revoked": [old.hex()], "added": [h.hex() for h in added]},
    )
    session.flush()
    activity.record(session, election, actor, "ballot replaced", now, attendee=attendee)


def revoke_personal(
    session: Session,
    actor: str,
    election: Election,
    attendee: Attendee,
    delivery_key: bytes,
    now: datetime,
) -> None:
    """Stop an attendee's personal ballot because they were given an anonymous card.

    The board records only a token hash revoked; the card's own hash was added when the
    cards were printed, so nothing links the attendee to the card.
    """
    if not election.is_open:
        raise StateError(N_("anonymous cards are handed out while voting is open"))
    if attendee.is_withdrawn:
        raise StateError(N_("%(name)s is withdrawn: no ballot is due"), name=attendee.name)
    digest = token_hash(_serial_of(delivery_key, election, attendee))
    row = _locked_token(session, election, digest)
    if session.get(SpentToken, (election.id, digest)) is not None:
        raise StateError(N_("this attendee has already voted"))
    if row is not None and row.revoked:
        raise StateError(N_("an anonymous card was already handed to this attendee"))
    if row is not None:  # else there is no personal ballot to stop
        row.revoked, row.revoked_reason = True, CARD
        audit.append_entry(session, election, "tokens.revoked", {"token_hashes": [digest.hex()]})
        session.flush()
    activity.record(session, election, actor, "anonymous card handed over", now, attendee=attendee)


def add_personal_tokens(
    session: Session,
    election: Election,
    delivery_key: Callable[[], bytes],
    attendee_ids: Sequence[int],
    entries: list[tuple[str, dict]],
) -> int:
    """Make these attendees' personal tokens eligible while voting is open; the board entry
    (the sorted hashes, no names) is appended to *entries*. Returns how many."""
    if not attendee_ids:
        return 0
    personal = _personal_hashes(session, election, delivery_key, attendee_ids)
    hashes = padded(personal)
    session.execute(
        insert(EligibleToken), [{"election_id": election.id, "token_hash": h} for h in hashes]
    )
    entries.append(
        ("tokens.added", {"count": len(hashes), "token_hashes": [h.hex() for h in hashes]})
    )
    return len(personal)


def _personal_hashes(
    session: Session,
    election: Election,
    delivery_key: Callable[[], bytes],
    attendee_ids: Sequence[int],
) -> list[bytes]:
    """The current personal token hashes of these attendees, sorted."""
    wanted = set(attendee_ids)
    # A few are looked up by id (a registration, a reissue); many, by one scan of the list.
    query = select(Attendee.id, Attendee.reissue).where(Attendee.election_id == election.id)
    if len(wanted) <= IN_LIST:
        query = query.where(Attendee.id.in_(wanted))
    pairs = [(row.id, row.reissue) for row in session.execute(query) if row.id in wanted]
    return sorted(personal_token_hashes(election.slug, delivery_key(), pairs))


def revoke_personal_tokens(
    session: Session,
    election: Election,
    delivery_key: Callable[[], bytes],
    attendee_ids: Sequence[int],
    reason: str,
    entries: list[tuple[str, dict]],
) -> int:
    """Revoke these attendees' unused personal tokens (a used one stays counted); the board
    entry is appended to *entries*. Returns how many were revoked."""
    if not attendee_ids:
        return 0
    candidates = _personal_hashes(session, election, delivery_key, attendee_ids)
    revoked: list[bytes] = []
    for eligible, spent_one in zip(
        among(session, EligibleToken.token_hash, candidates),
        among(session, SpentToken.token_hash, candidates),
        strict=True,
    ):
        live = set(
            session.execute(
                select(EligibleToken.token_hash)
                .where(
                    EligibleToken.election_id == election.id,
                    eligible,
                    EligibleToken.revoked.is_(False),
                )
                .with_for_update()
            ).scalars()
        )
        spent = set(
            session.execute(
                select(SpentToken.token_hash).where(
                    SpentToken.election_id == election.id, spent_one
                )
            ).scalars()
        )
        revoked += sorted(live - spent)
    for one_of in among(session, EligibleToken.token_hash, revoked):
        session.execute(
            update(EligibleToken)
            .where(EligibleToken.election_id == election.id, one_of)
            .values(revoked=True, revoked_reason=reason)
            .execution_options(synchronize_session=False)
        )
    if revoked:
        entries.append(("tokens.revoked", {"token_hashes": [h.hex() for h in sorted(revoked)]}))
    return len(revoked)
