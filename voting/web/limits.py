"""Rate limits that stop guessing without stopping a hall full of voters behind one address.

Only failures count: a link whose signature is ours, or a code that names an eligible ballot,
is never limited, so 350 people voting from one public IP all get through, while a script
trying forged tokens from that IP is cut off. Login failures count per address and name.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from voting import services
from voting.db import get_session
from voting.domain.tokens import BadToken
from voting.operations.tokens import names_an_eligible_ballot
from voting.web.errors import message_page

limiter = Limiter(key_func=get_remote_address)


def _signed_link() -> bool:
    """A /v/ link carrying one of our signatures: a real voter, whatever else happens."""
    try:
        services.codec().read((request.view_args or {}).get("token", ""))
    except BadToken:
        return False
    return True


def _known_code() -> bool:
    """A typed code that names an eligible ballot: a real voter."""
    if request.method != "POST":
        return True
    return names_an_eligible_ballot(get_session(), request.form.get("code", ""))


def _failed(response: Response) -> bool:
    return response.status_code in (400, 401, 403, 404, 409, 410, 422)


def _login_key() -> str:
    return f"{get_remote_address()}|{request.form.get('name', '')[:80].lower()}"


def invalid_tokens() -> str:
    return current_app.config["LIMIT_INVALID_TOKENS"]


def login_failures() -> str:
    return current_app.config["LIMIT_LOGIN_FAILURES"]


limit_links = limiter.limit(invalid_tokens, exempt_when=_signed_link, deduct_when=_failed)
limit_codes = limiter.limit(
    invalid_tokens, methods=["POST"], exempt_when=lambda: _known_code(), deduct_when=_failed
)
# A set-up link that does not work counts as a failure, like a forged ballot link.
limit_setup_links = limiter.limit(invalid_tokens, deduct_when=_failed)
limit_logins = limiter.limit(
    login_failures, methods=["POST"], key_func=_login_key, deduct_when=_failed
)


def too_many(error: RateLimitExceeded):
    reset_at = getattr(limiter.current_limit, "reset_at", None) if limiter.current_limit else None
    seconds = max(1, math.ceil(reset_at - time.time())) if reset_at else 60
    minutes = math.ceil(seconds / 60)
    body, status = message_page(
        _("Too many attempts"),
        _("Please wait %(minutes)d minute(s), then try again.", minutes=minutes),
        429,
    )
    return body, status, {"Retry-After": str(seconds)}


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, too_many)
