"""Short texts shared by pages, cards and emails, in the reader's language."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from voting.errors import VotingError

DELIVERY_LABELS = {
    "pending": _l("not sent yet"),
    "sending": _l("being sent"),
    "sent": _l("sent"),
    "failed": _l("failed"),
}


def error_text(error: VotingError) -> str:
    """A refusal in the reader's language (the operation's English if it has no translation)."""
    return _(error.template, **error.params) if error.params else _(error.template)


def delivery_label(status: str) -> str:
    return str(DELIVERY_LABELS.get(status, status))


def card_howto(language: str) -> str:
    """The how-to line printed on a ballot card, in the card holder's language."""
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _(
            "Scan the QR code with your phone's camera to vote, "
            "or go to the address below and type the code."
        )


def format_moment(moment: datetime | None) -> str:
    """A moment in its own time zone (the election's), in the reader's language."""
    if moment is None:
        return ""
    zone = moment.tzname() or ""
    return f"{format_datetime(moment, 'long', rebase=False)} ({zone})".replace(" ()", "")
