"""The help desk: find an attendee, reprint their card, resend their link, replace a lost
ballot. The desk sees whether a ballot was used, never how, and only by a look-up that the
activity log records."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from voting import services, workflows
from voting.cards import LAYOUTS
from voting.db import get_session, writing
from voting.errors import N_, KeyMissing, StateError, VotingError
from voting.mail.sending import resend_link
from voting.models import Attendee, Election
from voting.operations.attendees import find_attendees
from voting.operations.personal_ballots import (
    look_up_status,
    record_refusal,
    reissue,
    revoke_personal,
)
from voting.web.auth import roles_required
from voting.web.common import actor, attendee_or_404, election_from_request, pdf_response
from voting.web.texts import error_text

bp = Blueprint("desk", __name__, url_prefix="/desk")
STAFF = ("desk", "organiser")
MAX_RESULTS = 50


def _delivery_key(election: Election) -> bytes | None:
    try:
        return services.keys().delivery_key(election.slug)
    except KeyMissing:
        return None


def _ballot_label(status: str) -> str:
    return {
        "used": _("used: this attendee has voted"),
        "unused": _("not used yet"),
        "card": _("replaced by an anonymous card"),
        "replaced": _("replaced by an anonymous card"),
        "withdrawn": _("none: the attendee is withdrawn"),
        "unknown": _("unknown (voting is over)"),
    }[status]


def _to_attendee(person: Attendee):
    return redirect(url_for(".attendee", attendee_id=person.id), 303)


def _refused(election: Election, person: Attendee, action: str, exc: VotingError) -> str:
    """Record a refused action (its reason may say the ballot was used); the reason shown."""
    reason = error_text(exc)
    session = get_session()
    with writing(session):
        record_refusal(session, actor(), election, person, action, str(exc), services.now())
    return reason


@bp.get("")
@roles_required(*STAFF)
def search():
    election = election_from_request()
    query = request.args.get("q", "").strip()[:100]
    results: list[Attendee] = []
    if query:
        results = find_attendees(get_session(), election, query, limit=MAX_RESULTS).attendees
    return render_template(
        "desk/search.html", election=election, query=query, results=results, limit=MAX_RESULTS
    )


@bp.get("/attendees/<int(max=2147483647):attendee_id>")
@roles_required(*STAFF)
def attendee(attendee_id: int):
    """The attendee's details; whether their ballot was used only after a look-up."""
    election, person = attendee_or_404(attendee_id)
    return _attendee_page(election, person, None)


@bp.post("/attendees/<int(max=2147483647):attendee_id>/status")
@roles_required(*STAFF)
def status(attendee_id: int):
    """Look the ballot up (used or not), recorded in the activity log, and offer what fits."""
    election, person = attendee_or_404(attendee_id)
    session = get_session()
    with writing(session):
        found = look_up_status(
            session, actor(), election, person, _delivery_key(election), services.now()
        )
    return _attendee_page(election, person, found)


def _attendee_page(election: Election, person: Attendee, status: str | None):
    return render_template(
        "desk/attendee.html",
        election=election,
        attendee=person,
        ballot=status,
        ballot_label=_ballot_label(status) if status else None,
        layouts=sorted(LAYOUTS),
        can_change=not election.is_over and _delivery_key(election) is not None,
        organiser=current_user.role == "organiser",
    )


@bp.post("/attendees/<int(max=2147483647):attendee_id>/card")
@roles_required(*STAFF)
def card(attendee_id: int):
    election, person = attendee_or_404(attendee_id)
    layout = request.form.get("layout", "badge")
    try:
        printed = workflows.reprint_card(get_session(), actor(), election, person, layout=layout)
    except VotingError as exc:
        abort(400, description=_refused(election, person, "print card", exc))
    return pdf_response(printed.pdf, f"ballot-card-{person.id}.pdf")


@bp.post("/attendees/<int(max=2147483647):attendee_id>/send")
@roles_required(*STAFF)
def send(attendee_id: int):
    election, person = attendee_or_404(attendee_id)
    if _delivery_key(election) is None:
        abort(400, description=_("Voting is over: links can no longer be sent."))
    try:
        resend_link(get_session(), actor(), person)
    except VotingError as exc:
        flash(_refused(election, person, "send link", exc), "error")
        return _to_attendee(person)
    flash(_("The ballot link is on its way to %(email)s.", email=person.email))
    return _to_attendee(person)


@bp.post("/attendees/<int(max=2147483647):attendee_id>/reissue")
@roles_required(*STAFF)
def replace(attendee_id: int):
    election, person = attendee_or_404(attendee_id)
    key = _delivery_key(election)
    if request.form.get("confirm") != "yes" or key is None:
        flash(_("Tick the box to confirm that the old ballot should stop working."), "error")
        return _to_attendee(person)
    session = get_session()
    try:
        with writing(session):
            reissue(session, actor(), election, person, key, services.now())
    except VotingError as exc:
        flash(_refused(election, person, "replace ballot", exc), "error")
        return _to_attendee(person)
    flash(
        _(
            "A new ballot was issued; the old link and card no longer work. "
            "Print the card or send the link now."
        )
    )
    return _to_attendee(person)


@bp.post("/attendees/<int(max=2147483647):attendee_id>/anonymous-card")
@roles_required(*STAFF)
def handed_card(attendee_id: int):
    """An anonymous card was handed over: stop the personal ballot, record who got a card.

    Which card is never recorded, so nothing links the attendee to the card's ballot.
    """
    election, person = attendee_or_404(attendee_id)
    key = _delivery_key(election)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that the personal ballot should stop working."), "error")
        return _to_attendee(person)
    session = get_session()
    try:
        if key is None:
            raise StateError(N_("Voting is over."))
        with writing(session):
            revoke_personal(session, actor(), election, person, key, services.now())
    except VotingError as exc:
        flash(_refused(election, person, "anonymous card", exc), "error")
        return _to_attendee(person)
    flash(_("Recorded: an anonymous card was handed to %(name)s.", name=person.name))
    return _to_attendee(person)
