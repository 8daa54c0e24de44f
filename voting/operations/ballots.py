"""Admitting a ballot token and casting its ballot.

Casting spends the token and stores the sealed ballot in the caller's one transaction:
both are committed or neither is. The spent token's primary key makes a second cast of the
same token fail even when both race. The ballot joins the public log with its batch
(operations/batches.py), perhaps in this same transaction when its batch is due.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voting import verify
from voting.domain.lifecycle import ElectionRow
from voting.domain.times import as_utc
from voting.domain.tokens import BadToken, BallotTokenCodec, token_hash
from voting.errors import (
    N_,
    InvalidToken,
    NotOpenYet,
    TokenRevoked,
    TokenSpent,
    VotingClosed,
    VotingError,
)
from voting.models import AnyElection, Ballot, BallotChoice, Election, EligibleToken, SpentToken
from voting.operations import batches, casting_lock, trustee_key
from voting.operations.audit import LogSigner
from voting.operations.batches import DEFAULT_POLICY, BatchPolicy, board_entry
from voting.operations.layout import CategoryView, ballot_layout

ABSTAIN = "abstain"  # the form's value for an award left unanswered on purpose


class InvalidChoice(VotingError):
    """The submitted choices do not fit the ballot (unknown award or finalist, or one missing)."""


@dataclass(frozen=True)
class BallotPass:
    """A token that may vote now: its election and the hash the database knows it by."""

    election: ElectionRow
    token_hash: bytes


# The statements of the voter's path, built once: building a statement costs more than
# running it on SQLite, and every page of the way admits the token again. They read plain
# columns of the tables (no mapped entity): the session then runs them as Core, without the
# ORM's work per statement and row.
_elections, _eligible, _spent = Election.__table__, EligibleToken.__table__, SpentToken.__table__
_ROW = [_elections.c[field.name] for field in fields(ElectionRow)]
_ELECTION_BY_SLUG = select(*_ROW).where(_elections.c.slug == bindparam("slug"))
_TOKEN_ON_PAGE = (
    select(*_ROW, _eligible.c.revoked, _spent.c.token_hash, _eligible.c.revoked_reason)
    .outerjoin(
        _eligible,
        (_eligible.c.election_id == _elections.c.id)
        & (_eligible.c.token_hash == bindparam("digest")),
    )
    .outerjoin(
        _spent,
        (_spent.c.election_id == _elections.c.id) & (_spent.c.token_hash == bindparam("digest")),
    )
    .where(_elections.c.slug == bindparam("slug"))
)
_TOKEN_LOCKED = (
    select(_eligible.c.revoked, _spent.c.token_hash, _eligible.c.revoked_reason)
    .outerjoin(
        _spent,
        (_spent.c.election_id == _eligible.c.election_id)
        & (_spent.c.token_hash == _eligible.c.token_hash),
    )
    .where(
        _eligible.c.election_id == bindparam("election"),
        _eligible.c.token_hash == bindparam("digest"),
    )
    .with_for_update(of=_eligible)
)
# Into the tables, not the mapped classes: an ORM insert goes through its bulk machinery.
_INSERT_SPENT = insert(_spent)
_INSERT_BALLOT = insert(Ballot.__table__)
_INSERT_CHOICES = insert(BallotChoice.__table__)


def admit(
    session: Session, codec: BallotTokenCodec, token: str, now: datetime, *, lock: bool = False
) -> BallotPass:
    """Check that *token* may cast a ballot at *now*; raise a BallotRefused saying why not.

    With *lock* (the cast path) the token's eligible row stays locked to the end of the
    transaction, so a concurrent reissue of the same ballot waits or is refused.
    """
    try:
        slug, serial = codec.read(token)
    except BadToken:
        raise InvalidToken(N_("this link is not valid")) from None
    digest = token_hash(serial)
    if lock:
        # The cast path: lock the token's row and look for a spent twin in one statement. A
        # concurrent cast of the same token waits on the lock; if it then misses the twin
        # committed meanwhile, the spent token's primary key refuses it at insert.
        casting_lock.share_for_cast(session, slug)  # first: the close waits for this cast
        found = session.execute(_ELECTION_BY_SLUG, {"slug": slug}).first()
        election = ElectionRow(*found) if found else None
        row = None
        if election is not None and not election.is_draft:
            row = session.execute(
                _TOKEN_LOCKED, {"election": election.id, "digest": digest}
            ).first()
        spent = row is not None and row[1] is not None
    else:
        # Every page of the way: the election and both questions in one round trip.
        found = session.execute(_TOKEN_ON_PAGE, {"slug": slug, "digest": digest}).first()
        election = ElectionRow(*found[: len(_ROW)]) if found else None
        row = found if found is not None and found.revoked is not None else None
        spent = found is not None and found.token_hash is not None
    if election is None:
        raise InvalidToken(N_("this link is not valid"))
    if election.is_draft:
        raise NotOpenYet(N_("voting has not opened yet"), election.local_time(election.opens_at))
    if row is None:
        raise InvalidToken(N_("this link is not valid"))
    if row.revoked:
        if row.revoked_reason == "withdrawn":
            raise TokenRevoked(N_("this ballot was withdrawn"), reason="withdrawn")
        raise TokenRevoked(N_("this ballot was replaced by a new one"))
    if spent:
        raise TokenSpent(N_("this ballot has already been cast"))
    check_voting_window(election, now)
    return BallotPass(election=election, token_hash=digest)


def check_voting_window(election: AnyElection, now: datetime) -> None:
    """Refuse outside the voting window: the state, and the schedule even if nobody closed."""
    if election.is_over:
        raise VotingClosed(N_("voting has closed"))
    opens_at = as_utc(election.opens_at)
    if opens_at is not None and now < opens_at:
        raise NotOpenYet(N_("voting has not opened yet"), election.local_time(opens_at))
    closes_at = as_utc(election.closes_at)
    if closes_at is not None and now >= closes_at:
        raise VotingClosed(N_("voting has closed"), election.local_time(closes_at))


def parse_choices(categories: Sequence[CategoryView], submitted: dict[str, str]) -> dict:
    """Each award's answer by its method, from the form's text for it: None for "abstain",
    a finalist's slug (plurality), or finalists' slugs joined by commas: those approved,
    sorted (approval), or a ranking, best first (points, irv). Checked by verify.py's rules."""
    choices: dict[str, object] = {}
    for category in categories:
        value = submitted.get(category.slug)
        answer: object = value
        if value == ABSTAIN:
            answer = None
        elif category.method != "plurality":
            answer = value.split(",") if value else []
        if value is None or verify.choice_error(category.board, answer):
            raise InvalidChoice(N_("no valid choice for %(award)s"), award=category.slug)
        choices[category.slug] = answer
    return choices


