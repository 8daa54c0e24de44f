"""Emails to attendees, written from templates in the attendee's language."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from voting.domain.tokens import Card
from voting.models import Election
from voting.web.texts import translated


def ballot_link_message(
    election: Election, ballot: Card, email: str, sender: str, entry_url: str, default_language: str
) -> EmailMessage:
    """The personal ballot link, as plain text and HTML, in the attendee's language."""
    with force_locale(ballot.language or default_language):
        context = {
            "election": election,
            "ballot": ballot,
            "entry_url": entry_url,
            "opens_at": election.local_time(election.opens_at),
            "closes_at": election.local_time(election.closes_at),
        }
        subject = _("Your ballot: %(title)s", title=translated(election, "title"))
        text = render_template("mail/ballot_link.txt", **context)
        html = render_template("mail/ballot_link.html", **context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = formataddr((ballot.name, email))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
