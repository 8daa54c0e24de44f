"""Paper ballots, entered twice by two staff members and counted once with everything else.

The first person types the card's code and the marks; a second person, who cannot see the
first entry, does the same. Only when both entries agree is the ballot cast, through the
very path a phone takes (operations/ballots.cast_ballot), so a token is spent once whatever
the channel and the same race guarantees hold. Until then each entry is a draft; when they
differ, both people are told in which awards, never what the other typed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from voting import verify
from voting.domain.lifecycle import ElectionRow
from voting.domain.tokens import BallotTokenCodec, serial_code
from voting.models import Election, PaperDraft, SpentToken
from voting.operations import activity
from voting.operations.audit import LogSigner
from voting.operations.ballots import admit, cast_ballot, parse_choices
from voting.operations.batches import DEFAULT_POLICY, BatchPolicy
from voting.operations.layout import ballot_layout
from voting.operations.tokens import token_for_code


@dataclass(frozen=True)
class PaperEntry:
    """What one entry of a paper ballot came to."""

    status: str  # "waiting" for a second person, "mismatch" with theirs, or "recorded"
    hint: str  # the printed code's last characters, to tell the papers apart
    differs: list[str] = field(default_factory=list)  # award slugs, on a mismatch
    receipt: str | None = None  # once recorded


def enter_paper_ballot(
    session: Session,
    staff: str,
    codec: BallotTokenCodec,
    signer: LogSigner,
    code: str,
    submitted: dict[str, str],
    now: datetime,
    policy: BatchPolicy = DEFAULT_POLICY,
) -> PaperEntry:
    """Record *staff*'s entry of the paper ballot with this *code*; cast it if a second
    person's entry agrees. Refused like a phone's cast: a code not valid, used, withdrawn."""
    token = _token_of(session, codec, code)
    # The token's row stays locked to the end: the two entries, and a phone casting the same
    # token, take their turns.
    ballot_pass = admit(session, codec, token, now, lock=True)
    election = ballot_pass.election
    categories = ballot_layout(session, election)
    answers = parse_choices(categories, submitted)
    mine = verify.canonical_json(answers).decode("utf-8")
    digest = ballot_pass.token_hash
    hint = serial_code(codec.read(token)[1])[-4:]  # enough to find the paper, not to vote
    others = _drafts(session, election, digest, exclude=staff)
    session.execute(
        delete(PaperDraft).where(
            PaperDraft.election_id == election.id,
            PaperDraft.token_hash == digest,
            PaperDraft.staff == staff,
        )
    )
    if others and all(other.answers == mine for other in others):
        session.execute(
            delete(PaperDraft).where(
                PaperDraft.election_id == election.id, PaperDraft.token_hash == digest
            )
        )
        receipt = cast_ballot(
            session, codec, signer, token, submitted, now, policy=policy, channel="paper"
        )
        entered = ", ".join(sorted({o.staff for o in others} | {staff}))
        activity.record(session, election, staff, "paper ballot recorded", now, detail=entered)
        return PaperEntry("recorded", hint, receipt=receipt)
    session.add(
        PaperDraft(election_id=election.id, token_hash=digest, staff=staff, hint=hint, answers=mine)
    )
    session.flush()
    if not others:
        activity.record(session, election, staff, "paper ballot entered", now)
        return PaperEntry("waiting", hint)
    differs = _differences(answers, others)
    activity.record(
        session, election, staff, "paper ballot entries differ", now, detail=", ".join(differs)
    )
    return PaperEntry("mismatch", hint, differs=differs)


def _token_of(session: Session, codec: BallotTokenCodec, code: str) -> str:
    """The ballot token behind what was typed or scanned: the printed code, or the QR code's
    link, which a barcode scanner types in as it reads it."""
    if "/v/" in code:
        return code.rsplit("/v/", 1)[1].strip()
    return token_for_code(session, codec, code)


def _drafts(
    session: Session, election: ElectionRow, digest: bytes, exclude: str
) -> Sequence[PaperDraft]:
    return session.scalars(
        select(PaperDraft).where(
            PaperDraft.election_id == election.id,
            PaperDraft.token_hash == digest,
            PaperDraft.staff != exclude,
        )
    ).all()


def _differences(answers: dict, others: Sequence[PaperDraft]) -> list[str]:
    theirs = [json.loads(other.answers) for other in others]
    return [award for award in answers if any(t.get(award) != answers[award] for t in theirs)]


@dataclass(frozen=True)
class PendingPaper:
    """A paper ballot entered by *staff* and not recorded yet, as that person may see it."""

    hint: str  # the code's last characters
    others: int  # how many other people entered it
    differs: list[str]  # the awards where their entries differ from this person's
    cast: bool = False  # its token was used meanwhile (on a phone): nothing more to enter


def record_refusal(
    session: Session, staff: str, election: Election, reason: str, now: datetime
) -> None:
    """A paper ballot refused (its code not valid, already used, withdrawn): on the record,
    since the refusal says whether a ballot was used, as the desk's look-ups are."""
    activity.record(session, election, staff, "paper ballot refused", now, detail=reason)


def discard_drafts(session: Session, election: Election) -> None:
    """At close: entries never agreed on (or overtaken by a phone) are no one's ballot."""
    session.execute(delete(PaperDraft).where(PaperDraft.election_id == election.id))


def pending_entries(session: Session, election: Election, staff: str) -> list[PendingPaper]:
    """This person's paper ballots still waiting: for a second entry, or after a mismatch."""
    drafts = session.scalars(select(PaperDraft).where(PaperDraft.election_id == election.id)).all()
    spent = set(
        session.scalars(
            select(SpentToken.token_hash).where(
                SpentToken.election_id == election.id,
                SpentToken.token_hash.in_({d.token_hash for d in drafts}),
            )
        )
    )
    by_token: dict[bytes, list[PaperDraft]] = {}
    for draft in drafts:
        by_token.setdefault(draft.token_hash, []).append(draft)
    pending = []
    for entries in by_token.values():
        own = next((d for d in entries if d.staff == staff), None)
        if own is None:
            continue
        others = [d for d in entries if d.staff != staff]
        differs = _differences(json.loads(own.answers), others) if others else []
        pending.append(PendingPaper(own.hint, len(others), differs, own.token_hash in spent))
    return pending
