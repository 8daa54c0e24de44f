"""Staff accounts: organisers, help desk and jury. Passwords are kept as scrypt hashes."""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from voting.errors import VotingError
from voting.models import ROLES, User

MIN_PASSWORD = 10
_NAME = re.compile(r"^[\w.@-]{1,80}$")


@cache
def _dummy_hash() -> str:
    """Compared against when the name is unknown, so a wrong name costs as long as a wrong
    password. Made on first use: hashing at import would slow every command's start."""
    return generate_password_hash("not a password")


def add_user(session: Session, name: str, role: str, password: str) -> User:
    if not _NAME.match(name):
        raise VotingError("a user name is 1 to 80 letters, digits or . @ _ -")
    if role not in ROLES:
        raise VotingError(f"the role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise VotingError(f"the password needs at least {MIN_PASSWORD} characters")
    if session.execute(select(User).where(User.name == name)).scalar() is not None:
        raise VotingError(f"there is already a user {name!r}")
    user = User(name=name, role=role, password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user with this name and password, or None (without telling which was wrong)."""
    user = session.execute(select(User).where(User.name == name)).scalar()
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None
