"""The jury's trustee key, before and during voting: uploaded in draft, logged at opening,
and what every cast encrypts its choices to (so only the ciphertext is stored and logged).

After the close, K jurors' shares rebuild the private key: voting/operations/trustee_shares.py.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voting import verify
from voting.errors import N_, StateError, VotingError
from voting.models import AnyElection, AuditEntry, Election
from voting.operations import activity


class TrusteeRefused(VotingError):
    """A trustee key, share or private key that this election cannot use."""


def has_trustee(election: Election) -> bool:
    """The election's file says ``trustee = true``."""
    return bool(json.loads(election.definition).get("trustee"))


@functools.lru_cache(maxsize=64)
def _parsed_key(text: str) -> verify.TrusteeKey:
    return verify.TrusteeKey.from_json(json.loads(text))


def public_key(election: AnyElection) -> verify.TrusteeKey | None:
    """The trustee's public key, once uploaded (parsed once per process: it never changes)."""
    return _parsed_key(election.trustee_key) if election.trustee_key else None


def read_key_file(text: str | bytes) -> verify.TrusteeKey:
    """A trustee public key file as `verify.py trustee keygen` writes it."""
    try:
        return verify.TrusteeKey.from_json(json.loads(text))
    except (ValueError, UnicodeDecodeError):
        raise TrusteeRefused(
            N_("this is not a trustee public key file (trustee-ELECTION.json)")
        ) from None


def set_public_key(
    session: Session, actor: str, election: Election, key: verify.TrusteeKey, now: datetime
) -> None:
    """Store the jury's public key, before opening; it is logged when voting opens."""
    if not election.is_draft:
        raise StateError(N_("the trustee key is set up before voting opens"))
    if not has_trustee(election):
        raise TrusteeRefused(
            N_("the election has no trustee: add trustee = true to its [election] table first")
        )
    if key.election != election.slug:
        raise TrusteeRefused(
            N_("this key was made for the election %(other)s, not %(election)s"),
            other=key.election,
            election=election.slug,
        )
    if election.trustee_key:
        raise TrusteeRefused(
            N_("the election already has a trustee key (%(key)s): it is uploaded once"),
            key=_parsed_key(election.trustee_key).id,
        )
    election.trustee_key = json.dumps(key.to_json(), sort_keys=True)
    session.flush()
    activity.record(session, election, actor, "trustee key uploaded", now, detail=key.id)


def seat_trustee(election: Election) -> list[tuple[str, dict]]:
    """The ``trustee.key`` entry that opening logs before the tokens; refused without a key.
    A key left from before ``trustee`` was taken out of the file is dropped: nothing is
    encrypted to a key the board does not name."""
    if not has_trustee(election):
        election.trustee_key = None
        return []
    key = public_key(election)
    if key is None:
        raise StateError(
            N_(
                "the election has a trustee: upload the jury's public key first "
                "(`voting trustee key trustee-%(election)s.json`)"
            ),
            election=election.slug,
        )
    return [("trustee.key", key.to_json())]


def encrypt(
    key: verify.TrusteeKey, awards: Sequence[str], token_hash: bytes, opening: bytes
) -> str:
    """An audience ballot's opening (verify.ballot_opening: its choices and the nonce of its
    seal), encrypted to the trustee key at cast."""
    context = verify.ballot_context(key.election, token_hash.hex(), awards)
    return verify.encrypt_ballot(key.public_key, opening, context)


def encrypt_jury(key: verify.TrusteeKey, juror: str, award: str, opening: bytes) -> str:
    context = verify.jury_ballot_context(key.election, juror, award)
    return verify.encrypt_ballot(key.public_key, opening, context)


def awaiting_shares(session: Session, election: Election) -> bool:
    """Voting is closed but the ballots are still encrypted: the jury's shares are awaited."""
    return (
        election.is_closed
        and election.trustee_key is not None
        and not session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.election_id == election.id, AuditEntry.kind == "tally.sealed")
        )
    )
