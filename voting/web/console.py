"""The organisers' console (under /admin): dashboard, attendees, cards, emails, opening and
closing voting, and the private activity log. The awards editor is voting/web/editor.py.

Every change that counts is a log entry on the public board and a line in the private
activity log, both made by the operation; a view only parses, calls and shows.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from voting import services, workflows
from voting.cards import LAYOUTS
from voting.db import get_session, writing
from voting.domain.roster import RosterError
from voting.errors import VotingError
from voting.mail.sending import queue_links
from voting.models import Election
from voting.operations import activity, audit, delivery, mail_queue
from voting.operations.attendee_changes import EDITABLE, edit_attendee, withdraw_attendee
from voting.operations.attendees import count_attendees, find_attendees, staged_upload
from voting.operations.elections import list_elections, open_election
from voting.operations.layout import load_categories
from voting.operations.results import turnout, turnout_history
from voting.operations.tokens import MAX_CARDS
from voting.paper_ballots import PAPER
from voting.web import elections
from voting.web.auth import roles_required
from voting.web.charts import turnout_chart
from voting.web.common import (
    actor,
    ascii_number,
    attendee_or_404,
    cards_download,
    election_from_request,
    page_number,
)
from voting.web.security import accepts_upload
from voting.web.texts import error_text
from voting.web.warnings import dashboard_warnings

bp = Blueprint("console", __name__, url_prefix="/admin")
ORGANISER = "organiser"
ATTENDEES_PER_PAGE = 50


def _back(election: Election, endpoint: str = ".dashboard") -> Response:
    return redirect(url_for(endpoint, election=election.slug), 303)


def _confirm_first(election: Election, endpoint: str) -> Response:
    """Opening and closing cannot be undone: back to the page, with the box to tick."""
    flash(_("Tick the box to confirm."), "error")
    return redirect(url_for(endpoint, election=election.slug), 303)


def _has_delivery_key(election: Election) -> bool:
    return services.keys().has_delivery_key(election.slug)


# --- dashboard ------------------------------------------------------------------------------------


@bp.get("")
@roles_required(ORGANISER)
def dashboard():
    if not request.values.get("election") and len(list_elections(get_session())) != 1:
        return elections.overview()  # a fresh install, or several elections to choose from
    election = election_from_request()
    session = get_session()
    cast = turnout(session, election)
    sending = mail_queue.is_busy(session, election)
    deliveries = delivery.counts(session, election)
    return render_template(
        "console/dashboard.html",
        election=election,
        warnings=dashboard_warnings(session, election, deliveries),
        turnout=cast,
        opens_at=election.local_time(election.opens_at),
        closes_at=election.local_time(election.closes_at),
        chart=turnout_chart(turnout_history(session, election), cast.eligible),
        checkpoint=audit.latest_checkpoint(session, election),
        fingerprints=audit.fingerprints_shown(session, election),
        deliveries=deliveries,
        sending=sending,
        refresh=sending or election.is_open,
        updated_at=election.local_time(services.now()),
        layouts=[*sorted(LAYOUTS), PAPER],
        has_key=_has_delivery_key(election),
        max_cards=MAX_CARDS,
    )


# --- open and close -------------------------------------------------------------------------------


@bp.route("/open", methods=["GET", "POST"])
@roles_required(ORGANISER)
def open_voting():
    election = election_from_request()
    session = get_session()
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            return _confirm_first(election, ".open_voting")
        try:
            with writing(session):
                opened = open_election(
                    session,
                    actor(),
                    election,
                    services.keys().delivery_key(election.slug),
                    services.signer(),
                    services.now(),
                )
        except VotingError as exc:
            flash(error_text(exc), "error")
            return _back(election)
        flash(_("Voting is open. Show this fingerprint to the room: %(fp)s", fp=opened.fingerprint))
        return _back(election)
    return render_template(
        "console/confirm_open.html",
        election=election,
        attendees=count_attendees(session, election),
        categories=load_categories(session, election),
        opens_at=election.local_time(election.opens_at),
        closes_at=election.local_time(election.closes_at),
    )


@bp.route("/close", methods=["GET", "POST"])
@roles_required(ORGANISER)
def close_voting():
    election = election_from_request()
    session = get_session()
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            return _confirm_first(election, ".close_voting")
        keep = request.form.get("keep_delivery_key") == "yes"
        notify = request.form.get("notify") == "yes"
        try:
            result = workflows.close_voting(
                session, actor(), election, keep_delivery_key=keep, notify=notify
            )
        except VotingError as exc:
            flash(error_text(exc), "error")
            return _back(election)
        flash(
            _(
                "Voting is closed and the result sealed. Show this fingerprint to the room: %(fp)s",
                fp=result.checkpoint.fingerprint,
            )
        )
        if result.notices is not None:
            flash(
                _(
                    "Participation notices: %(count)d queued; they go out within minutes.",
                    count=result.notices,
                )
            )
        return _back(election)
    return render_template(
        "console/confirm_close.html",
        election=election,
        turnout=turnout(session, election),
    )


# --- attendees ------------------------------------------------------------------------------------


@bp.get("/attendees")
@roles_required(ORGANISER)
def attendees(report: dict | None = None, status: int = 200):
    election = election_from_request()
    query = request.args.get("q", "").strip()[:100]
    page = page_number()
    found = find_attendees(
        get_session(),
        election,
        query,
        limit=ATTENDEES_PER_PAGE,
        offset=(page - 1) * ATTENDEES_PER_PAGE,
    )
    return (
        render_template(
            "console/attendees.html",
            election=election,
            report=report,
            can_import=not election.is_over,
            rows=found.attendees,
            total=found.total,
            page=page,
            pages=max(1, -(-found.total // ATTENDEES_PER_PAGE)),
            query=query,
        ),
        status,
    )


@bp.post("/attendees/import")
@roles_required(ORGANISER)
@accepts_upload
def import_attendees():
    """The check step: what the file would change. Nothing is imported before the
    organiser confirms."""
    election = election_from_request()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return attendees(report={"errors": [_("Choose a CSV file to import.")]}, status=422)
    try:
        checked, upload_id = workflows.stage_attendees(
            get_session(), election, upload.filename, upload.read()
        )
    except RosterError as exc:
        return attendees(report={"errors": exc.errors, "file": upload.filename}, status=422)
    except VotingError as exc:
        return attendees(report={"errors": [error_text(exc)]}, status=409)
    return attendees(
        report={
            "plan": checked.plan,
            "file": upload.filename,
            "upload": upload_id,
            "digests": {
                "keep": checked.plan.digest(withdraw_missing=False),
                "withdraw": checked.plan.digest(withdraw_missing=True),
            },
        }
    )


@bp.post("/attendees/import/confirm")
@roles_required(ORGANISER)
def confirm_import():
    election = election_from_request()
    withdraw = request.form.get("withdraw_missing") == "yes"
    session = get_session()
    try:
        staged = staged_upload(session, election, request.form.get("upload", ""), services.now())
        data, filename = staged.data, staged.filename
        result = workflows.import_attendees(
            session,
            actor(),
            election,
            data,
            filename,
            withdraw_missing=withdraw,
            expected=request.form.get("digest_withdraw" if withdraw else "digest_keep", ""),
            staged=staged.id,
        )
    except RosterError as exc:
        return attendees(report={"errors": exc.errors}, status=422)
    except VotingError as exc:
        return attendees(report={"errors": [error_text(exc)]}, status=409)
    return attendees(report={"result": result, "file": filename})


@bp.post("/attendees/<int(max=2147483647):attendee_id>/edit")
@roles_required(ORGANISER)
def edit_attendee_details(attendee_id: int):
    election, person = attendee_or_404(attendee_id)
    values = {name: request.form.get(name, "") for name in EDITABLE}
    session = get_session()
    try:
        with writing(session):
            changed = edit_attendee(session, actor(), election, person, values, services.now())
    except VotingError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("Saved.") if changed else _("Nothing changed."))
    return redirect(url_for("desk.attendee", attendee_id=attendee_id), 303)


@bp.post("/attendees/<int(max=2147483647):attendee_id>/withdraw")
@roles_required(ORGANISER)
def withdraw(attendee_id: int):
    election, person = attendee_or_404(attendee_id)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm the withdrawal."), "error")
        return redirect(url_for("desk.attendee", attendee_id=attendee_id), 303)
    key = services.keys().delivery_key(election.slug) if _has_delivery_key(election) else None
    session = get_session()
    try:
        with writing(session):
            outcome = withdraw_attendee(session, actor(), election, person, key, services.now())
    except VotingError as exc:
        flash(error_text(exc), "error")
    else:
        name = person.name
        flash(
            {
                "revoked": _("%(name)s is withdrawn; their ballot no longer works.", name=name),
                "cast": _("%(name)s is withdrawn; the ballot they cast stays counted.", name=name),
                "none": _("%(name)s is withdrawn.", name=name),
            }[outcome]
        )
    return redirect(url_for("desk.attendee", attendee_id=attendee_id), 303)


# --- cards and emails -----------------------------------------------------------------------------


def _card_sheet(file_name: str, count: int | None = None) -> Response:
    """The one print-cards workflow, as a PDF download (anonymous cards when *count*)."""
    election = election_from_request()
    layout = request.form.get("layout", "a4")
    return cards_download(election, f"{file_name}-{election.slug}.pdf", layout=layout, count=count)


@bp.post("/cards/personal")
@roles_required(ORGANISER)
def personal_card_sheet():
    return _card_sheet("ballot-cards")


@bp.post("/cards/anonymous")
@roles_required(ORGANISER)
def anonymous_card_sheet():
    count = ascii_number(request.form.get("count"))
    if count is None:
        abort(400, description=_("Give the number of cards and a layout."))
    return _card_sheet("anonymous-cards", count)


@bp.post("/send")
@roles_required(ORGANISER)
def send_links():
    election = election_from_request()
    if not _has_delivery_key(election) or election.is_over:
        flash(_("Links can no longer be sent: voting is over."), "error")
        return _back(election)
    # Only queued here: the mail worker sends them (voting/mail/worker.py).
    try:
        queued = queue_links(
            get_session(), actor(), election, failed_only=request.form.get("failed_only") == "yes"
        )
    except VotingError as exc:
        flash(error_text(exc), "error")
        return _back(election)
    if queued.count:
        flash(_("%(count)d ballot links queued: they go out now.", count=queued.count))
    else:
        flash(_("Every attendee's link is sent or on its way already."))
    return _back(election)


# --- the private activity log --------------------------------------------------------------------


@bp.get("/activity")
@roles_required(ORGANISER)
def activity_log():
    election = election_from_request()
    records = activity.recent(get_session(), election)
    return render_template(
        "console/activity.html",
        election=election,
        records=[(election.local_time(record.at), record) for record in records],
    )
