"""Staff sign-in (Flask-Login) and the role check every staff route declares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from voting import services
from voting.db import get_session, writing
from voting.operations.users import (
    authenticate,
    end_staff_session,
    signed_in_user,
    start_staff_session,
)
from voting.staff_models import User
from voting.web.limits import limit_logins

P = ParamSpec("P")
R = TypeVar("R")

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")

bp = Blueprint("auth", __name__)

# Where each role starts after signing in.
HOME = {"organiser": "console.dashboard", "jury": "jury.overview", "desk": "desk.search"}
PUBLIC = ("anyone",)


def init_app(app: Flask) -> None:
    # Templates get the lazy proxy instead of Flask-Login's own context processor, which
    # looks the user up for every page: a voter's page never asks who is signed in.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    """The staff member of a sign-in that still holds (not signed out, not disabled)."""
    return signed_in_user(get_session(), cookie_id)


def roles_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let only signed-in staff with one of *roles* in; others sign in or get 403."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()  # type: ignore[return-value]
            if current_user.role not in roles:
                abort(
                    403,
                    description=_(
                        "This page is for: %(roles)s. You are signed in as %(name)s (%(role)s).",
                        roles=", ".join(roles),
                        name=current_user.name,
                        role=current_user.role,
                    ),
                )
            return view(*args, **kwargs)

        wrapper.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapper

    return decorate


def public(view: Callable[P, R]) -> Callable[P, R]:
    """Declare a route open to everyone: voters, the room, the press."""
    view.allowed_roles = PUBLIC  # type: ignore[attr-defined]
    return view


class LoginForm(FlaskForm):
    name = StringField(_l("User name"), validators=[InputRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1024)])
    next = HiddenField()


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never send a signed-in user elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
@limit_logins
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(get_session(), form.name.data or "", form.password.data or "")
        if user is not None:
            sign_in(user)
            return redirect(_safe_next(form.next.data) or url_for(HOME[user.role]), 303)
        form.password.errors.append(_("Wrong user name or password."))
    status = 422 if form.is_submitted() else 200
    return render_template("login.html", form=form), status


def sign_in(user: User) -> None:
    """Start a sign-in held on the server, and put it in the cookie."""
    db = get_session()
    with writing(db):
        start_staff_session(db, user, services.now())
    session.permanent = True  # staff sessions expire (PERMANENT_SESSION_LIFETIME)
    login_user(user)


@bp.post("/logout")
@public
def logout():
    if current_user.is_authenticated:
        db = get_session()
        user_id, sid = current_user.id, current_user.staff_session
        with writing(db):
            end_staff_session(db, user_id, sid, services.now())
    logout_user()
    response = redirect(url_for("voter.index"), 303)
    # Staff pages may sit in the back/forward cache; on a shared desk laptop the next person
    # must not step back into an attendee's page: the browser drops this site's cache.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response