def cast_ballot(
    session: Session,
    codec: BallotTokenCodec,
    signer: LogSigner,
    token: str,
    submitted: dict[str, str],
    now: datetime,
    attempt: str = "",
    policy: BatchPolicy = DEFAULT_POLICY,
    channel: str = "phone",
) -> str:
    """Spend the token and store the sealed ballot; return the voter's receipt code.

    The receipt comes from the ballot's board entry-to-be (token hash and seal), so it is
    the same before and after its batch is published. If this cast completes a batch, the
    batch is published in the same transaction. The caller commits; the receipt may be
    shown only after that commit succeeded.
    """
    ballot_pass = admit(session, codec, token, now, lock=True)
    election = ballot_pass.election
    categories = ballot_layout(session, election)
    choices = parse_choices(categories, submitted)
    nonce = secrets.token_hex(16)
    opening = verify.ballot_opening(choices, nonce)
    sealed = verify.seal_of(opening)
    key = trustee_key.public_key(election)
    encrypted = None
    if key is not None:  # only the ciphertext is kept: the answers wait for the jury's key
        awards = [c.slug for c in categories]
        encrypted = trustee_key.encrypt(key, awards, ballot_pass.token_hash, opening)
    entry = board_entry(ballot_pass.token_hash, sealed, channel, encrypted)
    receipt = verify.ballot_receipt(entry)
    ballot_id = secrets.token_bytes(16)  # random: no key that orders ballots by time
    # The spent token's primary key is the last guard: admit() locked the token's row (or,
    # on SQLite, the whole database), so a second cast of it normally never gets this far.
    nominee_ids = {(c.slug, n.slug): n.id for c in categories for n in c.nominees}
    # Plain inserts (no objects to track): this is the hottest write of the whole app.
    try:
        session.execute(
            _INSERT_SPENT,
            {
                "election_id": election.id,
                "token_hash": ballot_pass.token_hash,
                "receipt": receipt,
                "attempt": _attempt_hash(attempt) if attempt else None,
            },
        )
    except IntegrityError:
        raise TokenSpent(N_("this ballot has already been cast")) from None
    session.execute(
        _INSERT_BALLOT,
        {
            "election_id": election.id,
            "ballot_id": ballot_id,
            "token_hash": ballot_pass.token_hash,
            "sealed": sealed,
            "nonce": "" if encrypted else nonce,
            "receipt": receipt,
            "answers": "" if encrypted else verify.canonical_json(choices).decode("utf-8"),
            "channel": channel,
            "encrypted": encrypted,
        },
    )
    plurality = [
        {
            "election_id": election.id,
            "ballot_id": ballot_id,
            "category_id": c.id,
            "nominee_id": nominee_ids.get((c.slug, choices[c.slug] or "")),
        }
        for c in categories
        if c.method == "plurality" and encrypted is None
    ]
    if plurality:
        session.execute(_INSERT_CHOICES, plurality)
    batches.publish_if_due(session, election.id, signer, now, policy)
    return receipt


def _attempt_hash(attempt: str) -> str:
    return hashlib.sha256(attempt.encode("utf-8")).hexdigest()


def receipt_for_repeat(
    session: Session, codec: BallotTokenCodec, token: str, attempt: str
) -> str | None:
    """The receipt again, if this is the very cast form that already went through."""
    if not attempt:
        return None
    try:
        slug, serial = codec.read(token)
    except BadToken:
        return None
    election = session.execute(_ELECTION_BY_SLUG, {"slug": slug}).first()
    if election is None:
        return None
    spent = session.get(SpentToken, (election.id, token_hash(serial)))
    if spent is None or spent.attempt is None:
        return None
    return spent.receipt if hmac.compare_digest(spent.attempt, _attempt_hash(attempt)) else None
