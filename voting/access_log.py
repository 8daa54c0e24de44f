"""gunicorn's access log without ballot tokens: /v/<token> is logged as /v/<hidden>.

The token is a voter's credential; it must not sit in log files that operators, backups
and log shippers read. Used by gunicorn.conf.py.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

_TOKEN_PATH = re.compile(r"/v/[^\s?#]+")
HIDDEN = "/v/<hidden>"


def hide_tokens(text: str) -> str:
    return _TOKEN_PATH.sub(HIDDEN, text)


class TokenHidingLogger(Logger):
    """gunicorn's logger, with ballot tokens removed from every atom of the access log."""

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: hide_tokens(value) if isinstance(value, str) and "/v/" in value else value
            for key, value in atoms.items()
        }
