"""gunicorn's access log without ballot tokens or receipt codes: /v/<token> is logged as
/v/<hidden>, a receipt in a path or a query as <hidden>.

The token is a voter's credential; it must not sit in log files that operators, backups
and log shippers read. A receipt leads to a ballot on the board: with the log's address
and time of each look-up it would tie a ballot to a phone. Used by gunicorn.conf.py.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

_TOKEN_PATH = re.compile(r"/v/[^\s?#]+")
HIDDEN = "/v/<hidden>"
_RECEIPT_PATH = re.compile(r"/receipt/[^\s?#]+")
_RECEIPT_QUERY = re.compile(r"((?:^|[?&])(?:code|receipt)=)[^\s&#]*")
_MARKS = ("/v/", "/receipt", "code=", "receipt=")


def hide_tokens(text: str) -> str:
    text = _TOKEN_PATH.sub(HIDDEN, text)
    text = _RECEIPT_PATH.sub("/receipt/<hidden>", text)
    return _RECEIPT_QUERY.sub(r"\1<hidden>", text)


class TokenHidingLogger(Logger):
    """gunicorn's logger, with tokens and receipts removed from every atom of the access log."""

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: hide_tokens(value)
            if isinstance(value, str) and any(mark in value for mark in _MARKS)
            else value
            for key, value in atoms.items()
        }
