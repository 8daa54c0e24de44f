"""The organisers' console: dashboard, awards editor, attendees, cards, emails, open and close.

Every change that counts is a log entry on the public board (made by the operation) and a
line in the private activity log (made here, with the organiser's name).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from voting import context
from voting.cards import LAYOUTS, render_cards
from voting.db import get_session, reads_only
from voting.domain import editing
from voting.domain.definition import (
    TIE_RULES,
    DefinitionError,
    editable,
    from_board,
    read_definition,
)
from voting.domain.roster import RosterError, parse_roster
from voting.errors import VotingError
from voting.instance import KeyMissing
from voting.models import Attendee, Election
from voting.operations import activity, audit, delivery
from voting.operations.attendees import import_roster
from voting.operations.elections import (
    close_election,
    load_categories,
    load_election,
    local_time,
    open_election,
)
from voting.operations.results import ballot_count, eligible_count, turnout_history
from voting.operations.tokens import MAX_CARDS, anonymous_cards, personal_cards
from voting.sending import entry_address, is_sending, start_in_background
from voting.web.auth import roles_required
from voting.web.charts import turnout_chart
from voting.web.common import actor, election_from_request, page_number
from voting.web.texts import card_howto

bp = Blueprint("admin", __name__, url_prefix="/admin")
ORGANISER = "organiser"
ATTENDEES_PER_PAGE = 50


def _back(election: Election, endpoint: str = ".dashboard") -> Response:
    return redirect(url_for(endpoint, election=election.slug), 303)


def _has_delivery_key(election: Election) -> bool:
    return context.keys().has_delivery_key(election.slug)


# --- dashboard ------------------------------------------------------------------------------------


@bp.get("")
@roles_required(ORGANISER)
def dashboard():
    election = election_from_request()
    session = get_session()
    eligible = eligible_count(session, election)
    ballots = ballot_count(session, election)
    attendees = session.scalar(
        select(func.count()).select_from(Attendee).where(Attendee.election_id == election.id)
    )
    sending = is_sending(election.id)
    return render_template(
        "admin/dashboard.html",
        election=election,
        attendees=attendees,
        eligible=eligible,
        ballots=ballots,
        opens_at=local_time(election, election.opens_at),
        closes_at=local_time(election, election.closes_at),
        chart=turnout_chart(turnout_history(session, election), eligible),
        checkpoint=audit.latest_checkpoint(session, election),
        deliveries=delivery.counts(session, election),
        sending=sending,
        refresh=sending or election.state == "open",
        layouts=sorted(LAYOUTS),
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
            flash(_("Tick the box to confirm."), "error")
            return redirect(url_for(".open_voting", election=election.slug), 303)
        try:
            opened = open_election(
                session,
                election,
                context.keys().delivery_key(election.slug),
                context.signer(),
                context.now(),
            )
        except (VotingError, KeyMissing) as exc:
            session.rollback()
            flash(str(exc), "error")
            return _back(election)
        activity.record(session, election, actor(), "voting opened", context.now())
        session.commit()
        flash(_("Voting is open. Show this fingerprint to the room: %(fp)s", fp=opened.fingerprint))
        return _back(election)
    attendees = session.scalar(
        select(func.count()).select_from(Attendee).where(Attendee.election_id == election.id)
    )
    return render_template(
        "admin/confirm_open.html",
        election=election,
        attendees=attendees,
        categories=load_categories(session, election),
        opens_at=local_time(election, election.opens_at),
        closes_at=local_time(election, election.closes_at),
    )


@bp.route("/close", methods=["GET", "POST"])
@roles_required(ORGANISER)
def close_voting():
    election = election_from_request()
    session = get_session()
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            flash(_("Tick the box to confirm."), "error")
            return redirect(url_for(".close_voting", election=election.slug), 303)
        try:
            result = close_election(session, election, context.signer(), context.now())
        except VotingError as exc:
            session.rollback()
            flash(str(exc), "error")
            return _back(election)
        keep = request.form.get("keep_delivery_key") == "yes"
        activity.record(
            session,
            election,
            actor(),
            "voting closed",
            context.now(),
            detail="delivery key kept" if keep else "delivery key destroyed",
        )
        session.commit()
        if not keep:
            context.keys().destroy_delivery_key(election.slug)
        flash(
            _(
                "Voting is closed and the result sealed. Show this fingerprint to the room: %(fp)s",
                fp=result.checkpoint.fingerprint,
            )
        )
        return _back(election)
    return render_template(
        "admin/confirm_close.html",
        election=election,
        ballots=ballot_count(session, election),
        eligible=eligible_count(session, election),
    )


# --- the awards editor ----------------------------------------------------------------------------


def _document(election: Election) -> dict:
    return editable(from_board(json.loads(election.definition)))


@bp.get("/election")
@roles_required(ORGANISER)
def editor(errors: list[str] | None = None, status: int = 200):
    election = election_from_request()
    return (
        render_template(
            "admin/editor.html",
            election=election,
            document=_document(election),
            tie_rules=TIE_RULES,
            errors=errors or [],
            editable=election.state == "draft",
        ),
        status,
    )


def _edit(change: Callable[[dict], object], what: str):
    """Apply one edit to the draft definition, check it like a file, store it, log it."""
    election = election_from_request()
    if election.state != "draft":
        flash(_("Voting has opened: the awards can no longer change."), "error")
        return _back(election, ".editor")
    document = _document(election)
    try:
        change(document)
        definition = read_definition(document)
    except editing.EditError as exc:
        return editor(errors=[str(exc)], status=422)
    except DefinitionError as exc:
        return editor(errors=exc.errors, status=422)
    session = get_session()
    result = load_election(
        session,
        definition,
        ensure_delivery_key=context.keys().ensure_delivery_key,
        origin_base=context.board_origin_base(),
    )
    if result.outcome != "unchanged":
        activity.record(session, election, actor(), "awards edited", context.now(), detail=what)
    session.commit()
    flash(_("Saved."))
    return _back(election, ".editor")


def _form(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "") for name in names}


def _delta() -> int:
    return {"up": -1, "down": 1}.get(request.form.get("move", ""), 0)


@bp.post("/election/details")
@roles_required(ORGANISER)
def edit_details():
    values = _form("title", "timezone", "tie_rule", "opens_at", "closes_at")
    return _edit(lambda doc: editing.set_details(doc, values), "details")


@bp.post("/election/awards")
@roles_required(ORGANISER)
def add_award():
    values = _form("title", "description")
    return _edit(
        lambda doc: editing.add_category(doc, values["title"], values["description"]),
        f"award added: {values['title']}",
    )


@bp.post("/election/awards/<slug>")
@roles_required(ORGANISER)
def change_award(slug: str):
    if request.form.get("delete") == "yes":
        return _edit(lambda doc: editing.remove_category(doc, slug), f"award removed: {slug}")
    if _delta():
        delta = _delta()
        return _edit(lambda doc: editing.move_category(doc, slug, delta), f"award moved: {slug}")
    values = _form("title", "description")
    return _edit(lambda doc: editing.update_category(doc, slug, values), f"award changed: {slug}")


@bp.post("/election/awards/<slug>/finalists")
@roles_required(ORGANISER)
def add_finalist(slug: str):
    values = _form(*editing.NOMINEE_TEXTS)
    return _edit(
        lambda doc: editing.add_nominee(doc, slug, values), f"finalist added: {values['name']}"
    )


@bp.post("/election/awards/<slug>/finalists/<nominee>")
@roles_required(ORGANISER)
def change_finalist(slug: str, nominee: str):
    what = f"{slug}/{nominee}"
    if request.form.get("delete") == "yes":
        return _edit(
            lambda doc: editing.remove_nominee(doc, slug, nominee), f"finalist removed: {what}"
        )
    if _delta():
        delta = _delta()
        return _edit(
            lambda doc: editing.move_nominee(doc, slug, nominee, delta), f"finalist moved: {what}"
        )
    values = _form(*editing.NOMINEE_TEXTS)
    return _edit(
        lambda doc: editing.update_nominee(doc, slug, nominee, values), f"finalist changed: {what}"
    )


# --- attendees ------------------------------------------------------------------------------------


def _attendee_page(election: Election) -> dict:
    session = get_session()
    query_text = request.args.get("q", "").strip()[:100]
    page = page_number()
    query = select(Attendee).where(Attendee.election_id == election.id)
    if query_text:
        pattern = f"%{query_text.lower()}%"
        query = query.where(
            or_(
                Attendee.name.ilike(pattern),
                Attendee.email.ilike(pattern),
                Attendee.organisation.ilike(pattern),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Attendee.id)
        .offset((page - 1) * ATTENDEES_PER_PAGE)
        .limit(ATTENDEES_PER_PAGE)
    ).scalars()
    return {
        "rows": list(rows),
        "total": total,
        "page": page,
        "pages": max(1, -(-total // ATTENDEES_PER_PAGE)),
        "query": query_text,
    }


@bp.get("/attendees")
@roles_required(ORGANISER)
def attendees(report: dict | None = None, status: int = 200):
    election = election_from_request()
    return (
        render_template(
            "admin/attendees.html",
            election=election,
            report=report,
            can_import=election.state in ("draft", "open"),
            **_attendee_page(election),
        ),
        status,
    )


@bp.post("/attendees/import")
@roles_required(ORGANISER)
def import_attendees():
    election = election_from_request()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return attendees(report={"errors": [_("Choose a CSV file to import.")]}, status=422)
    data = upload.read()
    try:
        roster = parse_roster(data)
    except RosterError as exc:
        return attendees(report={"errors": exc.errors, "file": upload.filename}, status=422)
    session = get_session()
    try:
        result = import_roster(
            session,
            election,
            roster,
            delivery_key=lambda: context.keys().delivery_key(election.slug),
        )
    except (VotingError, KeyMissing) as exc:
        session.rollback()
        return attendees(report={"errors": [str(exc)]}, status=409)
    activity.record(
        session,
        election,
        actor(),
        "attendees imported",
        context.now(),
        detail=f"{upload.filename}: {result.added} added, {result.updated} updated",
    )
    session.commit()
    return attendees(report={"result": result, "file": upload.filename})


# --- cards and emails -----------------------------------------------------------------------------


def _pdf(pdf: bytes, name: str) -> Response:
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/cards/personal")
@roles_required(ORGANISER)
def personal_card_sheet():
    election = election_from_request()
    layout = request.form.get("layout", "a4")
    if layout not in LAYOUTS or not _has_delivery_key(election):
        abort(400, description=_("No cards can be printed now."))
    session = get_session()
    cards = personal_cards(
        session,
        election,
        context.codec(),
        context.keys().delivery_key(election.slug),
        context.public_url(),
    )
    pdf = render_cards(
        cards, title=election.title, entry_url=entry_address(), howto=card_howto, layout=layout
    )
    activity.record(
        session,
        election,
        actor(),
        "personal cards printed",
        context.now(),
        detail=f"{len(cards)} cards",
    )
    session.commit()
    return _pdf(pdf, f"ballot-cards-{election.slug}.pdf")


@bp.post("/cards/anonymous")
@roles_required(ORGANISER)
def anonymous_card_sheet():
    election = election_from_request()
    layout = request.form.get("layout", "a4")
    count_text = request.form.get("count", "")
    if layout not in LAYOUTS or not count_text.isdigit():
        abort(400, description=_("Give the number of cards and a layout."))
    session = get_session()
    try:
        cards = anonymous_cards(
            session, election, context.codec(), context.public_url(), int(count_text)
        )
    except VotingError as exc:
        session.rollback()
        abort(400, description=str(exc))
    pdf = render_cards(
        cards, title=election.title, entry_url=entry_address(), howto=card_howto, layout=layout
    )
    activity.record(
        session,
        election,
        actor(),
        "anonymous cards printed",
        context.now(),
        detail=f"{len(cards)} cards",
    )
    session.commit()
    return _pdf(pdf, f"anonymous-cards-{election.slug}.pdf")


@bp.post("/send")
@roles_required(ORGANISER)
@reads_only  # the sender writes from its own thread; this request must not hold the lock
def send_links():
    election = election_from_request()
    if not _has_delivery_key(election) or election.state not in ("draft", "open"):
        flash(_("Links can no longer be sent: voting is over."), "error")
        return _back(election)
    started = start_in_background(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        election.id,
        actor=actor(),
        failed_only=request.form.get("failed_only") == "yes",
    )
    flash(_("Sending the ballot links.") if started else _("The links are being sent already."))
    return _back(election)


# --- the private activity log --------------------------------------------------------------------


@bp.get("/activity")
@roles_required(ORGANISER)
def activity_log():
    election = election_from_request()
    records = activity.recent(get_session(), election)
    return render_template(
        "admin/activity.html",
        election=election,
        records=[(local_time(election, record.at), record) for record in records],
    )
