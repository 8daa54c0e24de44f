"""Emails to attendees, written from templates in the attendee's language."""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTPUTF8, default
from email.utils import formatdate, make_msgid

from email_validator import EmailNotValidError, validate_email
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from voting.domain.tokens import Card
from voting.models import Election
from voting.operations.elections import mail_texts
from voting.web.texts import translated

BALLOT_LINK, REMINDER, TEST = "ballot_link", "reminder", "test"


def ballot_link_message(
    election: Election,
    ballot: Card,
    email: str,
    sender: str,
    entry_url: str,
    default_language: str,
    kind: str = BALLOT_LINK,
) -> EmailMessage:
    """The personal ballot link, as plain text and HTML, in the attendee's language: the
    first message, a reminder to vote, or the organiser's test (whose link votes nothing)."""
    language = ballot.language or default_language
    texts = mail_texts(election)
    with force_locale(language):
        context = {
            "election": election,
            "ballot": ballot,
            "entry_url": entry_url,
            "opens_at": election.local_time(election.opens_at),
            "closes_at": election.local_time(election.closes_at),
            "intro": texts.intro.get(language) or texts.intro.get("", ""),
            "contact": texts.contact,
            "kind": kind,
        }
        title = translated(election, "title")
        subject = {
            BALLOT_LINK: _("Your ballot: %(title)s", title=title),
            REMINDER: _("Reminder: you have not voted yet in the %(title)s", title=title),
            TEST: _("Test message: %(title)s", title=title),
        }[kind]
        text = render_template("mail/ballot_link.txt", **context)
        html = render_template("mail/ballot_link.html", **context)
    return _envelope(subject, text, html, email, ballot.name, sender)


def card_printed_message(
    election: Election, name: str, language: str, email: str, sender: str, printed_at: datetime
) -> EmailMessage:
    """Tells an attendee that the help desk printed them a new card (which holds no link
    itself): if it was not them, the old card stopped working and they should say so."""
    texts = mail_texts(election)
    with force_locale(language):
        context = {"election": election, "name": name, "when": printed_at, "contact": texts.contact}
        subject = _(
            "A new ballot card was printed for you: %(title)s", title=translated(election, "title")
        )
        text = render_template("mail/card_printed.txt", **context)
        html = render_template("mail/card_printed.html", **context)
    return _envelope(subject, text, html, email, name, sender)


def participation_message(
    election: Election,
    name: str,
    language: str,
    email: str,
    sender: str,
    status: str,
    *,
    final: bool,
) -> EmailMessage:
    """Tells an attendee at close whether a ballot was cast with their credential (*status*
    as the desk sees it: used, unused, card), so that a ballot cast in their name is found."""
    texts = mail_texts(election)
    with force_locale(language):
        context = {
            "election": election,
            "name": name,
            "status": status,
            "final": final,
            "contact": texts.contact,
        }
        title = translated(election, "title")
        subject = (
            _("A ballot was cast with your credential: %(title)s", title=title)
            if status == "used"
            else _("No ballot was cast with your credential: %(title)s", title=title)
        )
        text = render_template("mail/participation.txt", **context)
        html = render_template("mail/participation.html", **context)
    return _envelope(subject, text, html, email, name, sender)


def _envelope(  # type: ignore[no-untyped-def]
    subject: str, text: str, html: str, email: str, name: str, sender: str
) -> EmailMessage:
    address = deliverable(email)
    # An address beyond ASCII can only travel with SMTPUTF8, whose messages carry UTF-8
    # headers; every other message keeps to ASCII headers, which any server takes.
    message = EmailMessage(policy=SMTPUTF8 if not address.isascii() else default)
    message["Subject"] = subject
    message["From"] = sender
    local, domain = address.rsplit("@", 1)
    message["To"] = Address(display_name=name, username=local, domain=domain)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def deliverable(email: str) -> str:
    """The address as the mail server is given it: in ASCII where it can be (an IDN domain in
    its xn-- form), as it is otherwise, which then needs a server that offers SMTPUTF8."""
    try:
        found = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return email
    return found.ascii_email or found.normalized
