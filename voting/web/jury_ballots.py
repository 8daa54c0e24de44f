"""The jury's one write: a juror's ballot in each award with a jury share.

The same no-script ballot as an attendee's, one award at a time: fill in, check, cast. The
juror is the signed-in jury account; the board names them with their ballot.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from voting import services
from voting.db import get_session, writing
from voting.errors import VotingError
from voting.models import Election
from voting.operations.jury_ballots import (
    cast_jury_ballot,
    jury_awards,
    seated_jurors,
    voted_awards,
)
from voting.operations.layout import CategoryView
from voting.web.auth import roles_required
from voting.web.common import election_from_request
from voting.web.forms import BallotForm, ballot_form, category_groups
from voting.web.texts import error_text

bp = Blueprint("jury_ballots", __name__, url_prefix="/jury/ballots")


@bp.get("")
@roles_required("jury")
def ballots() -> str:
    election = election_from_request()
    return _ballots_page(election, {})


def _ballots_page(election: Election, forms: dict[str, BallotForm], status: int = 200):
    session = get_session()
    awards = jury_awards(session, election)
    voted = voted_awards(session, election, current_user.name)
    open_ones = [c for c in awards if c.slug not in voted]
    groups = {}
    for category in open_ones:
        form = forms.get(category.slug) or ballot_form((category,))
        groups[category.slug] = (form, category_groups(form, (category,))[0])
    seated = current_user.name in seated_jurors(session, election)
    page = render_template(
        "jury/ballots.html",
        election=election,
        awards=awards,
        voted=voted,
        groups=groups,
        seated=seated,
    )
    return page, status


def _award(election: Election, slug: str) -> CategoryView | None:
    return next((c for c in jury_awards(get_session(), election) if c.slug == slug), None)


@bp.post("/<award>")
@roles_required("jury")
def review(award: str):
    """The juror's answer to one award, shown back before it is cast."""
    election = election_from_request()
    category = _award(election, award)
    if category is None:
        return _ballots_page(election, {}, 404)
    form = ballot_form((category,))  # read from the posted form
    if not form.validate():
        return _ballots_page(election, {award: form}, 422)
    group = category_groups(form, (category,))[0]
    return render_template("jury/review.html", election=election, group=group, form=form)


@bp.post("/<award>/cast")
@roles_required("jury")
def cast(award: str) -> Response:
    election = election_from_request()
    answer = request.form.get("answer", "")[:2000]
    db = get_session()
    try:
        with writing(db):
            cast_jury_ballot(db, current_user.name, election, award, answer, services.now())
    except VotingError as error:
        flash(error_text(error), "error")
    else:
        flash(_("Your jury ballot is cast: on the board under your name, sealed until the reveal."))
    return redirect(url_for(".ballots", election=election.slug), 303)
