"""The ways an operation refuses: one root, ``VotingError``, each with a message for the person
who asked.

Messages are written in English with ``%(name)s`` placeholders and marked with ``N_`` where
they are raised; the web shows them in the reader's language (``voting.web.texts.error_text``),
the command line as they are.
"""

from __future__ import annotations

from datetime import datetime


def N_(message: str) -> str:
    """Mark a message for translation where it is shown (operations know no language)."""
    return message


class VotingError(Exception):
    """An operation was refused; str(error) says why in one line, in English.

    ``template`` and ``params`` let a page show the same sentence in the reader's language.
    """

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.template = message
        self.params = params


class NotFound(VotingError):
    """The election, attendee or entry asked for does not exist."""


class StateError(VotingError):
    """The election's state does not allow this (for example, changing it after opening)."""


class KeyMissing(VotingError):
    """A key the operation needs is not in the instance folder (never made, or destroyed)."""


class NotInitialised(VotingError):
    """The instance folder lacks its configuration: `voting init` has not run."""


class BallotRefused(VotingError):
    """A ballot token cannot be used; ``status`` is the HTTP status the voter gets."""

    status = 400


class InvalidToken(BallotRefused):
    status = 404


class TokenSpent(BallotRefused):
    status = 409


class TokenRevoked(BallotRefused):
    """``reason`` is "withdrawn" when the attendee's registration was withdrawn."""

    status = 410

    def __init__(self, message: str, reason: str = "replaced") -> None:
        super().__init__(message)
        self.reason = reason


class NotOpenYet(BallotRefused):
    """``at`` is the scheduled opening in the election's time zone, if one is set."""

    status = 403

    def __init__(self, message: str, at: datetime | None = None) -> None:
        super().__init__(message)
        self.at = at


class VotingClosed(BallotRefused):
    """``at`` is the scheduled close in the election's time zone, if one is set."""

    status = 403

    def __init__(self, message: str, at: datetime | None = None) -> None:
        super().__init__(message)
        self.at = at
