"""The jury as trustee of the ballots, after the close: its shares rebuild the private key.

With a trustee each ballot's choices (and the nonce of its seal) are stored and logged only
encrypted to the jury's public key, so nobody who reads the database or the board can count
before the close. After it, K jurors bring their shares (or the organiser imports the key
they rebuilt on a laptop); the ballots are decrypted outside any write, then one write fills
in their answers and seals the tally as a close without a trustee does. The private key is
held with the tally and joins the board when the reveal ends, so anyone can recount.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voting import verify
from voting.errors import N_, StateError, VotingError
from voting.models import Ballot, BallotChoice, Election, JuryBallot
from voting.operations import activity, sealed
from voting.operations.layout import load_categories
from voting.operations.trustee_key import (
    TrusteeRefused,
    awaiting_shares,
    has_trustee,
    public_key,
)
from voting.trustee_models import BroughtShare


@dataclass(frozen=True)
class ShareCount:
    brought: int
    threshold: int
    shares: int

    @property
    def enough(self) -> bool:
        return self.brought >= self.threshold


def share_count(session: Session, election: Election) -> ShareCount | None:
    key = public_key(election)
    if key is None:
        return None
    brought = session.scalar(
        select(func.count())
        .select_from(BroughtShare)
        .where(BroughtShare.election_id == election.id)
    )
    return ShareCount(brought or 0, key.threshold, key.shares)


def read_share_file(text: str | bytes) -> verify.TrusteeShare:
    """A juror's share file as `verify.py trustee keygen` writes it."""
    try:
        return verify.TrusteeShare.from_json(json.loads(text))
    except (ValueError, UnicodeDecodeError):
        raise TrusteeRefused(
            N_("this is not a key share file (trustee-ELECTION-share-N.json)")
        ) from None


def bring_share(
    session: Session, actor: str, election: Election, share: verify.TrusteeShare, now: datetime
) -> ShareCount:
    """Keep one juror's checked share until enough are here to rebuild the key."""
    key = _key_awaiting_shares(session, election)
    if share.election != election.slug:
        raise TrusteeRefused(
            N_("this share belongs to the election %(other)s, not %(election)s"),
            other=share.election,
            election=election.slug,
        )
    try:
        verify.check_share(key, share)
    except verify.TrusteeError:
        raise TrusteeRefused(
            N_("this share was not made with the election's trustee key: it is refused")
        ) from None
    try:
        with session.begin_nested():
            session.add(
                BroughtShare(
                    election_id=election.id,
                    index=share.index,
                    share=json.dumps(share.to_json(), sort_keys=True),
                    brought_by=actor,
                    brought_at=now,
                )
            )
    except IntegrityError:
        raise TrusteeRefused(
            N_("share %(index)s was already brought: another juror's share is needed"),
            index=share.index,
        ) from None
    activity.record(session, election, actor, "trustee share brought", now, detail=str(share.index))
    count = share_count(session, election)
    assert count is not None
    return count


def _key_awaiting_shares(session: Session, election: Election) -> verify.TrusteeKey:
    key = public_key(election)
    if key is None:
        raise TrusteeRefused(N_("the election has no trustee key"))
    if election.is_open or election.is_draft:
        raise StateError(N_("the jury's shares open the ballots once voting has closed"))
    if not awaiting_shares(session, election):
        raise StateError(N_("the ballots are already open"))
    return key


def rebuilt_key(session: Session, election: Election) -> bytes | None:
    """The private key from the shares brought, once there are enough; None before."""
    key = _key_awaiting_shares(session, election)
    texts = session.scalars(
        select(BroughtShare.share).where(BroughtShare.election_id == election.id)
    ).all()
    if len(texts) < key.threshold:
        return None
    shares = [verify.TrusteeShare.from_json(json.loads(text)) for text in texts]
    return verify.combine_shares(key, shares)


def read_private_key(session: Session, election: Election, text: str | bytes) -> bytes:
    """The private key file `verify.py trustee decrypt` wrote, checked against the public key."""
    key = _key_awaiting_shares(session, election)
    try:
        return verify.read_trustee_private_key(
            text.decode("utf-8") if isinstance(text, bytes) else text, key
        )
    except (verify.TrusteeError, UnicodeDecodeError):
        raise TrusteeRefused(
            N_("this is not the private key of the election's trustee: it is refused")
        ) from None


@dataclass(frozen=True)
class OpenedBallots:
    """Every ballot's decrypted choices and nonce: what the write fills in."""

    key: verify.TrusteeKey
    private: bytes
    audience: list[tuple[bytes, dict, str]]  # ballot id, choices, nonce
    jury: list[tuple[str, str, dict, str]]  # juror, award, choices, nonce


@dataclass(frozen=True)
class SealedBallots:
    """Every ballot's ciphertext with what it is bound to and the seal it must open to."""

    key: verify.TrusteeKey
    audience: list[tuple[bytes, bytes, str, str]]  # ballot id, context, ciphertext, seal
    jury: list[tuple[str, str, bytes, str, str]]  # juror, award, context, ciphertext, seal


