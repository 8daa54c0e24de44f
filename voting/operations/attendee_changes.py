"""One attendee changes: their details corrected, or their registration withdrawn.

A withdrawn attendee keeps their row (the activity log and a later import refer to it) but
gets no ballot, no email and no place in the turnout. While voting is open their unused
personal ballot is revoked: the board shows a revoked token hash, never a name; a ballot
already cast stays counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from voting.domain.roster import check_email
from voting.domain.text import search_key
from voting.errors import N_, NotFound, StateError, VotingError
from voting.models import Attendee, Election, SpentToken
from voting.operations import activity, audit
from voting.operations.personal_ballots import WITHDRAWN, revoke_personal_tokens
from voting.operations.tokens import personal_token_hashes

MAX_TEXT = 200
EDITABLE = ("name", "email", "organisation", "language")


def find_attendee(session: Session, election: Election, key: str) -> Attendee:
    """The attendee with this registration reference, or else this email (`voting attendees
    edit REF|EMAIL`); refused when the email is shared."""
    key = key.strip()
    found = list(
        session.execute(
            select(Attendee).where(
                Attendee.election_id == election.id,
                or_(Attendee.ref == key, Attendee.email == key.lower()),
            )
        ).scalars()
    )
    by_ref = [a for a in found if a.ref == key]
    if len(by_ref) == 1:
        return by_ref[0]
    if not found:
        raise NotFound(N_("no attendee has the reference or email %(key)s"), key=repr(key[:80]))
    if len(found) > 1:
        raise VotingError(
            N_("%(count)d attendees have the email %(key)s; name one by their reference"),
            count=len(found),
            key=key[:80],
        )
    return found[0]


def _clean(values: dict[str, str], attendee: Attendee) -> dict[str, str]:
    """The edited details, checked like an imported row."""
    cleaned = {name: " ".join(str(values.get(name, getattr(attendee, name))).split())
               for name in EDITABLE}  # fmt: skip
    if not cleaned["name"]:
        raise VotingError(N_("the name cannot be empty"))
    for name in ("name", "organisation"):
        if len(cleaned[name]) > MAX_TEXT:
            raise VotingError(N_("%(field)s is longer than 200 characters"), field=name)
    if cleaned["email"]:
        try:
            cleaned["email"] = check_email(cleaned["email"])
        except ValueError as exc:
            raise VotingError(
                N_("%(email)s is not a valid email address: %(reason)s"),
                email=repr(cleaned["email"][:80]),
                reason=str(exc),
            ) from None
    elif not attendee.ref:
        raise VotingError(N_("an attendee without a registration reference needs an email"))
    language = cleaned["language"].lower()
    if language and not (len(language) == 2 and language.isalpha()):
        raise VotingError(N_("the language is a two-letter code such as en, de or fr"))
    cleaned["language"] = language
    return cleaned


def edit_attendee(
    session: Session,
    actor: str,
    election: Election,
    attendee: Attendee,
    values: dict[str, str],
    now: datetime,
) -> list[str]:
    """Correct an attendee's name, email, organisation or language; the fields changed.

    Their ballot stays the same (it derives from the attendee, not the details); a new email
    address is sent the link by the next run of the sender.
    """
    if election.is_over:
        raise StateError(N_("voting is over: the attendee list is final"))
    cleaned = _clean(values, attendee)
    changed = [name for name in EDITABLE if cleaned[name] != getattr(attendee, name)]
    if not changed:
        return []
    for name in changed:
        setattr(attendee, name, cleaned[name])
    attendee.search_key = search_key(
        attendee.name, attendee.email, attendee.organisation, attendee.ref
    )
    if "email" in changed:
        attendee.delivery_status, attendee.delivery_detail = "pending", ""
    session.flush()
    activity.record(
        session,
        election,
        actor,
        "attendee edited",
        now,
        attendee=attendee,
        detail=", ".join(changed),
    )
    return changed


def withdraw_attendee(
    session: Session,
    actor: str,
    election: Election,
    attendee: Attendee,
    delivery_key: bytes | None,
    now: datetime,
) -> str:
    """Withdraw an attendee (a cancelled registration): "revoked" when their unused ballot
    was revoked, "cast" when it had already been cast (and stays counted), "none" when
    there was no ballot to revoke (voting not open yet, or an anonymous card was given)."""
    if election.is_over:
        raise StateError(N_("voting is over: the attendee list is final"))
    if attendee.is_withdrawn:
        raise StateError(N_("%(name)s is already withdrawn"), name=attendee.name)
    attendee.withdrawn_at = now
    session.flush()
    outcome = "none"
    if election.is_open:
        if delivery_key is None:
            raise StateError(N_("the delivery key is gone: ballots can no longer be revoked"))
        entries: list[tuple[str, dict]] = []
        if revoke_personal_tokens(
            session, election, lambda: delivery_key, [attendee.id], WITHDRAWN, entries
        ):
            audit.append_entries(session, election, entries)
            outcome = "revoked"
        elif _cast(session, election, attendee, delivery_key):
            outcome = "cast"
    activity.record(
        session, election, actor, "attendee withdrawn", now, attendee=attendee, detail=outcome
    )
    return outcome


def _cast(session: Session, election: Election, attendee: Attendee, delivery_key: bytes) -> bool:
    (digest,) = personal_token_hashes(
        election.slug, delivery_key, [(attendee.id, attendee.reissue)]
    )
    return session.get(SpentToken, (election.id, digest)) is not None
