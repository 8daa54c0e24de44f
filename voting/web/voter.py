"""The voter's way: link -> ballot -> review -> cast -> receipt. No JavaScript anywhere.

The token lives in the (signed) session cookie after the first request, so it leaves the
address bar at once and never reaches history or a Referer header.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Sequence

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask import session as browser
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from voting import services
from voting.db import get_session, writing
from voting.errors import (
    BallotRefused,
    InvalidToken,
    NotOpenYet,
    TokenRevoked,
    TokenSpent,
    VotingClosed,
)
from voting.operations.ballots import (
    BallotPass,
    InvalidChoice,
    admit,
    cast_ballot,
    parse_choices,
    receipt_for_repeat,
)
from voting.operations.layout import CategoryView, ballot_layout
from voting.operations.tokens import token_for_code
from voting.web import ballot_parts
from voting.web.auth import public
from voting.web.common import election_or_404
from voting.web.errors import message_page
from voting.web.forms import FIELD_PREFIX, BallotForm, ballot_form, category_groups
from voting.web.language import switched_language
from voting.web.limits import limit_codes, limit_links
from voting.web.security import never_stored
from voting.web.texts import error_text, format_moment

bp = Blueprint("voter", __name__)

TOKEN = "ballot_token"  # noqa: S105 (the session key's name, not a secret)
CHOICES = "ballot_choices"
RECEIPT = "receipt"


@bp.app_errorhandler(BallotRefused)
def refusal_page(error: BallotRefused) -> tuple[str, int]:
    """What a voter sees when their token cannot vote, with the status design section 4 sets."""
    when = format_moment(getattr(error, "at", None)) or None
    if isinstance(error, InvalidToken):
        title = _("This link is not valid")
        text = _(
            "Please check that you opened the whole link from your badge or your email. "
            "If it still does not work, the registration desk will help you."
        )
    elif isinstance(error, TokenSpent):
        title = _("This ballot has already been cast")
        text = _(
            "Each ballot can be cast only once. If you did not vote yourself, "
            "please tell the registration desk."
        )
    elif isinstance(error, TokenRevoked) and error.reason == "withdrawn":
        title = _("This ballot was withdrawn")
        text = _(
            "The registration this ballot belonged to was withdrawn, so it can no longer be "
            "used. If you think this is a mistake, the registration desk will help you."
        )
    elif isinstance(error, TokenRevoked):
        title = _("This ballot was replaced")
        text = _("A new ballot was issued to you. Please use your new card or link.")
    elif isinstance(error, NotOpenYet):
        title = _("Voting has not opened yet")
        text = (
            _("Voting opens on %(when)s. Keep this page and come back then.", when=when)
            if when
            else _("Voting opens soon. Keep this page and reload it when voting is announced.")
        )
    elif isinstance(error, VotingClosed):
        title = _("Voting has closed")
        text = (
            _("Voting closed on %(when)s. Thank you for your interest.", when=when)
            if when
            else _("Voting is over. Thank you for your interest.")
        )
    else:
        title, text = _("This ballot cannot be used"), error_text(error)
    return message_page(title, text, error.status)


def _current_pass() -> BallotPass | None:
    token = browser.get(TOKEN)
    if not token:
        return None
    return admit(get_session(), services.codec(), token, services.now())


def _no_ballot() -> Response | tuple[str, int]:
    if browser.get(RECEIPT):
        return redirect(url_for(".receipt"), 303)
    return message_page(
        _("No ballot open"),
        _("To vote, scan the QR code on your badge or open the link in your email."),
        403,
    )


@bp.get("/")
@public
def index() -> str:
    return render_template("index.html")


@bp.get("/vote/<slug>")
@public
def howto(slug: str) -> str:
    """Where the projector's QR code leads: what to do with the ballot each attendee has."""
    election = election_or_404(slug)
    return render_template(
        "howto.html",
        election=election,
        opens_at=election.local_time(election.opens_at),
        closes_at=election.local_time(election.closes_at),
    )


@bp.get("/v/<path:token>")
@public
@limit_links
def enter(token: str) -> Response:
    """The link on the badge or in the email: check it, keep it, move to a clean URL."""
    return _keep(token)


def _keep(token: str) -> Response:
    """Keep a ballot token in the session and go to the ballot. Not a view: the code entry
    calls it too, and calling the limited view from there counted its own rate limit again."""
    # Before opening the token is kept too: /ballot says when voting opens, then shows it.
    with contextlib.suppress(NotOpenYet):
        admit(get_session(), services.codec(), token, services.now())
    browser.pop(CHOICES, None)
    browser.pop(RECEIPT, None)
    browser[TOKEN] = token
    return redirect(url_for(".ballot"), 303)


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=60)])


