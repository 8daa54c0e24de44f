"""Refusing to serve an election with unsafe settings: better no app than a forgeable one.

Checked when the app starts to serve (wsgi.py, `voting demo`), outside debug and testing;
commands skip it, since `voting init` is how these problems get fixed.
"""

from __future__ import annotations

import stat
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from voting.instance import KeyStore

# Placeholders people paste from tutorials; a real secret is 32+ random characters.
KNOWN_BAD_SECRETS = {"", "dev", "development", "secret", "changeme", "change-me", "test", "key"}
MIN_SECRET_LENGTH = 32
# The fewest ballots a batch of the board may hold (but the last): see operations/batches.py.
MIN_BATCH = 10


class UnsafeConfiguration(Exception):
    """The app must not serve like this; str(error) says why in one line."""


def _weak(value: object) -> bool:
    text = str(value or "")
    return text.lower() in KNOWN_BAD_SECRETS or len(text) < MIN_SECRET_LENGTH


def problems(app: Flask) -> list[str]:
    """Every reason not to serve, most basic first."""
    found = []
    instance = Path(app.instance_path)
    if _weak(app.config.get("SECRET_KEY")):
        found.append("SECRET_KEY is missing or a placeholder; run `voting init`")
    token_keys = app.config.get("BALLOT_TOKEN_KEYS") or []
    if not token_keys or any(_weak(key) for key in token_keys):
        found.append("BALLOT_TOKEN_KEYS is missing or weak; run `voting init`")
    for path in (instance, instance / "config.toml", instance / "keys"):
        if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            found.append(f"{path} can be read by other users; chmod it to owner-only (700/600)")
    keys = KeyStore(instance)
    if not keys.signing_key_path.exists():
        found.append("the signing key is missing; run `voting init`")
    if int(app.config.get("BATCH_MINIMUM", 10)) < MIN_BATCH:
        found.append(f"BATCH_MINIMUM is below {MIN_BATCH}: a batch that small names its voters")
    found += _missing_delivery_keys(app, keys)
    return found


def _missing_delivery_keys(app: Flask, keys: KeyStore) -> list[str]:
    """Elections still taking ballots need their delivery key (closed ones destroyed it)."""
    from voting.models import Election

    try:
        with app.extensions["voting.db"].session() as session:
            slugs = (
                session.execute(select(Election.slug).where(Election.state.in_(("draft", "open"))))
                .scalars()
                .all()
            )
    except SQLAlchemyError:
        return ["the database is not set up or not reachable; run `voting init`"]
    return [
        f"the delivery key of election {slug} is missing ({keys.delivery_key_path(slug)})"
        for slug in slugs
        if not keys.has_delivery_key(slug)
    ]


def refuse_unsafe(app: Flask) -> None:
    if app.debug or app.testing:
        return
    found = problems(app)
    if found:
        raise UnsafeConfiguration(f"refusing to serve: {found[0]}")
