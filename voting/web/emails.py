"""The console's email page (under /admin/emails): the organiser's contact and introduction
in every language, a preview, a test message to any address, and reminders to vote.

A preview and a test carry an example link that casts no ballot: no attendee's token ever
goes to an address the organiser types.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from voting import services
from voting.db import done_reading, get_session, writing
from voting.domain.definition import MailTexts
from voting.domain.roster import check_email
from voting.domain.tokens import Card
from voting.errors import VotingError
from voting.mail.messages import TEST, ballot_link_message
from voting.mail.sending import queue_reminders
from voting.mail.smtp import Mailer, MailError, SmtpSettings
from voting.models import Election
from voting.operations import mail_queue
from voting.operations.delivery import record_test_email
from voting.operations.elections import mail_texts, set_mail_texts
from voting.web.auth import roles_required
from voting.web.common import actor, ascii_number, election_from_request
from voting.web.texts import error_text

bp = Blueprint("emails", __name__, url_prefix="/admin/emails")
ORGANISER = "organiser"
REMINDER_HOURS = (6, 12, 24, 48)
EXAMPLE_CODE = "EXAMP-LE000-00000-00000-000000"


def _sample(election: Election, language: str, email: str) -> tuple[str, str]:
    """The subject and plain text of the ballot-link email, with an example ballot."""
    message = _sample_message(election, language, email)
    return str(message["Subject"]), message.get_body(("plain",)).get_content()


def _sample_message(election: Election, language: str, email: str):  # type: ignore[no-untyped-def]
    base = services.public_url()
    card = Card(
        url=f"{base}/code",  # an example: it leads to the code page, no ballot
        code=EXAMPLE_CODE,
        name=_("Ann Example"),
        organisation="",
        language=language,
    )
    settings = SmtpSettings.from_config(current_app.config)
    return ballot_link_message(
        election,
        card,
        email,
        settings.sender,
        services.entry_address(base),
        services.default_language(),
        TEST,
    )


def _back(election: Election, **extra: str):  # type: ignore[no-untyped-def]
    return redirect(url_for(".page", election=election.slug, **extra), 303)


@bp.get("")
@roles_required(ORGANISER)
def page():
    election = election_from_request()
    languages = current_app.config["LANGUAGES"]
    language = request.args.get("language", "")
    if language not in languages:
        language = services.default_language()
    subject, text = _sample(election, language, "ann.example@example.org")
    return render_template(
        "console/emails.html",
        election=election,
        texts=mail_texts(election),
        mail_languages=languages,
        language=language,
        preview_subject=subject,
        preview_text=text,
        reminder_hours=REMINDER_HOURS,
        sending=mail_queue.is_busy(get_session(), election),
    )


@bp.post("/texts")
@roles_required(ORGANISER)
def save_texts():
    election = election_from_request()
    intro = {"": request.form.get("intro", "").strip()[:2000]}
    for language in current_app.config["LANGUAGES"]:
        intro[language] = request.form.get(f"intro_{language}", "").strip()[:2000]
    texts = MailTexts(
        contact=request.form.get("contact", "").strip()[:300],
        intro={language: text for language, text in intro.items() if text},
    )
    session = get_session()
    try:
        with writing(session):
            set_mail_texts(session, actor(), election, texts, services.now())
    except VotingError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("Saved."))
    return _back(election)


@bp.post("/test")
@roles_required(ORGANISER)
def send_test():
    election = election_from_request()
    try:
        address = check_email(request.form.get("address", ""))
    except ValueError as exc:
        flash(_("That is not an email address: %(reason)s", reason=str(exc)), "error")
        return _back(election)
    language = request.form.get("language", services.default_language())
    message = _sample_message(election, language, address)
    done_reading(get_session())
    try:
        with Mailer(SmtpSettings.from_config(current_app.config)) as mailer:
            mailer.send(message)
    except MailError as exc:
        flash(_("The test message could not be sent: %(reason)s", reason=str(exc)), "error")
        return _back(election)
    session = get_session()
    with writing(session):
        record_test_email(session, actor(), election, address, services.now())
    flash(_("A test message was sent to %(address)s.", address=address))
    return _back(election)


@bp.post("/remind")
@roles_required(ORGANISER)
def remind():
    election = election_from_request()
    hours = ascii_number(request.form.get("every", "24"))
    if not election.is_open or hours not in REMINDER_HOURS:
        flash(_("Reminders are sent while voting is open."), "error")
        return _back(election)
    try:
        queued = queue_reminders(get_session(), actor(), election, every=timedelta(hours=hours))
    except VotingError as exc:
        flash(error_text(exc), "error")
        return _back(election)
    flash(_("%(count)d reminders queued: they go out now.", count=queued.count))
    return _back(election)
