"""Staff accounts: organisers, help desk and jury. Passwords are kept as scrypt hashes."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from voting.errors import N_, VotingError
from voting.models import ROLES, User
from voting.operations import activity

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
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None
