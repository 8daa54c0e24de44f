"""Staff accounts: organisers, help desk and jury; their sign-ins, held on the server; and the
set-up link that creates the first organiser. Passwords are kept as scrypt hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from voting.domain.times import as_utc
from voting.errors import N_, NotFound, VotingError
from voting.operations import activity
from voting.staff_models import ROLES, SetupLink, StaffSession, User

MIN_PASSWORD = 10
_NAME = re.compile(r"^[\w.@-]{1,80}$")


@cache
def _dummy_hash() -> str:
    """Compared against when the name is unknown, so a wrong name costs as long as a wrong
    password. Made on first use: hashing at import would slow every command's start."""
    return generate_password_hash("not a password")


def check_new_user(name: str, role: str, password: str) -> str:
    """Check a new account's name, role and password; return the password's hash.

    Hashing is deliberately slow (scrypt): it happens here, before any write begins.
    """
    if not _NAME.match(name):
        raise VotingError(N_("a user name is 1 to 80 letters, digits or . @ _ -"))
    if role not in ROLES:
        raise VotingError(N_("the role must be one of %(roles)s"), roles=", ".join(ROLES))
    if len(password) < MIN_PASSWORD:
        raise VotingError(
            N_("the password needs at least %(count)d characters"), count=MIN_PASSWORD
        )
    return generate_password_hash(password)


def add_user(
    session: Session, actor: str, name: str, role: str, password_hash: str, now: datetime
) -> User:
    """A staff account, from a name, role and password checked by ``check_new_user``."""
    if role not in ROLES:
        raise VotingError(N_("the role must be one of %(roles)s"), roles=", ".join(ROLES))
    if session.execute(select(User).where(User.name == name)).scalar() is not None:
        raise VotingError(N_("there is already a user %(name)s"), name=repr(name))
    user = User(name=name, role=role, password_hash=password_hash)
    session.add(user)
    session.flush()
    activity.record(session, None, actor, "staff account added", now, detail=f"{name} ({role})")
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user with this name and password, or None (without telling which was wrong)."""
    user = session.execute(select(User).where(User.name == name)).scalar()
    if user is None or user.disabled_at is not None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


# --- sign-ins held on the server ----------------------------------------------------------------


def start_staff_session(session: Session, user: User, now: datetime) -> str:
    """A new sign-in; its id goes into the cookie with the user's."""
    sid = secrets.token_hex(16)
    session.add(StaffSession(id=sid, user_id=user.id, started_at=now))
    session.flush()
    user.staff_session = sid
    return sid


def end_staff_session(session: Session, user_id: int, sid: str, now: datetime) -> None:
    """Signing out: the cookie, even a copy of it, is worth nothing from now on."""
    session.execute(
        update(StaffSession)
        .where(
            StaffSession.id == sid, StaffSession.user_id == user_id, StaffSession.ended_at.is_(None)
        )
        .values(ended_at=now)
    )


def _end_all_sessions(session: Session, user: User, now: datetime) -> None:
    session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def signed_in_user(session: Session, cookie_id: str) -> User | None:
    """The user of a sign-in the cookie names, if that sign-in still holds."""
    user_id, _, sid = cookie_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit()) or not sid:
        return None
    found = session.execute(
        select(User)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(
            User.id == int(user_id),
            User.disabled_at.is_(None),
            StaffSession.id == sid[:32],
            StaffSession.ended_at.is_(None),
        )
    ).scalar()
    if found is not None:
        found.staff_session = sid
    return found


# --- managing accounts ----------------------------------------------------------------------------


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.role, User.name)).scalars())


def find_user(session: Session, name: str) -> User:
    user = session.execute(select(User).where(User.name == name)).scalar()
    if user is None:
        raise NotFound(N_("there is no user %(name)s"), name=repr(name[:80]))
    return user


def change_password(
    session: Session, actor: str, user: User, password_hash: str, now: datetime
) -> None:
    """A new password ends every sign-in of the account."""
    user.password_hash = password_hash
    _end_all_sessions(session, user, now)
    session.flush()
    activity.record(session, None, actor, "password changed", now, detail=user.name)


def set_disabled(session: Session, actor: str, user: User, disabled: bool, now: datetime) -> None:
    """Disable an account (its sign-ins end at once) or enable it again. The last organiser
    who can sign in stays enabled: someone must be able to run the event."""
    if disabled and user.role == "organiser" and user.disabled_at is None:
        others = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == "organiser", User.disabled_at.is_(None), User.id != user.id)
        )
        if not others:
            raise VotingError(N_("%(name)s is the last organiser who can sign in"), name=user.name)
    user.disabled_at = now if disabled else None
    if disabled:
        _end_all_sessions(session, user, now)
    session.flush()
    action = "staff account disabled" if disabled else "staff account enabled"
    activity.record(session, None, actor, action, now, detail=user.name)


# --- the first organiser, from a fresh install ----------------------------------------------------


SETUP_VALID = timedelta(days=7)


def _token(secret: bytes, nonce: bytes) -> str:
    digest = hmac.new(secret, b"voting.setup\x00" + nonce, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def issue_setup_link(session: Session, secret: bytes, now: datetime) -> str | None:
    """The one-time token to create the first organiser account; None once any account
    exists. The same token comes back while it is valid (no write): `voting init` may run
    again and again."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    for link in session.execute(select(SetupLink)).scalars():
        if as_utc(link.expires_at) > now:
            return _token(secret, link.nonce)
    session.execute(delete(SetupLink))
    nonce = secrets.token_bytes(16)
    session.add(SetupLink(nonce=nonce, expires_at=now + SETUP_VALID))
    session.flush()
    return _token(secret, nonce)


def setup_link_valid(session: Session, secret: bytes, token: str, now: datetime) -> bool:
    if session.scalar(select(func.count()).select_from(User)):
        return False
    return any(
        hmac.compare_digest(_token(secret, link.nonce), token[:64])
        for link in session.execute(select(SetupLink)).scalars()
        if as_utc(link.expires_at) > now
    )


def create_first_organiser(
    session: Session, secret: bytes, token: str, name: str, password_hash: str, now: datetime
) -> User:
    """The first account, from the set-up link, which then stops working."""
    if not setup_link_valid(session, secret, token, now):
        raise VotingError(
            N_("this set-up link no longer works (used, expired, or an account exists already)")
        )
    session.execute(delete(SetupLink))
    return add_user(session, "set-up link", name, "organiser", password_hash, now)
