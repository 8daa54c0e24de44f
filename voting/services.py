"""What views and commands hand to operations: the key store, token codec, signer, clock and
the public address, each taken from the running app.

Operations never reach for these themselves; they take them as arguments, so they run the
same under a test clock and test keys. (Not to be confused with Flask's application and
request contexts, which this module reads.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from voting.domain.public_address import MISSING, PublicUrlMissing, check_public_url
from voting.domain.tokens import BallotTokenCodec
from voting.errors import N_, NotInitialised
from voting.instance import KeyStore
from voting.operations.audit import LogSigner, LogTrees
from voting.operations.batches import BatchPolicy


def keys() -> KeyStore:
    return current_app.extensions["voting.keys"]


def codec() -> BallotTokenCodec:
    token_keys = current_app.config.get("BALLOT_TOKEN_KEYS")
    if not token_keys:
        raise NotInitialised(N_("no BALLOT_TOKEN_KEYS in the instance config; run `voting init`"))
    return BallotTokenCodec(token_keys)


def signer() -> LogSigner:
    """The checkpoint signer, its key read from the instance folder once per process."""
    if "voting.signer" not in current_app.extensions:
        current_app.extensions["voting.signer"] = LogSigner(keys().signing_key())
    return current_app.extensions["voting.signer"]


def log_trees() -> LogTrees:
    return current_app.extensions.setdefault("voting.trees", LogTrees())


def batch_policy() -> BatchPolicy:
    """When cast ballots join the board: BATCH_SIZE, BATCH_SECONDS, BATCH_MINIMUM."""
    config = current_app.config
    return BatchPolicy(
        size=int(config["BATCH_SIZE"]),
        every=timedelta(seconds=float(config["BATCH_SECONDS"])),
        minimum=int(config["BATCH_MINIMUM"]),
    )


def board_origin_base() -> str:
    """What names new logs in their checkpoints: BOARD_ORIGIN, or PUBLIC_URL's host and path."""
    configured = current_app.config.get("BOARD_ORIGIN")
    if configured:
        return str(configured)
    public = str(current_app.config.get("PUBLIC_URL") or "")
    host_and_path = public.split("://", 1)[-1].rstrip("/")
    return host_and_path or "localhost"


def now() -> datetime:
    """The current time, or the fixed clock a test configured."""
    clock = current_app.config.get("VOTING_CLOCK")
    return clock() if clock else datetime.now(UTC)


def public_url() -> str:
    """The address to show: PUBLIC_URL, else the one `voting demo` serves on. Never the
    request's Host header, which whoever sends the request chooses."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return str(configured).rstrip("/")
    return current_app.config.get("SERVER_URL", "http://127.0.0.1:5000").rstrip("/")


def ballot_base_url() -> str:
    """Base of links that leave the building (cards, emails, links.csv): PUBLIC_URL, which
    must be set; only `voting demo` may fall back to the address it serves on."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return check_public_url(str(configured))
    if current_app.config.get("VOTING_DEMO"):
        return public_url()
    raise PublicUrlMissing(MISSING)


def entry_address(base: str) -> str:
    """Where a code from a card or an email is typed in, as printed: host and /code."""
    return base.split("://", 1)[-1] + "/code"


def default_language() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def secret_key() -> bytes:
    """The instance's secret, for what must be derivable here and nowhere else."""
    key = current_app.config.get("SECRET_KEY")
    if not key:
        raise NotInitialised(N_("no SECRET_KEY in the instance config; run `voting init`"))
    return key.encode("utf-8") if isinstance(key, str) else key
