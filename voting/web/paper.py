"""Paper ballots at the desk: two staff members enter each one, and it counts when they agree.

The form is the phone's ballot with the card's code above it. Nobody sees another person's
entry; a mismatch names the awards that differ, and nothing is recorded until both agree.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from voting import services
from voting.db import get_session, writing
from voting.errors import VotingError
from voting.models import Election
from voting.operations.layout import ballot_layout
from voting.operations.paper import enter_paper_ballot, pending_entries, record_refusal
from voting.web.auth import roles_required
from voting.web.common import actor, election_from_request
from voting.web.forms import ballot_form, category_groups
from voting.web.texts import error_text

bp = Blueprint("paper", __name__, url_prefix="/desk/paper")
STAFF = ("desk", "organiser")


@bp.get("")
@roles_required(*STAFF)
def page():
    return _page(election_from_request(), None)


def _page(election: Election, form: FlaskForm | None, code: str = "", status: int = 200):
    session = get_session()
    categories = ballot_layout(session, election)
    form = form or ballot_form(categories)
    titles = {c.slug: c.title for c in categories}
    return (
        render_template(
            "desk/paper.html",
            election=election,
            form=form,
            groups=category_groups(form, categories),
            code=code,
            pending=pending_entries(session, election, actor()),
            titles=titles,
        ),
        status,
    )


@bp.post("/entries")
@roles_required(*STAFF)
def enter():
    election = election_from_request()
    session = get_session()
    categories = ballot_layout(session, election)
    code = request.form.get("code", "").strip()[:300]  # a typed code, or a scanned link
    form = ballot_form(categories)  # read from the posted form
    if not form.validate() or not code:
        if not code:
            flash(_("Type the code printed on the paper ballot."), "error")
        return _page(election, form, code, 422)
    titles = {c.slug: c.title for c in categories}
    try:
        with writing(session):
            entry = enter_paper_ballot(
                session,
                actor(),
                services.codec(),
                services.signer(),
                code,
                form.choices(categories),
                services.now(),
                services.batch_policy(),
            )
    except VotingError as error:
        with writing(session):
            record_refusal(session, actor(), election, str(error), services.now())
        flash(_("Paper ballot not entered: %(reason)s.", reason=error_text(error)), "error")
        return _page(election, form, code, 409)
    hint = entry.hint
    if entry.status == "recorded":
        flash(_("Both entries agree: the paper ballot …%(hint)s is recorded.", hint=hint))
    elif entry.status == "waiting":
        flash(
            _(
                "Entry saved. Now a second person enters the paper ballot …%(hint)s, without "
                "looking at this entry; it is recorded when both agree.",
                hint=hint,
            )
        )
    else:
        awards = ", ".join(titles.get(slug, slug) for slug in entry.differs)
        flash(
            _(
                "The entries of the paper ballot …%(hint)s differ in: %(awards)s. Nothing is "
                "recorded: look at the paper together, then enter it again.",
                hint=hint,
                awards=awards,
            ),
            "error",
        )
    return redirect(url_for(".page", election=election.slug), 303)
