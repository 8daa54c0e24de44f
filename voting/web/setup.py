"""The first organiser account on a fresh install, from the one-time link `voting init`
prints: no default password anywhere, and the link stops working once it is used."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from voting import services
from voting.db import get_session, writing
from voting.errors import VotingError
from voting.operations.users import check_new_user, create_first_organiser, setup_link_valid
from voting.web.auth import public, sign_in
from voting.web.limits import limit_setup_links
from voting.web.texts import error_text

bp = Blueprint("setup", __name__)


class FirstAccountForm(FlaskForm):
    name = StringField(_l("Your user name"), validators=[InputRequired(), Length(max=80)])
    password = PasswordField(
        _l("Password (10 characters or more)"), validators=[InputRequired(), Length(max=1024)]
    )
    again = PasswordField(_l("The password again"), validators=[InputRequired(), Length(max=1024)])


@bp.route("/setup/<token>", methods=["GET", "POST"])
@public
@limit_setup_links
def first_account(token: str):
    session = get_session()
    if not setup_link_valid(session, services.secret_key(), token, services.now()):
        abort(
            404,
            description=_(
                "This set-up link no longer works: it was used, it expired, or an account exists "
                "already. Sign in, or run `voting init` again for a new link."
            ),
        )
    form = FirstAccountForm()
    if form.validate_on_submit():
        if form.password.data != form.again.data:
            form.again.errors.append(_("The two passwords differ."))
        else:
            try:
                password_hash = check_new_user(
                    form.name.data or "", "organiser", form.password.data or ""
                )
                with writing(session):
                    user = create_first_organiser(
                        session,
                        services.secret_key(),
                        token,
                        form.name.data or "",
                        password_hash,
                        services.now(),
                    )
            except VotingError as exc:
                form.name.errors.append(error_text(exc))
            else:
                sign_in(user)
                return redirect(url_for("console.dashboard"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("setup.html", form=form), status
