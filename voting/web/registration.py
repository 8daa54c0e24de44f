"""/register/<election>: a voter asks for a ballot link by email, for an election whose
file says ``registration = "open"``. Thin: read the address, register it in one short write,
and answer the same whether the address was new or known, so the page tells nobody who has
registered. The link itself goes through the mail queue.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import InputRequired, Length

from voting import services
from voting.db import get_session, writing
from voting.domain.registration import AddressRefused
from voting.errors import StateError
from voting.operations.registration import check_registration_open, register
from voting.web.auth import public
from voting.web.common import election_or_404
from voting.web.limits import limiter
from voting.web.texts import error_text

bp = Blueprint("registration", __name__)


class RegistrationForm(FlaskForm):
    address = EmailField(_l("Your email address"), validators=[InputRequired(), Length(max=320)])


def _mailbox_key() -> str:
    """The per-address limit counts each mailbox, however it is spelled."""
    try:
        election = election_or_404(request.view_args["slug"])  # type: ignore[index]
        rule = check_registration_open(election)
        return "register|" + rule.mailbox(request.form.get("address", ""))[1]
    except (AddressRefused, StateError):
        return "register|invalid"


def _per_client() -> str:
    return current_app.config["LIMIT_REGISTRATIONS_PER_CLIENT"]


def _per_address() -> str:
    return current_app.config["LIMIT_REGISTRATIONS_PER_ADDRESS"]


@bp.route("/register/<slug>", methods=["GET", "POST"])
@public
@limiter.limit(_per_client, methods=["POST"])
@limiter.limit(_per_address, methods=["POST"], key_func=_mailbox_key)
def register_page(slug: str):
    election = election_or_404(slug)
    try:
        rule = check_registration_open(election)
    except StateError as exc:
        return render_template("register.html", election=election, closed=error_text(exc)), 410
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            address, mailbox = rule.mailbox(form.address.data or "")
        except AddressRefused as exc:
            form.address.errors.append(_("This is not an email address: %(reason)s", reason=exc))
        else:
            language = str(get_locale() or services.default_language())
            keys = services.keys()
            with writing(get_session()) as session:
                election = election_or_404(slug)
                try:
                    register(
                        session, election, address, mailbox, language, services.now(),
                        delivery_key=lambda: keys.delivery_key(election.slug),
                    )  # fmt: skip
                except StateError as exc:
                    abort(410, description=error_text(exc))
            return render_template("register.html", election=election, sent_to=address)
    status = 422 if form.errors else 200
    return render_template("register.html", election=election, form=form), status
