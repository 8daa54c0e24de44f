"""The help desk: find an attendee, reprint their card, resend their link, replace a lost
ballot. The desk sees whether a ballot was used, never how."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import or_, select

from voting import context
from voting.cards import LAYOUTS, render_cards
from voting.db import get_session
from voting.errors import VotingError
from voting.instance import KeyMissing
from voting.models import Attendee, Election
from voting.operations import activity
from voting.operations.tokens import ballot_status, personal_cards, reissue, revoke_personal
from voting.sending import entry_address, send_link_now
from voting.web.auth import roles_required
from voting.web.common import actor, election_from_request
from voting.web.texts import card_howto, error_text

bp = Blueprint("desk", __name__, url_prefix="/desk")
STAFF = ("desk", "organiser")
MAX_RESULTS = 50


def _attendee(attendee_id: int) -> tuple[Election, Attendee]:
    attendee = get_session().get(Attendee, attendee_id)
    if attendee is None:
        abort(404, description=_("No such attendee."))
    return get_session().get_one(Election, attendee.election_id), attendee


def _delivery_key(election: Election) -> bytes | None:
    try:
        return context.keys().delivery_key(election.slug)
    except KeyMissing:
        return None


def _ballot_label(status: str) -> str:
    return {
        "used": _("used: this attendee has voted"),
        "unused": _("not used yet"),
        "replaced": _("replaced by an anonymous card"),
        "unknown": _("unknown (voting is over)"),
    }[status]


@bp.get("")
@roles_required(*STAFF)
def search():
    election = election_from_request()
    query = request.args.get("q", "").strip()[:100]
    results: list[Attendee] = []
    if query:
        pattern = f"%{query.lower()}%"
        results = list(
            get_session()
            .execute(
                select(Attendee)
                .where(
                    Attendee.election_id == election.id,
                    or_(
                        Attendee.name.ilike(pattern),
                        Attendee.email.ilike(pattern),
                        Attendee.organisation.ilike(pattern),
                        Attendee.ref.ilike(pattern),
                    ),
                )
                .order_by(Attendee.name)
                .limit(MAX_RESULTS)
            )
            .scalars()
        )
    return render_template(
        "desk/search.html", election=election, query=query, results=results, limit=MAX_RESULTS
    )


@bp.get("/attendees/<int(max=2147483647):attendee_id>")
@roles_required(*STAFF)
def attendee(attendee_id: int):
    election, person = _attendee(attendee_id)
    key = _delivery_key(election)
    return render_template(
        "desk/attendee.html",
        election=election,
        attendee=person,
        ballot=(status := ballot_status(get_session(), election, person, key)),
        ballot_label=_ballot_label(status),
        layouts=sorted(LAYOUTS),
        can_change=election.state in ("draft", "open") and key is not None,
    )


@bp.post("/attendees/<int(max=2147483647):attendee_id>/card")
@roles_required(*STAFF)
def card(attendee_id: int):
    election, person = _attendee(attendee_id)
    layout = request.form.get("layout", "badge")
    key = _delivery_key(election)
    if layout not in LAYOUTS or key is None:
        abort(
            400, description=_("This card cannot be printed (voting is over, or no such layout).")
        )
    session = get_session()
    cards = personal_cards(
        session, election, context.codec(), key, context.public_url(), [person.id]
    )
    pdf = render_cards(
        cards, title=election.title, entry_url=entry_address(), howto=card_howto, layout=layout
    )
    activity.record(session, election, actor(), "card printed", context.now(), attendee=person)
    session.commit()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="ballot-card-{person.id}.pdf"'},
    )


@bp.post("/attendees/<int(max=2147483647):attendee_id>/send")
@roles_required(*STAFF)
def send(attendee_id: int):
    election, person = _attendee(attendee_id)
    if _delivery_key(election) is None:
        abort(400, description=_("Voting is over: links can no longer be sent."))
    session = get_session()
    failure = send_link_now(session, current_app, election, person, actor=actor())
    session.commit()
    if failure:
        flash(_("The email could not be sent: %(reason)s", reason=failure), "error")
    else:
        flash(_("The ballot link was sent to %(email)s.", email=person.email))
    return redirect(url_for(".attendee", attendee_id=person.id), 303)


@bp.post("/attendees/<int(max=2147483647):attendee_id>/reissue")
@roles_required(*STAFF)
def replace(attendee_id: int):
    election, person = _attendee(attendee_id)
    key = _delivery_key(election)
    if request.form.get("confirm") != "yes" or key is None:
        flash(_("Tick the box to confirm that the old ballot should stop working."), "error")
        return redirect(url_for(".attendee", attendee_id=person.id), 303)
    session = get_session()
    try:
        reissue(session, election, person, key)
    except VotingError as exc:
        session.rollback()
        flash(error_text(exc), "error")
        return redirect(url_for(".attendee", attendee_id=person.id), 303)
    activity.record(session, election, actor(), "ballot replaced", context.now(), attendee=person)
    session.commit()
    flash(
        _(
            "A new ballot was issued; the old link and card no longer work. "
            "Print the card or send the link now."
        )
    )
    return redirect(url_for(".attendee", attendee_id=person.id), 303)


@bp.post("/attendees/<int(max=2147483647):attendee_id>/anonymous-card")
@roles_required(*STAFF)
def handed_card(attendee_id: int):
    """An anonymous card was handed over: stop the personal ballot, record who got a card.

    Which card is never recorded, so nothing links the attendee to the card's ballot.
    """
    election, person = _attendee(attendee_id)
    key = _delivery_key(election)
    session = get_session()
    try:
        if key is None:
            raise VotingError(_("Voting is over."))
        revoke_personal(session, election, person, key)
    except VotingError as exc:
        session.rollback()
        flash(error_text(exc), "error")
        return redirect(url_for(".attendee", attendee_id=person.id), 303)
    activity.record(
        session, election, actor(), "anonymous card handed over", context.now(), attendee=person
    )
    session.commit()
    flash(_("Recorded: an anonymous card was handed to %(name)s.", name=person.name))
    return redirect(url_for(".attendee", attendee_id=person.id), 303)