@bp.route("/code", methods=["GET", "POST"])
@public
@limit_codes
def enter_code():
    """For a phone that cannot scan: type the code printed under the QR code."""
    form = CodeForm()
    # The switcher keeps the typed code; it looks the code up again only if it was refused.
    checking = not switched_language() or bool(request.form.get("checked"))
    if checking and form.validate_on_submit():
        try:
            token = token_for_code(get_session(), services.codec(), form.code.data or "")
        except InvalidToken:
            form.code.errors.append(
                _("This code is not valid. Please check it, or ask at the registration desk.")
            )
        else:
            return _keep(token)
    status = 422 if form.errors else 200
    return render_template("code.html", form=form), status


def _render_ballot(
    ballot_pass: BallotPass,
    categories: Sequence[CategoryView],
    form: BallotForm | None,
    status: int = 200,
):
    """The ballot: as *form* stands (a submitted one, problems shown), or with no form the
    session's answers, whose awards ballot_parts may reuse from an earlier voter."""
    if form is None:
        awards = ballot_parts.awards(ballot_parts.BALLOT, categories, browser.get(CHOICES))
        problems = []
    else:
        groups = category_groups(form, categories)
        awards = ballot_parts.render_groups(ballot_parts.BALLOT, groups)
        problems = [group for group in groups if group.field.errors]
    return (
        render_template(
            "ballot.html",
            election=ballot_pass.election,
            awards=awards,
            invalid=bool(form is not None and form.errors),
            problems=problems,
            plurality_only=all(c.method == "plurality" for c in categories),
        ),
        status,
    )


@bp.route("/ballot", methods=["GET", "POST"])
@public
@never_stored
def ballot():
    ballot_pass = _current_pass()
    if ballot_pass is None:
        return _no_ballot()
    categories = ballot_layout(get_session(), ballot_pass.election)
    if request.method == "GET":
        return _render_ballot(ballot_pass, categories, None)
    form = ballot_form(categories, browser.get(CHOICES))
    if switched_language():
        # The same ballot in the new language, its choices kept; its problems if it had any.
        if request.form.get("checked"):
            form.validate()
        return _render_ballot(ballot_pass, categories, form)
    if form.validate_on_submit():
        browser[CHOICES] = form.choices(categories)
        return redirect(url_for(".review"), 303)
    return _render_ballot(ballot_pass, categories, form, 422)


@bp.get("/review")
@public
@never_stored
def review():
    ballot_pass = _current_pass()
    if ballot_pass is None:
        return _no_ballot()
    chosen = browser.get(CHOICES)
    categories = ballot_layout(get_session(), ballot_pass.election)
    try:
        parse_choices(categories, chosen or {})
    except InvalidChoice:
        return redirect(url_for(".ballot"), 303)
    return render_template(
        "review.html",
        attempt=secrets.token_urlsafe(16),
        election=ballot_pass.election,
        awards=ballot_parts.awards(ballot_parts.REVIEW, categories, chosen),
    )


@bp.post("/cast")
@public
@never_stored
def cast():
    """Cast the reviewed ballot; the receipt follows only after the commit succeeded."""
    token = browser.get(TOKEN)
    if not token:
        return _no_ballot()
    submitted = {
        name.removeprefix(FIELD_PREFIX): value
        for name, value in request.form.items()
        if name.startswith(FIELD_PREFIX)
    }
    attempt = request.form.get("attempt", "")[:64]
    db = get_session()
    try:
        with writing(db):
            receipt = cast_ballot(
                db,
                services.codec(),
                services.signer(),
                token,
                submitted,
                services.now(),
                attempt,
                services.batch_policy(),
            )
    except TokenSpent:
        # A double tap, or a retry after a lost response: the ballot is in; show its receipt.
        receipt = receipt_for_repeat(db, services.codec(), token, attempt)
        if receipt is None:
            raise
        browser.pop(TOKEN, None)
        browser[RECEIPT] = receipt
        flash(_("Your ballot had already been recorded. Here is its receipt."))
        return redirect(url_for(".receipt"), 303)
    except InvalidChoice:
        return message_page(
            _("Your ballot is incomplete"),
            _("Please go back to the ballot and choose a finalist or “Abstain” for every award."),
            422,
            back=url_for(".ballot"),
        )
    except DBAPIError:
        return message_page(
            _("Your ballot was not recorded"),
            _("The server is very busy. Nothing was recorded: please cast your ballot again."),
            503,
        )
    browser.pop(TOKEN, None)
    browser.pop(CHOICES, None)
    browser[RECEIPT] = receipt
    return redirect(url_for(".receipt"), 303)


@bp.get("/receipt")
@public
@never_stored
def receipt():
    code = browser.get(RECEIPT)
    if not code:
        return _no_ballot()
    return render_template("receipt.html", receipt=code)
