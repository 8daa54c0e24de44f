"""Staff accounts in the console (under /admin/staff): who may sign in as organiser, help desk
or jury; a new account, a new password, an account disabled. A new password or disabling
ends that person's sign-ins at once."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from voting import services
from voting.db import get_session, writing
from voting.errors import VotingError
from voting.operations.users import (
    add_user,
    change_password,
    check_new_user,
    find_user,
    list_users,
    set_disabled,
)
from voting.staff_models import ROLES
from voting.web.auth import roles_required
from voting.web.common import actor
from voting.web.texts import error_text

bp = Blueprint("accounts", __name__, url_prefix="/admin/staff")
ORGANISER = "organiser"


def _back():  # type: ignore[no-untyped-def]
    return redirect(url_for(".page"), 303)


@bp.route("", methods=["GET", "POST"])
@roles_required(ORGANISER)
def page():
    """The accounts, and the form for a new one; a POST adds the account it describes."""
    if request.method == "GET":
        return render_template("console/staff.html", users=list_users(get_session()), roles=ROLES)
    name, role = request.form.get("name", "").strip(), request.form.get("role", "")
    session = get_session()
    try:
        password_hash = check_new_user(name, role, request.form.get("password", ""))
        with writing(session):
            add_user(session, actor(), name, role, password_hash, services.now())
    except VotingError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("%(name)s can sign in now.", name=name))
    return _back()


@bp.post("/<name>/password")
@roles_required(ORGANISER)
def password(name: str):
    session = get_session()
    try:
        user = find_user(session, name)
        password_hash = check_new_user(user.name, user.role, request.form.get("password", ""))
        with writing(session):
            change_password(session, actor(), user, password_hash, services.now())
    except VotingError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("%(name)s has a new password; their sign-ins have ended.", name=name))
    return _back()


@bp.post("/<name>/disable")
@roles_required(ORGANISER)
def disable(name: str):
    disabled = request.form.get("disabled") == "yes"
    if disabled and name == current_user.name:
        flash(_("You cannot disable the account you are signed in with."), "error")
        return _back()
    session = get_session()
    try:
        user = find_user(session, name)
        with writing(session):
            set_disabled(session, actor(), user, disabled, services.now())
    except VotingError as exc:
        flash(error_text(exc), "error")
    else:
        flash(
            _("%(name)s is disabled.", name=name)
            if disabled
            else _("%(name)s is enabled.", name=name)
        )
    return _back()