def sealed_ballots(session: Session, election: Election) -> SealedBallots:
    """Read every ballot's ciphertext (fast); decrypting them is decrypt_ballots, with
    nothing open."""
    key = _key_awaiting_shares(session, election)
    awards = [c.slug for c in load_categories(session, election)]
    audience = [
        (ballot_id, verify.ballot_context(key.election, token.hex(), awards), text or "", seal)
        for ballot_id, token, seal, text in session.execute(
            select(Ballot.ballot_id, Ballot.token_hash, Ballot.sealed, Ballot.encrypted).where(
                Ballot.election_id == election.id
            )
        )
    ]
    jury = [
        (juror, award, verify.jury_ballot_context(key.election, juror, award), text or "", seal)
        for juror, award, seal, text in session.execute(
            select(
                JuryBallot.juror, JuryBallot.award, JuryBallot.sealed, JuryBallot.encrypted
            ).where(JuryBallot.election_id == election.id)
        )
    ]
    return SealedBallots(key, audience, jury)


def decrypt_ballots(ballots: SealedBallots, private: bytes) -> OpenedBallots:
    """Decrypt every ballot (slow: run it with no transaction open) and check each against
    its seal, so that what is counted is what the board committed to."""
    audience = [
        (ballot_id, *_open(private, text, context, seal))
        for ballot_id, context, text, seal in ballots.audience
    ]
    jury = [
        (juror, award, *_open(private, text, context, seal))
        for juror, award, context, text, seal in ballots.jury
    ]
    return OpenedBallots(ballots.key, private, audience, jury)


def _open(private: bytes, ciphertext: str, context: bytes, seal: str) -> tuple[dict, str]:
    try:
        opened = json.loads(verify.decrypt_ballot(private, ciphertext, context))
        choices, nonce = opened["choices"], opened["nonce"]
    except (verify.TrusteeError, ValueError, KeyError, TypeError):
        raise VotingError(
            N_("a ballot's ciphertext does not open: the database is damaged")
        ) from None
    if verify.seal_choices(choices, nonce) != seal:
        raise VotingError(N_("a ballot does not open to its seal: the database is damaged"))
    return choices, nonce


def fill_in(
    session: Session, actor: str, election: Election, opened: OpenedBallots, now: datetime
) -> None:
    """Store the opened answers as a ballot without a trustee has them from its cast, hold
    the private key for the board, and forget the shares. The caller seals the tally."""
    session.refresh(election, with_for_update=True)
    _key_awaiting_shares(session, election)  # a second opening, racing this one, stops here
    categories = load_categories(session, election)
    nominee_ids = {(c.slug, n.slug): n.id for c in categories for n in c.nominees}
    plurality = [c for c in categories if c.method == "plurality"]
    if opened.audience:  # ORM bulk UPDATE by primary key: one statement, many rows
        session.execute(
            update(Ballot),
            [
                {
                    "election_id": election.id,
                    "ballot_id": ballot_id,
                    "answers": _answers(c),
                    "nonce": n,
                }
                for ballot_id, c, n in opened.audience
            ],
        )
    rows = [
        {
            "election_id": election.id,
            "ballot_id": ballot_id,
            "category_id": c.id,
            "nominee_id": nominee_ids.get((c.slug, choices[c.slug] or "")),
        }
        for ballot_id, choices, _nonce in opened.audience
        for c in plurality
    ]
    if rows:
        session.execute(insert(BallotChoice), rows)
    if opened.jury:
        session.execute(
            update(JuryBallot),
            [
                {
                    "election_id": election.id,
                    "juror": juror,
                    "award": award,
                    "answers": _answers(choices),
                    "nonce": nonce,
                }
                for juror, award, choices, nonce in opened.jury
            ],
        )
    session.execute(delete(BroughtShare).where(BroughtShare.election_id == election.id))
    sealed.hold(
        session,
        election,
        "trustee.released",
        verify.trustee_private_key_json(opened.key, opened.private),
    )
    activity.record(
        session,
        election,
        actor,
        "ballots decrypted",
        now,
        detail=f"{len(opened.audience)} ballots, {len(opened.jury)} jury ballots",
    )


def _answers(choices: dict) -> str:
    return verify.canonical_json(choices).decode("utf-8")


@dataclass(frozen=True)
class TrusteeStatus:
    """What the console and the jury pages say of the trustee: its key (None until it is
    uploaded), and after the close whether the shares are awaited and how many are here."""

    key: verify.TrusteeKey | None
    awaiting: bool
    brought: int


def status(session: Session, election: Election) -> TrusteeStatus | None:
    """None for an election without a trustee."""
    if not has_trustee(election) and election.trustee_key is None:
        return None
    count = share_count(session, election)
    return TrusteeStatus(
        public_key(election), awaiting_shares(session, election), count.brought if count else 0
    )
